import { TunegateError } from '../contracts/error.js';

/** Error codes of the artifact analysis module. */
export type ArtifactErrorCode =
  | 'artifact.input_not_found'
  | 'artifact.unsupported_format'
  | 'artifact.malformed_input'
  | 'artifact.invalid_config'
  | 'artifact.baseline_not_found'
  | 'artifact.worker_failed';

/**
 * Raised for problems that stop an analysis as a whole (missing input, a file
 * that cannot be parsed at all for a weight diff, a bad config). Problems
 * *inside* an artifact under scan are findings, not errors.
 */
export class ArtifactError extends TunegateError<ArtifactErrorCode> {}
