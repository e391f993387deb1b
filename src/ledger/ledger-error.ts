import { TunegateError } from '../contracts/error.js';

/** Codes raised by the audit ledger. */
export type LedgerErrorCode =
  | 'ledger.not_found'
  | 'ledger.invalid_index'
  | 'ledger.invalid_checkpoint'
  | 'ledger.invalid_receipt'
  | 'ledger.invalid_query'
  | 'ledger.invalid_event'
  | 'ledger.invalid_key'
  | 'ledger.duplicate_event'
  | 'ledger.corrupt';

/** Errors of the audit ledger (`src/ledger`). */
export class LedgerError extends TunegateError<LedgerErrorCode> {}
