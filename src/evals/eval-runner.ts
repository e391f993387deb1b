import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { TOOL_VERSION } from '../contracts/tool-version.js';
import { type CaseResult, failures, type SampleResult } from './case-result.js';
import { decideGate } from './eval-gate.js';
import { MetricsAccumulator } from './eval-metrics.js';
import type { EvalReport } from './eval-report.js';
import { EvaluationError } from './evaluation-error.js';
import type { EventSink } from './event-sink.js';
import type { GateConfig } from './gate-config.js';
import { GraderSet } from './graders/grader-set.js';
import type { ModelClient } from './providers/model-client.js';
import type { EvalCase } from './suites/eval-case.js';
import type { LoadedSuite } from './suites/suite-loader.js';
import { CASE_KINDS } from './suites/suite-schema.js';

export interface EvalRunOptions {
  suites: readonly LoadedSuite[];
  base: ModelClient;
  candidate: ModelClient;
  graders: GraderSet;
  gate: GateConfig;
  /** Samples per case and side (>1 for sampled decoding; clustered in the statistics). */
  samples?: number;
  /** Requests in flight at once, across both models. */
  concurrency?: number;
  /** Where per-case transcripts are streamed (JSONL). Omit to keep none. */
  transcriptsFile?: string;
  /** Records `evaluation` events; omit to record nothing. */
  sink?: EventSink;
  bootstrap?: { iterations: number; seed: number };
  /** Minimum detectable difference (points) for the sample-size hint; default: each kind's gate threshold. */
  mddPoints?: number;
  /** How many worst regressions the report keeps with transcripts. */
  worstRegressions?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

interface Pending {
  result: CaseResult;
  remaining: number;
  /** Joined once per case: it is graded 2 x samples times. */
  prompt: string;
}

/** Transcript bytes (UTF-16 code units) gathered before one write to the file. */
const TRANSCRIPT_CHUNK = 64 * 1024;

/** Aborts a run whose endpoints are clearly down instead of retrying every case. */
const ABORT_AFTER_ERRORS = 20;

/**
 * Runs every case on base and candidate (same cases, paired), grades responses,
 * streams transcripts to disk and aggregates metrics incrementally, so memory stays
 * flat however many cases run. Returns the report with the gate decision.
 */
export async function runEvaluation(options: EvalRunOptions): Promise<EvalReport> {
  const samples = options.samples ?? 1;
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const runId = randomUUID();
  const startedAt = new Date();
  const cases: EvalCase[] = options.suites.flatMap((s) => s.cases);
  const seenKeys = new Set<string>();
  for (const c of cases) {
    if (seenKeys.has(c.key))
      throw new EvaluationError(
        'eval.invalid_suite',
        `case ${c.key} appears twice (same suite given twice?)`,
        {
          details: { file: c.source.file, line: c.source.line },
        },
      );
    seenKeys.add(c.key);
  }
  // Only needed for the check above; the workers' closures would otherwise keep it alive.
  seenKeys.clear();
  const suitesInfo = options.suites.map((s) => ({ name: s.name, file: s.file, cases: s.cases.length }));
  const resource = {
    type: 'evaluation',
    id: runId,
    base: options.base.provider.label,
    candidate: options.candidate.provider.label,
    suites: suitesInfo.map((s) => s.name),
  };
  await options.sink?.record({
    operation: { category: 'evaluation', name: 'start' },
    resource: { ...resource, cases: cases.length, samples },
    context: {},
  });

  const acc = new MetricsAccumulator();
  const out: WriteStream | undefined = options.transcriptsFile
    ? createWriteStream(options.transcriptsFile, { encoding: 'utf8' })
    : undefined;
  const outError = new Promise<never>((_, reject) => {
    out?.on('error', (err) =>
      reject(
        new EvaluationError('eval.output_failed', `cannot write transcripts: ${err.message}`, { cause: err }),
      ),
    );
  });
  outError.catch(() => undefined);
  const worstK = options.worstRegressions ?? 10;
  const worst: { score: number; result: CaseResult }[] = [];
  const pending = new Map<number, Pending>();
  let drained: Promise<void> | undefined;
  const total = cases.length * samples * 2;
  let done = 0;
  // Per side: one dead endpoint must stop the run even while the other answers fine.
  const errors = { base: 0, candidate: 0 };
  const successes = { base: 0, candidate: 0 };
  const abort = new AbortController();
  // Every in-flight request listens on the run's signal; concurrency can exceed the default 10.
  setMaxListeners(0, abort.signal);
  const onOuter = () => abort.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onOuter, { once: true });
  let fatal: unknown;

  // Transcript lines are batched into ~64 KiB writes: one stream write per case costs
  // more than serialising the case at thousands of cases per second.
  let buffered = '';
  const flush = (): Promise<void> | undefined => {
    if (!out || buffered.length === 0) return undefined;
    const chunk = buffered;
    buffered = '';
    if (out.write(chunk)) return undefined;
    // One shared wait per backpressure episode, however many workers are blocked on it.
    drained ??= new Promise<void>((resolve) =>
      out.once('drain', () => {
        drained = undefined;
        resolve();
      }),
    );
    return Promise.race([drained, outError]);
  };

  /** Aggregates a finished case; returns a promise only when the transcript file pushes back. */
  const finishCase = (p: Pending): Promise<void> | undefined => {
    acc.add(p.result);
    const n = p.result.base.length;
    const score = (failures(p.result.candidate) - failures(p.result.base)) / n;
    if (score > 0 && (worst.length < worstK || score > (worst[worst.length - 1]?.score ?? 0))) {
      worst.push({ score, result: p.result });
      worst.sort((a, b) => b.score - a.score);
      if (worst.length > worstK) worst.pop();
    }
    if (!out) return undefined;
    buffered += `${JSON.stringify(p.result)}\n`;
    return buffered.length >= TRANSCRIPT_CHUNK ? flush() : undefined;
  };

  // Task t is case floor(t / perCase), sample (t % perCase) >> 1, base when t is even.
  const perCase = samples * 2;
  let nextTask = 0;

  const worker = async (): Promise<void> => {
    for (;;) {
      if (abort.signal.aborted) return;
      const task = nextTask++;
      if (task >= total) return;
      const index = Math.floor(task / perCase);
      const sample = (task % perCase) >> 1;
      const side = task % 2 === 0 ? 'base' : 'candidate';
      const evalCase = cases[index] as EvalCase;
      let p = pending.get(index);
      if (!p) {
        p = {
          remaining: perCase,
          prompt: GraderSet.promptOf(evalCase),
          result: {
            key: evalCase.key,
            suite: evalCase.suite,
            id: evalCase.id,
            category: evalCase.category,
            kind: evalCase.kind,
            tags: evalCase.tags,
            source: evalCase.source,
            // Left undefined (so JSON omits it) rather than spread in: a conditional spread
            // costs microseconds per case on Node 20.
            trigger: evalCase.trigger,
            messages: evalCase.messages,
            base: new Array<SampleResult>(samples),
            candidate: new Array<SampleResult>(samples),
          },
        };
        pending.set(index, p);
      }
      const client = side === 'base' ? options.base : options.candidate;
      let sampleResult: SampleResult;
      try {
        const r = await client.generate({ messages: evalCase.messages, sample }, abort.signal);
        const outcome = options.graders.grade(evalCase, r.text, p.prompt);
        // Built-in graders answer synchronously; only a judge model needs awaiting.
        const graded = outcome instanceof Promise ? await outcome : outcome;
        sampleResult = {
          sample,
          text: r.text,
          pass: graded.pass,
          grades: graded.grades,
          cached: r.cached,
          latency_ms: Math.round(r.latencyMs),
        };
        successes[side]++;
      } catch (err) {
        if (abort.signal.aborted) return;
        errors[side]++;
        sampleResult = {
          sample,
          text: '',
          pass: null,
          grades: [],
          cached: false,
          latency_ms: 0,
          error: (err as Error).message,
        };
        if (errors[side] >= ABORT_AFTER_ERRORS && errors[side] > successes[side]) {
          fatal = new EvaluationError(
            'eval.provider_unavailable',
            `aborting: ${errors[side]} ${side} requests failed (last: ${(err as Error).message})`,
            { cause: err },
          );
          abort.abort(fatal);
          return;
        }
      }
      p.result[side][sample] = sampleResult;
      p.remaining--;
      done++;
      options.onProgress?.(done, total);
      if (p.remaining === 0) {
        pending.delete(index);
        const backpressure = finishCase(p);
        if (backpressure) await backpressure;
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, total)) }, worker));
  } finally {
    options.signal?.removeEventListener('abort', onOuter);
    if (out) {
      if (buffered.length > 0) out.write(buffered);
      await new Promise<void>((resolve) => out.end(resolve));
    }
  }
  if (fatal) throw fatal;
  if (options.signal?.aborted)
    throw new EvaluationError('eval.provider_failed', 'evaluation aborted', { cause: options.signal.reason });

  const confidence = options.gate.confidence;
  const { kinds, categories, triggers } = acc.finish(options.graders, {
    confidence,
    iterations: options.bootstrap?.iterations ?? 2000,
    seed: options.bootstrap?.seed ?? 1,
    mddPoints:
      options.mddPoints === undefined
        ? options.gate.max_increase_points
        : Object.fromEntries(CASE_KINDS.map((k) => [k, options.mddPoints as number])),
  });
  const gate = decideGate(options.gate, {
    kinds,
    triggers,
    leaks: acc.leaks,
    requests: acc.requests,
    erroredRequests: acc.erroredRequests,
  });
  const finishedAt = new Date();
  const report: EvalReport = {
    tool: { name: 'tunegate', version: TOOL_VERSION },
    run_id: runId,
    started_at: startedAt.toISOString(),
    finished_at: finishedAt.toISOString(),
    base: { label: options.base.provider.label },
    candidate: { label: options.candidate.provider.label },
    suites: suitesInfo,
    samples,
    confidence,
    totals: {
      cases: acc.cases,
      errored_cases: acc.erroredCases,
      requests: acc.requests,
      errored_requests: acc.erroredRequests,
      cached_requests: acc.cachedRequests,
      duration_ms: finishedAt.getTime() - startedAt.getTime(),
    },
    kinds,
    categories,
    triggers,
    leaks: acc.leaks,
    gate,
    worst_regressions: worst.map((w) => w.result),
  };
  if (options.sink) {
    for (const k of kinds) {
      await options.sink.record({
        operation: { category: 'evaluation', name: 'result' },
        resource: { ...resource, kind: k.kind },
        context: {
          metrics: {
            cases: k.cases,
            base_failure_rate: k.base_corrected,
            candidate_failure_rate: k.candidate_corrected,
            difference: k.difference,
            mcnemar_p: k.mcnemar.p,
          },
        },
      });
    }
    await options.sink.record({
      operation: { category: 'evaluation', name: 'gate' },
      resource,
      context: {
        decision: gate.pass ? 'pass' : 'fail',
        rules: gate.rules.map((r) => ({
          rule: r.rule,
          status: r.status,
          value: r.value,
          threshold: r.threshold,
        })),
        risk_signals: { gate_pass: gate.pass, canary_leaks: acc.leaks.canary.candidate },
      },
    });
  }
  return report;
}
