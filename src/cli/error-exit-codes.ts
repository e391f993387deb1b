import { ExitCode, type ExitCodeValue } from './exit-code.js';

/**
 * The one table from error codes to exit codes. Add a row when a module adds
 * a code; codes missing here fall back on their reason (`*.not_found` -> 4 ...).
 */
const TABLE: Record<string, ExitCodeValue> = {
  'contract.invalid': ExitCode.usage,
  'contract.unsupported_version': ExitCode.usage,
  'store.unavailable': ExitCode.unavailable,
  'store.conflict': ExitCode.conflict,
  'store.migration_failed': ExitCode.internal,
  'store.invalid_url': ExitCode.usage,
  'store.corrupt': ExitCode.checkFailed,
  'scan.input_not_found': ExitCode.usage,
  'scan.unsupported_format': ExitCode.usage,
  'scan.malformed_input': ExitCode.usage,
  'scan.invalid_config': ExitCode.usage,
  'scan.unknown_detector': ExitCode.usage,
  'scan.manifest_mismatch': ExitCode.checkFailed,
  'scan.aborted': ExitCode.interrupted,
};

export function exitCodeForError(code: string): ExitCodeValue {
  const exact = TABLE[code];
  if (exact !== undefined) return exact;
  const reason = code.slice(code.indexOf('.') + 1);
  if (reason === 'not_found' || reason.endsWith('_not_found')) return ExitCode.notFound;
  if (reason.startsWith('invalid') || reason.startsWith('malformed') || reason === 'usage')
    return ExitCode.usage;
  if (reason === 'unauthenticated' || reason === 'forbidden' || reason.startsWith('token_'))
    return ExitCode.auth;
  if (reason === 'conflict' || reason.endsWith('_conflict')) return ExitCode.conflict;
  return ExitCode.internal;
}
