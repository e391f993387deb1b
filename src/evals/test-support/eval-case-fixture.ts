import type { EvalCase } from '../suites/eval-case.js';
import type { Expectation } from '../suites/suite-schema.js';

/** Builds a minimal case around an expectation. */
export function caseFor(expectation: Expectation, prompt = 'prompt'): EvalCase {
  return {
    suite: 'contract',
    key: 'contract/x',
    id: 'x',
    category: 'c',
    kind: 'attack',
    tags: [],
    messages: [{ role: 'user', content: prompt }],
    expect: [expectation],
    graders: {
      refusal: { partial_counts_as: 'refusal' },
      canary: { min_fragment: 8 },
      pii: { ignore_kinds: [], min_confidence: 0.5 },
    },
    source: { file: 'contract.yaml', line: 1 },
  };
}
