import { TunegateError } from '../contracts/error.js';

/** Error codes raised by the evaluation module. */
export type EvaluationErrorCode =
  | 'eval.invalid_suite'
  | 'eval.suite_not_found'
  | 'eval.invalid_config'
  | 'eval.invalid_provider'
  | 'eval.invalid_trigger_report'
  | 'eval.provider_failed'
  | 'eval.provider_timeout'
  | 'eval.provider_unavailable'
  | 'eval.output_failed';

/** Every deliberate failure of `src/evals`; `details` names file/line/field where it applies. */
export class EvaluationError extends TunegateError<EvaluationErrorCode> {}
