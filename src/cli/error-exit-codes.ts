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
  'ledger.corrupt': ExitCode.checkFailed,
  'ledger.duplicate_event': ExitCode.conflict,
  'scan.input_not_found': ExitCode.usage,
  'scan.unsupported_format': ExitCode.usage,
  'scan.malformed_input': ExitCode.usage,
  'scan.invalid_config': ExitCode.usage,
  'scan.unknown_detector': ExitCode.usage,
  'scan.manifest_mismatch': ExitCode.checkFailed,
  'scan.aborted': ExitCode.interrupted,
  'artifact.input_not_found': ExitCode.usage,
  'artifact.unsupported_format': ExitCode.usage,
  'artifact.baseline_not_found': ExitCode.usage,
  'auth.invalid_token': ExitCode.auth,
  'auth.principal_disabled': ExitCode.auth,
  'auth.cross_tenant': ExitCode.auth,
  'auth.self_approval': ExitCode.auth,
  'auth.digest_mismatch': ExitCode.conflict,
  'auth.duplicate_decision': ExitCode.conflict,
  'auth.approval_closed': ExitCode.conflict,
  'auth.approval_expired': ExitCode.conflict,
  'control_plane.unavailable': ExitCode.unavailable,
  'remote.unreachable': ExitCode.unavailable,
  'remote.missing_token': ExitCode.auth,
  'api.payload_too_large': ExitCode.usage,
  'api.unsupported_media_type': ExitCode.usage,
  'api.bad_request': ExitCode.usage,
  'api.listen_failed': ExitCode.unavailable,
  'eval.suite_not_found': ExitCode.usage,
  'eval.provider_failed': ExitCode.unavailable,
  'eval.provider_timeout': ExitCode.unavailable,
  'eval.provider_unavailable': ExitCode.unavailable,
  'eval.output_failed': ExitCode.usage,
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
