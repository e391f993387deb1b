import { isTunegateError } from '../contracts/error.js';
import { exitCodeForError } from './error-exit-codes.js';
import { ExitCode, type ExitCodeValue } from './exit-code.js';

/** Signals a chosen exit code without an error message (e.g. a scan with findings). */
export class ExitRequest extends Error {
  constructor(readonly exitCode: ExitCodeValue) {
    super(`exit ${exitCode}`);
  }
}

/** Writes one JSON document to stdout (the `--json` form of every command). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Wraps a command action: maps thrown errors to `error: <code>: <message>` on
 * stderr (or `{"error": {...}}` with --json) and the documented exit code.
 */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<void> | void,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      process.exitCode = reportError(err, wantsJson(args));
    }
  };
}

function wantsJson(args: unknown[]): boolean {
  return args.some(
    (a) => typeof a === 'object' && a !== null && 'json' in a && (a as { json?: unknown }).json === true,
  );
}

/** Prints an error for a human or a program and returns the exit code to use. */
export function reportError(err: unknown, json: boolean): ExitCodeValue {
  if (err instanceof ExitRequest) return err.exitCode;
  if (isTunegateError(err)) {
    const code = exitCodeForError(err.code);
    if (json) printJson({ error: { code: err.code, message: err.message, ...(err.details ?? {}) } });
    else process.stderr.write(`error: ${err.code}: ${err.message}\n`);
    return code;
  }
  const message = err instanceof Error ? err.message : String(err);
  if (json) printJson({ error: { code: 'internal', message } });
  else process.stderr.write(`error: internal: ${message}\n`);
  if (process.env.TUNEGATE_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  return ExitCode.internal;
}
