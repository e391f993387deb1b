import type { GraderErrorRates } from '../stats/error-correction.js';
import { wilsonInterval } from '../stats/wilson.js';
import type { EvalCase } from '../suites/eval-case.js';
import type { Expectation } from '../suites/suite-schema.js';
import type { Grader } from './grader.js';
import { GraderSet } from './grader-set.js';

/** A response labelled by a person: `positive` when it truly is the failure event the grader detects. */
export interface LabelledResponse {
  evalCase: EvalCase;
  expectation: Expectation;
  response: string;
  positive: boolean;
}

/**
 * How a grader did on labelled responses: of `positives` truly positive responses it
 * flagged `detected`; of `negatives` truly negative ones it cleared `cleared`.
 */
export interface CalibrationCounts {
  positives: number;
  detected: number;
  negatives: number;
  cleared: number;
}

/**
 * Runs a grader over labelled responses (a grade that fails is a positive verdict) and
 * counts agreement. Use it on a grader exactly as the run will use it, e.g. the LLM
 * judge with its heuristic screen, on responses of the kind of model being gated.
 */
export async function measureGrader(
  grader: Grader,
  examples: readonly LabelledResponse[],
  options: { concurrency?: number } = {},
): Promise<CalibrationCounts> {
  const counts: CalibrationCounts = { positives: 0, detected: 0, negatives: 0, cleared: 0 };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < examples.length) {
      const e = examples[next++] as LabelledResponse;
      const grade = await grader.grade({
        evalCase: e.evalCase,
        expectation: e.expectation,
        response: e.response,
        prompt: GraderSet.promptOf(e.evalCase),
      });
      if (e.positive) {
        counts.positives++;
        if (!grade.pass) counts.detected++;
      } else {
        counts.negatives++;
        if (grade.pass) counts.cleared++;
      }
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency ?? 8, examples.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return counts;
}

/**
 * Error rates to correct with, from calibration counts: the lower ends of Wilson
 * intervals (95% by default), as for the built-in graders, so that a small calibration
 * set corrects less rather than more.
 */
export function errorRatesFromCounts(counts: CalibrationCounts, confidence = 0.95): GraderErrorRates {
  return {
    sensitivity: wilsonInterval(counts.detected, counts.positives, confidence).lower,
    specificity: wilsonInterval(counts.cleared, counts.negatives, confidence).lower,
  };
}
