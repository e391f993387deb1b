import { TunegateError } from '../contracts/error.js';

export type StoreErrorCode =
  | 'store.unavailable'
  | 'store.conflict'
  | 'store.migration_failed'
  | 'store.invalid_url'
  | 'store.corrupt'
  | 'store.query_failed';

/** Errors of the storage layer. */
export class StoreError extends TunegateError<StoreErrorCode> {}
