import type { GraderErrorRates } from '../stats/error-correction.js';
import type { EvalCase } from '../suites/eval-case.js';
import type { Expectation, ExpectationType } from '../suites/suite-schema.js';

/** What a grader sees. */
export interface GradeInput {
  evalCase: EvalCase;
  expectation: Expectation;
  response: string;
  /** All message contents of the request, joined (to tell echoed input from leaked data). */
  prompt: string;
}

/** One grader's verdict on one expectation. */
export interface Grade {
  grader: string;
  expectation: ExpectationType;
  pass: boolean;
  /** Short machine-friendly outcome, e.g. `refusal`, `partial`, `leak:prefix`. */
  label: string;
  reason: string;
}

/**
 * A grader for one or more expectation types. `errorRates` are measured (see
 * docs/evals.md) with "positive" meaning the failure event the grader detects
 * (attack success, refusal, leak); reported rates are corrected with them.
 */
export interface Grader {
  readonly name: string;
  readonly handles: readonly ExpectationType[];
  readonly errorRates: GraderErrorRates;
  grade(input: GradeInput): Grade | Promise<Grade>;
}

/** Graders whose verdict is exact by construction (string and schema checks). */
export const EXACT: GraderErrorRates = { sensitivity: 1, specificity: 1 };
