/**
 * Base class of every error tunegate raises on purpose.
 *
 * Each module declares its own subclass with a string-literal union of codes
 * (e.g. `LedgerError` with `'ledger.not_found' | ...`). Codes are namespaced by
 * module so that the server can map every code to an HTTP status in one table
 * and the CLI can map them to exit codes, without either knowing the module.
 */
export class TunegateError<C extends string = string> extends Error {
  /** Stable machine-readable code, `module.reason`. */
  readonly code: C;
  /** Optional structured details that are safe to show to the caller (never secrets or internals). */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: C, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options?.details;
  }
}

/** True when `err` is a {@link TunegateError} (also across duplicated module instances). */
export function isTunegateError(err: unknown): err is TunegateError {
  return (
    err instanceof TunegateError ||
    (err instanceof Error && typeof (err as { code?: unknown }).code === 'string' && 'details' in err)
  );
}

/** Codes for input that fails a contract. */
export type ContractErrorCode = 'contract.invalid' | 'contract.unsupported_version';

/** Raised when data does not satisfy a contract schema; `details.issues` lists `{path, message}`. */
export class ContractError extends TunegateError<ContractErrorCode> {}
