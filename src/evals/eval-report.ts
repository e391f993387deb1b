import type { CaseResult } from './case-result.js';
import type { GateDecision } from './eval-gate.js';
import type { GroupMetrics, LeakCounts, TriggerMetrics } from './eval-metrics.js';

/** Everything a run produced except the per-case transcripts (streamed to a JSONL file). */
export interface EvalReport {
  tool: { name: 'tunegate'; version: string };
  run_id: string;
  started_at: string;
  finished_at: string;
  base: { label: string };
  candidate: { label: string };
  suites: { name: string; file: string; cases: number }[];
  samples: number;
  confidence: number;
  totals: {
    cases: number;
    errored_cases: number;
    requests: number;
    errored_requests: number;
    cached_requests: number;
    duration_ms: number;
  };
  kinds: GroupMetrics[];
  categories: GroupMetrics[];
  triggers: TriggerMetrics[];
  leaks: LeakCounts;
  gate: GateDecision;
  /** Cases where the candidate got most worse than the base, with transcripts. */
  worst_regressions: CaseResult[];
}
