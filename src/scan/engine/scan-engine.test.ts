import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScanReportSchema } from '../../contracts/finding.js';
import { loadScanConfig } from '../scan-config.js';
import { formatProgress } from './progress.js';
import { reportFailsAt, scanDataset } from './scan-engine.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tg-engine-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function corpus(n: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    lines.push(
      JSON.stringify({
        instruction: `Task number ${i} about topic ${i % 17} with detail ${(i * 7919) % 1000}`,
        output: `Answer ${i}`,
      }),
    );
  }
  lines.push(lines[3] as string); // one exact duplicate at the end
  lines.push('{broken');
  return `${lines.join('\n')}\n`;
}

describe('scanDataset', () => {
  it('gives the same report with worker threads as on the main thread, in dataset order', async () => {
    const path = join(dir, 'data.jsonl');
    await writeFile(path, corpus(300));
    const inline = await scanDataset(path, { workers: 0, detectors: ['exact-duplicate', 'near-duplicate'] });
    const threaded = await scanDataset(path, {
      workers: 2,
      batchSize: 16,
      detectors: ['exact-duplicate', 'near-duplicate'],
    });
    ScanReportSchema.parse(threaded.report);
    expect(threaded.report.findings).toEqual(inline.report.findings);
    expect(threaded.records).toBe(301);
    const dup = threaded.report.findings.find((f) => f.detector === 'exact-duplicate');
    expect(dup).toMatchObject({ record: 300, file: 'data.jsonl', line: 301, evidence: { duplicate_of: 3 } });
    const bad = threaded.report.findings.find((f) => f.rule === 'reader.malformed-json');
    expect(bad).toMatchObject({ record: 301, line: 302, severity: 'medium' });
    expect(threaded.report.dataset?.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(threaded.stats).toMatchObject({ record_shape: 'instruction', malformed_records: 1 });
    expect(reportFailsAt(threaded.report, 'medium')).toBe(true);
    expect(reportFailsAt(threaded.report, 'high')).toBe(false);
  });

  it('reads raw line batches in workers like records on the main thread, with any detector', async () => {
    const path = join(dir, 'mixed.jsonl');
    const bad = Buffer.from([0x7b, 0x22, 0x74, 0x65, 0x78, 0x74, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]); // {"text":"\xff"}
    await writeFile(
      path,
      Buffer.concat([
        Buffer.from(`${corpus(40)}\r\n   \n`),
        bad,
        Buffer.from(`\n{"text":"${'long '.repeat(100)}"}\n{"text":"api key sk-test"}`),
      ]),
    );
    // `secrets` declares no module, so the workers load the whole registry for it.
    const detectors = ['exact-duplicate', 'near-duplicate', 'label-consistency', 'secrets'];
    const limits = { maxRecordBytes: 300 };
    const inline = await scanDataset(path, { workers: 0, detectors, limits });
    const threaded = await scanDataset(path, { workers: 2, batchSize: 4, detectors, limits });
    expect(threaded.report.findings).toEqual(inline.report.findings);
    expect(threaded.stats).toEqual(inline.stats);
    const rules = threaded.report.findings.map((f) => f.rule);
    expect(rules).toContain('reader.invalid-utf8');
    expect(rules).toContain('reader.record-too-long');
  });

  it('--strict fails fast on the first malformed record', async () => {
    const path = join(dir, 'strict.jsonl');
    await writeFile(path, '{"text":"a"}\nnope\n{"text":"b"}\n');
    await expect(scanDataset(path, { workers: 0, strict: true })).rejects.toMatchObject({
      code: 'scan.malformed_input',
      message: expect.stringMatching(/strict.jsonl:2/),
    });
  });

  it('stops cleanly when aborted', async () => {
    const path = join(dir, 'abort.jsonl');
    await writeFile(path, corpus(2000));
    const controller = new AbortController();
    const p = scanDataset(path, {
      workers: 2,
      batchSize: 8,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    controller.abort();
    await expect(p).rejects.toMatchObject({ code: 'scan.aborted' });
  });

  it('rejects bad detector options before reading anything', async () => {
    await expect(
      scanDataset(join(dir, 'missing.jsonl'), { detectorOptions: { 'near-duplicate': { threshold: 5 } } }),
    ).rejects.toMatchObject({
      code: 'scan.invalid_config',
      message: expect.stringMatching(/near-duplicate\.threshold/),
    });
  });

  it('formats a progress line with rate and ETA', () => {
    const line = formatProgress({
      bytesRead: 50 << 20,
      totalBytes: 100 << 20,
      records: 1000,
      elapsedMs: 2000,
    });
    expect(line).toMatch(/50% 50.0 MB\/100.0 MB 1000 records 500 rec\/s ETA 0:02/);
  });
});

describe('loadScanConfig', () => {
  it('names file, line and field of a bad detector option', async () => {
    const path = join(dir, 'scan.yaml');
    await writeFile(path, 'fail_on: high\noptions:\n  near-duplicate:\n    threshold: 1.5\n');
    await expect(loadScanConfig(path)).rejects.toMatchObject({
      code: 'scan.invalid_config',
      message: expect.stringMatching(/scan\.yaml:4: .*near-duplicate\.threshold/),
    });
    await writeFile(path, 'options:\n  nope: {}\n');
    await expect(loadScanConfig(path)).rejects.toMatchObject({
      message: expect.stringMatching(/scan\.yaml:2: options\.nope/),
    });
    await writeFile(path, 'fail_on: severe\n');
    await expect(loadScanConfig(path)).rejects.toMatchObject({
      message: expect.stringMatching(/scan\.yaml:1: fail_on/),
    });
    await writeFile(path, 'detectors: [near-duplicate]\noptions:\n  near-duplicate: {threshold: 0.9}\n');
    expect(await loadScanConfig(path)).toMatchObject({
      detectors: ['near-duplicate'],
      options: { 'near-duplicate': { threshold: 0.9 } },
    });
  });
});
