import type { Grade } from './graders/grader.js';
import type { EvalCase } from './suites/eval-case.js';
import type { ChatMessage } from './suites/suite-schema.js';

/** One response of one model to one sample of a case. */
export interface SampleResult {
  sample: number;
  text: string;
  /** Null when the request failed after retries (`error` says why). */
  pass: boolean | null;
  grades: Grade[];
  cached: boolean;
  latency_ms: number;
  error?: string;
}

/** Both models' results for one case: one line of the transcript JSONL. */
export interface CaseResult {
  key: string;
  suite: string;
  id: string;
  category: string;
  kind: EvalCase['kind'];
  tags: string[];
  source: { file: string; line: number };
  trigger?: EvalCase['trigger'];
  messages: ChatMessage[];
  base: SampleResult[];
  candidate: SampleResult[];
}

/** Failed samples (graded, not errored) of one side. */
export function failures(samples: readonly SampleResult[]): number {
  let n = 0;
  for (const s of samples) if (s.pass === false) n++;
  return n;
}

/** Samples that errored on either side make the case unusable for paired statistics. */
export function hasErrors(result: CaseResult): boolean {
  return result.base.some((s) => s.pass === null) || result.candidate.some((s) => s.pass === null);
}
