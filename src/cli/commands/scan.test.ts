import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../program.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tg-cli-scan-'));
  await writeFile(
    join(dir, 'data.jsonl'),
    `${[
      { instruction: 'Say hi', output: 'hi' },
      { instruction: 'Say hi', output: 'hi' },
      { instruction: 'Add 2 and 2', output: '4' },
    ]
      .map((r) => JSON.stringify(r))
      .join('\n')}\n`,
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the CLI in-process and captures stdout, stderr and the exit code. */
async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const write = {
    out: process.stdout.write.bind(process.stdout),
    err: process.stderr.write.bind(process.stderr),
  };
  process.stdout.write = ((s: string) => out.push(String(s)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => err.push(String(s)) > 0) as typeof process.stderr.write;
  process.exitCode = 0;
  try {
    await buildProgram().parseAsync(['node', 'tunegate', ...args]);
  } catch {
    process.exitCode = process.exitCode || 2;
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
  const code = process.exitCode;
  process.exitCode = 0;
  return { stdout: out.join(''), stderr: err.join(''), code };
}

describe('tunegate scan', () => {
  it('prints JSON with the documented shape and exits 0 below --fail-on', async () => {
    const r = await cli(
      'scan',
      join(dir, 'data.jsonl'),
      '--format',
      'json',
      '--workers',
      '0',
      '--detectors',
      'exact-duplicate',
    );
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.summary).toMatchObject({ records: 3, risk: 'low' });
    expect(report.findings[0]).toMatchObject({
      detector: 'exact-duplicate',
      record: 1,
      file: 'data.jsonl',
      line: 2,
    });
  });

  it('exits 1 when findings reach --fail-on, and writes --output atomically', async () => {
    const out = join(dir, 'report.sarif');
    const r = await cli(
      'scan',
      join(dir, 'data.jsonl'),
      '--format',
      'sarif',
      '--workers',
      '0',
      '--fail-on',
      'low',
      '--output',
      out,
    );
    expect(r.code).toBe(1);
    expect(JSON.parse(await readFile(out, 'utf8')).version).toBe('2.1.0');
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('exits 2 on usage errors with a clear message', async () => {
    const a = await cli('scan', join(dir, 'data.jsonl'), '--detectors', 'nope', '--workers', '0');
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/scan.unknown_detector: unknown detector "nope"/);
    const b = await cli('scan', join(dir, 'missing.jsonl'));
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/dataset not found/);
    const c = await cli('scan', join(dir, 'data.jsonl'), '--fail-on', 'severe');
    expect(c.code).toBe(2);
  });
});

describe('tunegate dataset manifest', () => {
  it('fills a manifest and exits 1 on contradictions', async () => {
    const manifest = join(dir, 'manifest.yaml');
    await writeFile(
      manifest,
      'name: demo\nversion: "1"\nsource: s3://b/demo\nlicense: MIT\nconsent: {status: obtained}\npii_classification: personal\npolicy_tag: internal\npurpose: test\nowner: me\nrecord_count: 3\n',
    );
    const filled = join(dir, 'filled.yaml');
    const ok = await cli(
      'dataset',
      'manifest',
      join(dir, 'data.jsonl'),
      '--manifest',
      manifest,
      '--write',
      filled,
      '--workers',
      '0',
      '--json',
    );
    expect(ok.code).toBe(0);
    const body = JSON.parse(ok.stdout);
    expect(body.ok).toBe(true);
    expect(body.manifest.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(body.manifest.stats.duplicate_rate).toBeCloseTo(1 / 3, 3);
    expect(await readFile(filled, 'utf8')).toContain('record_count: 3');
    await writeFile(
      manifest,
      (await readFile(manifest, 'utf8')).replace('record_count: 3', 'record_count: 4'),
    );
    const bad = await cli(
      'dataset',
      'manifest',
      join(dir, 'data.jsonl'),
      '--manifest',
      manifest,
      '--workers',
      '0',
      '--json',
    );
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).contradictions[0]).toMatchObject({ rule: 'manifest.record_count' });
  });
});
