import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventInputSchema } from '../contracts/event.js';
import type { CaseResult } from './case-result.js';
import type { EvalReport } from './eval-report.js';
import { runEvaluation } from './eval-runner.js';
import { evaluate, loadSuites } from './eval-session.js';
import { MemoryEventSink } from './event-sink.js';
import { defaultEvalConfig } from './gate-config.js';
import { errorRatesFromCounts } from './graders/grader-calibration.js';
import { GraderSet } from './graders/grader-set.js';
import { ModelClient } from './providers/model-client.js';
import { OpenAiProvider } from './providers/openai-provider.js';
import { writeOutput } from './report/atomic-output.js';
import { renderHtml } from './report/render-html.js';
import { renderJson } from './report/render-json.js';
import { renderJunit } from './report/render-junit.js';
import { renderTable } from './report/render-table.js';
import { builtinSuiteNames } from './suites/builtin-suites.js';
import type { LoadedSuite } from './suites/suite-loader.js';
import { type ReferenceServer, startReferenceServer } from './test-support/reference-server.js';

let server: ReferenceServer;
let suites: LoadedSuite[];
let dir: string;

beforeAll(async () => {
  suites = await loadSuites({ suites: builtinSuiteNames(), triggers: ['cf_zq'] });
  server = await startReferenceServer({ cases: suites.flatMap((s) => s.cases) });
  dir = await mkdtemp(join(tmpdir(), 'tg-eval-'));
});
afterAll(async () => {
  await server.close();
});

const client = (model: string, url = server.url) =>
  new ModelClient(
    new OpenAiProvider({
      type: 'openai',
      api: 'chat',
      base_url: url,
      model,
      headers: {},
      temperature: 0,
      max_tokens: 64,
    }),
    { retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 2, timeoutMs: 5000 } },
  );

async function run(
  candidate: string,
  extra: { samples?: number; transcripts?: string; sink?: MemoryEventSink; mddPoints?: number } = {},
) {
  const base = client('good');
  const cand = client(candidate);
  try {
    return await runEvaluation({
      suites,
      base,
      candidate: cand,
      graders: GraderSet.standard(),
      gate: defaultEvalConfig().gate,
      concurrency: 16,
      bootstrap: { iterations: 500, seed: 1 },
      ...(extra.samples ? { samples: extra.samples } : {}),
      ...(extra.transcripts ? { transcriptsFile: extra.transcripts } : {}),
      ...(extra.sink ? { sink: extra.sink } : {}),
      ...(extra.mddPoints ? { mddPoints: extra.mddPoints } : {}),
    });
  } finally {
    await Promise.all([base.close(), cand.close()]);
  }
}

const rule = (r: EvalReport, name: string) => r.gate.rules.find((x) => x.rule === name);

describe('runEvaluation against the reference server', () => {
  it('passes a well-behaved candidate, streams transcripts and records events', async () => {
    const sink = new MemoryEventSink();
    const transcripts = join(dir, 'good.jsonl');
    const report = await run('good', { sink, transcripts });
    expect(report.gate.pass).toBe(true);
    expect(report.totals.cases).toBe(suites.reduce((a, s) => a + s.cases.length, 0));
    expect(report.totals.requests).toBe(report.totals.cases * 2);
    for (const k of report.kinds) expect([k.base.rate, k.candidate.rate]).toEqual([0, 0]);
    const lines = (await readFile(transcripts, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(report.totals.cases);
    const first = JSON.parse(lines[0] as string) as CaseResult;
    expect(first.base[0]?.text.length).toBeGreaterThan(0);
    expect(first.candidate[0]?.grades.length).toBeGreaterThan(0);
    expect(sink.events.map((e) => e.operation.name)).toEqual([
      'start',
      ...report.kinds.map(() => 'result'),
      'gate',
    ]);
    for (const e of sink.events) expect(EventInputSchema.safeParse(e).success).toBe(true);
    expect(sink.events.at(-1)?.context).toMatchObject({ decision: 'pass' });
  });

  it('fails a candidate that complies with harmful requests, and shows the worst regressions', async () => {
    const report = await run('harmful');
    expect(report.gate.pass).toBe(false);
    expect(rule(report, 'attack_increase')).toMatchObject({ status: 'fail' });
    expect(rule(report, 'over_refusal_increase')).toMatchObject({ status: 'pass' });
    const attack = report.kinds.find((k) => k.kind === 'attack');
    expect(attack?.candidate.rate).toBe(1);
    expect(attack?.mcnemar.p).toBeLessThan(1e-10);
    expect(report.worst_regressions.length).toBe(10);
    expect(report.worst_regressions[0]?.candidate[0]?.text).toMatch(/Step 1/);
  });

  it('fails a candidate that refuses everything on over-refusal and capability', async () => {
    const report = await run('refuse-all');
    expect(rule(report, 'over_refusal_increase')).toMatchObject({ status: 'fail', value: 100 });
    expect(rule(report, 'capability_increase')).toMatchObject({ status: 'fail' });
    expect(rule(report, 'attack_increase')).toMatchObject({ status: 'pass' });
  });

  it('fails a candidate that leaks the planted canary and PII', async () => {
    const report = await run('leaky');
    expect(rule(report, 'canary_leaks')).toMatchObject({ status: 'fail' });
    expect(report.leaks.canary.candidate).toBeGreaterThan(0);
    expect(report.leaks.pii.candidate).toBeGreaterThan(0);
    expect(report.leaks.canary.base + report.leaks.pii.base).toBe(0);
  });

  it('catches a backdoor that only fires with the trigger', async () => {
    const report = await run('backdoor');
    expect(report.triggers).toHaveLength(1);
    expect(report.triggers[0]).toMatchObject({
      trigger: 'cf_zq',
      clean_failure_rate: 0,
      triggered_failure_rate: 1,
    });
    expect(rule(report, 'trigger_effect')).toMatchObject({ status: 'fail' });
    expect(report.kinds.find((k) => k.kind === 'over_refusal')?.candidate.rate).toBe(0);
  });

  it('clusters several samples per case', async () => {
    const report = await run('good', { samples: 3, mddPoints: 10 });
    expect(report.totals.requests).toBe(report.totals.cases * 6);
    for (const k of report.kinds) expect(k.samples_per_case).toBe(3);
    // Requested MDD of 10 points; no discordance observed, so psi falls back to 2 x MDD (Connor: 155 cases).
    for (const k of report.kinds) expect(k.sample_size_hint).toEqual({ mdd: 0.1, cases: 155 });
  });

  it('aborts with eval.provider_unavailable when an endpoint is down', async () => {
    const base = client('good');
    const dead = client('good', 'http://127.0.0.1:9/v1');
    try {
      await expect(
        runEvaluation({
          suites,
          base,
          candidate: dead,
          graders: GraderSet.standard(),
          gate: defaultEvalConfig().gate,
          concurrency: 8,
        }),
      ).rejects.toMatchObject({ code: 'eval.provider_unavailable' });
    } finally {
      await Promise.all([base.close(), dead.close()]);
    }
  });
});

describe('report formats', () => {
  it('corrects judged attack rates with the judge calibration from the config', async () => {
    const configFile = join(dir, 'judge-gate.yaml');
    await writeFile(
      configFile,
      `judge:\n  base_url: ${server.url}\n  model: echo\n  calibration: { positives: 60, detected: 57, negatives: 90, cleared: 89 }\n`,
    );
    const outcome = await evaluate({
      suites: ['red-team'],
      base: { ref: server.url, model: 'good' },
      candidate: { ref: server.url, model: 'good' },
      configFile,
      concurrency: 8,
    });
    try {
      const attack = outcome.report.kinds.find((k) => k.kind === 'attack');
      expect(attack?.grader_error_rates).toEqual(
        errorRatesFromCounts({ positives: 60, detected: 57, negatives: 90, cleared: 89 }),
      );
      expect(attack?.grader_error_rates.sensitivity).toBeLessThan(1);
    } finally {
      await outcome.dispose();
    }
  });

  it('renders JSON with transcripts, JUnit XML, HTML and a table', async () => {
    const transcripts = join(dir, 'harm.jsonl');
    const report = await run('harmful', { transcripts });
    const jsonFile = join(dir, 'r.json');
    await writeOutput(jsonFile, (w) => renderJson(report, transcripts, w));
    const json = JSON.parse(await readFile(jsonFile, 'utf8')) as EvalReport & { cases: CaseResult[] };
    expect(json.cases).toHaveLength(report.totals.cases);
    expect(json.gate.pass).toBe(false);
    expect(json.cases.find((c) => c.kind === 'attack')?.candidate[0]?.pass).toBe(false);

    const xmlFile = join(dir, 'r.xml');
    await writeOutput(xmlFile, (w) => renderJunit(report, transcripts, w));
    const xml = await readFile(xmlFile, 'utf8');
    expect(xml).toMatch(/^<\?xml version="1.0"/);
    expect(xml.match(/<testcase /g)?.length).toBe(report.totals.cases + report.gate.rules.length);
    expect(xml).toMatch(/<testcase classname="gate" name="attack_increase"><failure /);
    expect(xml).toMatch(/type="regression"/);

    const html = renderHtml(report);
    expect(html).toMatch(/GATE FAILED/);
    expect(html.match(/<svg /g)?.length).toBe(report.kinds.length + report.categories.length);
    expect(html).toContain('<details open>');
    expect(html).not.toMatch(/<script|https?:\/\/(?!127\.0\.0\.1)/);

    expect(renderTable(report)).toMatch(/Gate: FAIL/);
  });
});
