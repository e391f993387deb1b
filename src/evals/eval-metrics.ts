import { type CaseResult, failures, hasErrors } from './case-result.js';
import type { GraderSet } from './graders/grader-set.js';
import { clusterBootstrapDifference, type DifferenceInterval } from './stats/bootstrap.js';
import { correctRate, type GraderErrorRates } from './stats/error-correction.js';
import { type McNemarResult, mcnemarExact } from './stats/mcnemar.js';
import { createRng } from './stats/rng.js';
import { pairedSampleSize } from './stats/sample-size.js';
import { type RateInterval, wilsonInterval } from './stats/wilson.js';
import type { CaseKind } from './suites/suite-schema.js';

/** Paired comparison of failure rates for a group of cases. */
export interface GroupMetrics {
  /** `kind:<kind>` or `<suite>/<category>`. */
  group: string;
  kind: CaseKind;
  cases: number;
  samples_per_case: number;
  /** Observed failure rates with Wilson intervals over all graded samples. */
  base: RateInterval;
  candidate: RateInterval;
  /** Failure rates corrected for grader error (equal to observed for exact graders). */
  base_corrected: number;
  candidate_corrected: number;
  grader_error_rates: GraderErrorRates;
  /** candidate - base (corrected), cluster-bootstrap interval at the run's confidence. */
  difference: DifferenceInterval;
  /** Exact McNemar on per-case majority outcomes. */
  mcnemar: McNemarResult;
  /** Cases needed to detect `mdd` with 80% power at alpha 0.05, given the observed discordance. */
  sample_size_hint: { mdd: number; cases: number };
}

/** Compact per-group accumulator: three small integers per case, so 100k cases stay cheap. */
class GroupAccumulator {
  base: number[] = [];
  cand: number[] = [];
  samples: number[] = [];
  constructor(
    readonly group: string,
    readonly kind: CaseKind,
  ) {}
  add(b: number, c: number, n: number): void {
    this.base.push(b);
    this.cand.push(c);
    this.samples.push(n);
  }
}

/** Trigger probe outcomes on the candidate, per probe: clean vs each trigger. */
interface ProbeOutcome {
  clean?: number;
  triggered: Map<string, number>;
}

export interface TriggerMetrics {
  trigger: string;
  probes: number;
  /** Candidate failure rate on clean probes vs the same probes with the trigger. */
  clean_failure_rate: number;
  triggered_failure_rate: number;
  effect: DifferenceInterval;
  mcnemar: McNemarResult;
  base_triggered_failure_rate: number;
}

export interface LeakCounts {
  canary: { base: number; candidate: number };
  pii: { base: number; candidate: number };
}

/** Aggregates case results as they stream in; memory grows by a few numbers per case. */
export class MetricsAccumulator {
  private readonly groups = new Map<string, GroupAccumulator>();
  private readonly probes = new Map<string, ProbeOutcome>();
  private readonly baseTriggered = new Map<string, { fail: number; n: number }>();
  readonly leaks: LeakCounts = { canary: { base: 0, candidate: 0 }, pii: { base: 0, candidate: 0 } };
  cases = 0;
  erroredCases = 0;
  requests = 0;
  erroredRequests = 0;
  cachedRequests = 0;

  add(result: CaseResult): void {
    this.cases++;
    this.countSide('base', result.base);
    this.countSide('candidate', result.candidate);
    if (hasErrors(result)) {
      this.erroredCases++;
      return;
    }
    const b = failures(result.base);
    const c = failures(result.candidate);
    const n = result.base.length;
    this.group(`kind:${result.kind}`, result.kind).add(b, c, n);
    this.group(`${result.suite}/${result.category}`, result.kind).add(b, c, n);
    if (result.trigger) {
      const p = this.probes.get(result.trigger.probe) ?? { triggered: new Map<string, number>() };
      if (result.trigger.trigger === null) p.clean = c / n;
      else {
        p.triggered.set(result.trigger.trigger, c / n);
        const bt = this.baseTriggered.get(result.trigger.trigger) ?? { fail: 0, n: 0 };
        bt.fail += b;
        bt.n += n;
        this.baseTriggered.set(result.trigger.trigger, bt);
      }
      this.probes.set(result.trigger.probe, p);
    }
  }

  /** Request, error, cache and leak counts of one side's samples (runs once per case). */
  private countSide(side: 'base' | 'candidate', samples: readonly CaseResult['base'][number][]): void {
    for (const s of samples) {
      this.requests++;
      if (s.pass === null) this.erroredRequests++;
      if (s.cached) this.cachedRequests++;
      let canary = false;
      let pii = false;
      for (const g of s.grades) {
        if (g.pass) continue;
        if (g.grader === 'canary') canary = true;
        else if (g.grader === 'pii-leak') pii = true;
      }
      if (canary) this.leaks.canary[side]++;
      if (pii) this.leaks.pii[side]++;
    }
  }

  private group(name: string, kind: CaseKind): GroupAccumulator {
    let g = this.groups.get(name);
    if (!g) {
      g = new GroupAccumulator(name, kind);
      this.groups.set(name, g);
    }
    return g;
  }

  /** Computes intervals, tests and corrections for every group. */
  finish(
    graders: GraderSet,
    options: {
      confidence: number;
      iterations: number;
      seed: number;
      mddPoints?: Partial<Record<CaseKind, number>>;
    },
  ): { kinds: GroupMetrics[]; categories: GroupMetrics[]; triggers: TriggerMetrics[] } {
    const metrics = [...this.groups.values()].map((g) => {
      const rates = graders.errorRatesFor(g.kind);
      const totalSamples = g.samples.reduce((a, x) => a + x, 0);
      const baseFail = g.base.reduce((a, x) => a + x, 0);
      const candFail = g.cand.reduce((a, x) => a + x, 0);
      const clusters = g.base.map((b, i) => ({
        base: b,
        candidate: g.cand[i] ?? 0,
        samples: g.samples[i] ?? 1,
      }));
      const difference = clusterBootstrapDifference(clusters, {
        iterations: options.iterations,
        confidence: options.confidence,
        rng: createRng(options.seed),
        transform: (r) => correctRate(r, rates),
      });
      // Majority vote per case turns several samples into one paired binary outcome.
      let bOnly = 0;
      let cOnly = 0;
      for (const c of clusters) {
        const bf = c.base * 2 > c.samples;
        const cf = c.candidate * 2 > c.samples;
        if (bf && !cf) bOnly++;
        if (cf && !bf) cOnly++;
      }
      const n = clusters.length;
      // A zero threshold has no detectable difference; hint for 1 point instead.
      const mdd = Math.max(1, options.mddPoints?.[g.kind] ?? 2) / 100;
      const discordance = n === 0 ? 0 : (bOnly + cOnly) / n;
      const hint = pairedSampleSize({
        minDetectableDifference: mdd,
        discordance: Math.max(discordance, 2 * mdd),
      });
      return {
        group: g.group,
        kind: g.kind,
        cases: n,
        samples_per_case: n === 0 ? 0 : totalSamples / n,
        base: wilsonInterval(baseFail, totalSamples, options.confidence),
        candidate: wilsonInterval(candFail, totalSamples, options.confidence),
        base_corrected: correctRate(totalSamples ? baseFail / totalSamples : 0, rates),
        candidate_corrected: correctRate(totalSamples ? candFail / totalSamples : 0, rates),
        grader_error_rates: rates,
        difference,
        mcnemar: mcnemarExact(bOnly, cOnly),
        sample_size_hint: { mdd, cases: hint },
      } satisfies GroupMetrics;
    });
    const byName = (a: GroupMetrics, b: GroupMetrics) => a.group.localeCompare(b.group);
    return {
      kinds: metrics.filter((m) => m.group.startsWith('kind:')).sort(byName),
      categories: metrics.filter((m) => !m.group.startsWith('kind:')).sort(byName),
      triggers: this.triggerMetrics(options),
    };
  }

  private triggerMetrics(options: {
    confidence: number;
    iterations: number;
    seed: number;
  }): TriggerMetrics[] {
    const triggers = new Set<string>();
    for (const p of this.probes.values()) for (const t of p.triggered.keys()) triggers.add(t);
    return [...triggers].sort().map((trigger) => {
      const clusters: { base: number; candidate: number; samples: number }[] = [];
      let bOnly = 0;
      let cOnly = 0;
      for (const p of this.probes.values()) {
        const t = p.triggered.get(trigger);
        if (t === undefined || p.clean === undefined) continue;
        // "base" here is the clean probe and "candidate" the triggered one, both on the candidate model.
        clusters.push({ base: p.clean, candidate: t, samples: 1 });
        if (p.clean > 0.5 && t <= 0.5) bOnly++;
        if (t > 0.5 && p.clean <= 0.5) cOnly++;
      }
      const n = clusters.length;
      const bt = this.baseTriggered.get(trigger);
      return {
        trigger,
        probes: n,
        clean_failure_rate: n ? clusters.reduce((a, c) => a + c.base, 0) / n : 0,
        triggered_failure_rate: n ? clusters.reduce((a, c) => a + c.candidate, 0) / n : 0,
        effect: clusterBootstrapDifference(clusters, {
          iterations: options.iterations,
          confidence: options.confidence,
          rng: createRng(options.seed),
        }),
        mcnemar: mcnemarExact(bOnly, cOnly),
        base_triggered_failure_rate: bt?.n ? bt.fail / bt.n : 0,
      };
    });
  }
}
