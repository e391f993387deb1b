import { TunegateError } from '../contracts/error.js';

export type ScanErrorCode =
  | 'scan.input_not_found'
  | 'scan.unsupported_format'
  | 'scan.malformed_input'
  | 'scan.invalid_config'
  | 'scan.unknown_detector'
  | 'scan.manifest_mismatch'
  | 'scan.aborted'
  | 'scan.worker_failed';

/** Errors of the dataset scan engine. */
export class ScanError extends TunegateError<ScanErrorCode> {}
