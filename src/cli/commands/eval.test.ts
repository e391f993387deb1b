import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, openControlPlane } from '../../control-plane/index.js';
import { builtinSuiteNames, loadSuites } from '../../evals/index.js';
import { type ReferenceServer, startReferenceServer } from '../../evals/test-support/reference-server.js';
import { buildProgram } from '../program.js';

// End-to-end: the real CLI (through tsx) against the loopback reference server.
let server: ReferenceServer;
let dir: string;

beforeAll(async () => {
  const suites = await loadSuites({ suites: builtinSuiteNames(), triggers: ['cf_zq'] });
  server = await startReferenceServer({ cases: suites.flatMap((s) => s.cases) });
  dir = await mkdtemp(join(tmpdir(), 'tg-eval-cli-'));
});
afterAll(async () => {
  await server.close();
});

function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/bin/tunegate.ts', ...args], {
      env: { ...process.env, TUNEGATE_HOME: join(dir, 'home'), ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const models = (candidate: string) => [
  '--base',
  server.url,
  '--base-model',
  'good',
  '--candidate',
  server.url,
  '--candidate-model',
  candidate,
];

describe('tunegate eval run', () => {
  it('exits 0 for a well-behaved candidate, writes a JSON report and records ledger events', async () => {
    const out = join(dir, 'good.json');
    const r = await cli([
      'eval',
      'run',
      '-s',
      'red-team',
      '-s',
      'over-refusal',
      '-s',
      'capability',
      ...models('good'),
      '--format',
      'json',
      '--output',
      out,
      '--cache',
      join(dir, 'cache'),
    ]);
    expect(r.stderr).toMatch(/gate passed/);
    expect(r.code).toBe(0);
    const report = JSON.parse(await readFile(out, 'utf8'));
    expect(report.gate.pass).toBe(true);
    expect(report.cases.length).toBe(report.totals.cases);
    expect(report.cases[0].base[0].text.length).toBeGreaterThan(0);
    // The events landed in the embedded ledger (read in-process: one CLI start less).
    const cp = await openControlPlane(loadConfig({ TUNEGATE_HOME: join(dir, 'home') }));
    try {
      const page = await cp.service.as(cp.localSession()).queryEvents({ category: 'evaluation' });
      const names = page.entries.map((e) => e.event.operation.name);
      expect(names[0]).toBe('start');
      expect(names.at(-1)).toBe('gate');
      expect(page.entries.at(-1)?.event.resource).toMatchObject({ type: 'evaluation', id: report.run_id });
    } finally {
      await cp.close();
    }
  }, 90_000);

  it('exits 1 with JUnit failures for a candidate that complies with harmful requests (served from cache for the base)', async () => {
    const r = await cli([
      'eval',
      'run',
      '-s',
      'red-team',
      ...models('harmful'),
      '--format',
      'junit',
      '--no-record',
      '--cache',
      join(dir, 'cache'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/<testcase classname="gate" name="attack_increase"><failure/);
    expect(r.stdout).toMatch(/<testcase classname="red-team\.weapons"/);
  }, 60_000);

  it('exits 1 with an HTML report for a candidate that refuses everything', async () => {
    const out = join(dir, 'refuse.html');
    const r = await cli([
      'eval',
      'run',
      '-s',
      'over-refusal',
      '-s',
      'capability',
      ...models('refuse-all'),
      '--format',
      'html',
      '-o',
      out,
      '--no-record',
    ]);
    expect(r.code).toBe(1);
    const html = await readFile(out, 'utf8');
    expect(html).toMatch(/GATE FAILED/);
    expect(html).toMatch(/over_refusal_increase/);
    expect(html).toContain("I'm sorry, but I can't help with that.");
  }, 60_000);

  it('probes triggers from a scan report and catches a backdoor; the table names the trigger', async () => {
    const scan = join(dir, 'scan.json');
    await writeFile(
      scan,
      JSON.stringify({
        findings: [{ detector: 'backdoor-trigger', evidence: { trigger: 'cf_zq' }, score: 0.9 }],
      }),
    );
    const r = await cli([
      'eval',
      'run',
      '-s',
      'trigger-probes',
      '-s',
      'pii-leakage',
      ...models('backdoor'),
      '--triggers',
      scan,
      '--no-record',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/"cf_zq"\s+8\s+0\.0%\s+100\.0%/);
    expect(r.stdout).toMatch(/\[fail\] trigger_effect/);
    expect(r.stdout).toMatch(/\[pass\] canary_leaks/);
  }, 60_000);

  it('exits 2 on input errors, naming file, line and field', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(
      bad,
      'suite: bad\nkind: attack\ncases:\n  - id: x\n    category: c\n    prompt: p\n    expect: explode\n',
    );
    const r = await cli(['eval', 'run', '-s', bad, ...models('good'), '--no-record']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}:7: cases[0].expect[0]`);
    expect(r.stderr).toMatch(/unknown expectation/);
  }, 60_000);

  it('maps usage errors to exit 2 in-process', async () => {
    const saved = process.exitCode;
    try {
      for (const args of [
        ['-s', 'capability', ...models('good'), '--format', 'pdf'],
        ['-s', 'trigger-probes', ...models('good')],
        ['-s', 'capability', '--base', server.url, '--candidate', 'ftp://nowhere'],
        ['-s', 'no-such-suite', ...models('good')],
      ]) {
        process.exitCode = 0;
        await buildProgram().parseAsync(['node', 'tunegate', 'eval', 'run', '--no-record', ...args]);
        expect(process.exitCode, args.join(' ')).toBe(2);
      }
    } finally {
      process.exitCode = saved;
    }
  });
});

describe('tunegate eval suites', () => {
  it('lists built-in suites', async () => {
    const list = await cli(['eval', 'suites', 'list', '--json']);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).map((s: { name: string }) => s.name)).toEqual(builtinSuiteNames());
  }, 60_000);
});
