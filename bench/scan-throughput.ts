/**
 * Scan throughput on the SpamAssassin-derived corpus (build it first with
 * `npx tsx bench/corpus-build.ts`). Each stage runs in its own process so its
 * peak RSS (process-wide, including worker threads) is measured alone.
 *
 *   npx tsx bench/scan-throughput.ts [--corpus bench/.data/spam-corpus.jsonl] [--workers 2] [--runs 2]
 *                                    [--stages near-duplicate,all-issue-3]
 */
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { scanDataset } from '../src/scan/engine/scan-engine.js';

const args = process.argv.slice(2);
const flag = (name: string, def: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] ?? def) : def;
};
const corpus = flag('--corpus', 'bench/.data/spam-corpus.jsonl');
const workers = Number(flag('--workers', '2'));
const STAGES: Record<string, string[]> = {
  'near-duplicate': ['near-duplicate'],
  'all-issue-3': ['exact-duplicate', 'near-duplicate', 'label-consistency', 'embedding-outlier'],
};

const stage = flag('--stage', '');
if (stage) {
  const detectors = STAGES[stage];
  if (!detectors) throw new Error(`unknown stage ${stage}`);
  const bytes = statSync(corpus).size;
  // The machine may be shared: the load average says how much of it this run had.
  const loadStart = loadavg()[0] ?? 0;
  const t0 = performance.now();
  const result = await scanDataset(corpus, {
    workers,
    detectors,
    detectorOptions: { 'near-duplicate': { num_perm: 128, threshold: 0.8 } },
  });
  const secs = (performance.now() - t0) / 1000;
  // Process-wide CPU time (all threads): on a shared machine, MB per CPU-second x cores
  // is what the scan reaches with the cores to itself.
  const cpu = process.cpuUsage();
  const cpuSecs = (cpu.user + cpu.system) / 1e6;
  const rssMb = process.resourceUsage().maxRSS / 1024;
  console.log(
    JSON.stringify({
      stage,
      mb: +(bytes / 1048576).toFixed(1),
      seconds: +secs.toFixed(2),
      mb_per_s: +(bytes / 1048576 / secs).toFixed(1),
      records_per_s: Math.round(result.records / secs),
      records: result.records,
      peak_rss_mb: Math.round(rssMb),
      cpu_seconds: +cpuSecs.toFixed(1),
      cpu_user_seconds: +(cpu.user / 1e6).toFixed(1),
      load_start: +loadStart.toFixed(1),
      load_end: +(loadavg()[0] ?? 0).toFixed(1),
      mb_per_cpu_s_x_cores: +((bytes / 1048576 / cpuSecs) * Math.max(1, workers)).toFixed(1),
      findings: result.report.summary.by_detector,
    }),
  );
} else {
  const runs = Number(flag('--runs', '2'));
  const self = fileURLToPath(import.meta.url);
  const only = flag('--stages', Object.keys(STAGES).join(',')).split(',');
  for (const name of Object.keys(STAGES).filter((n) => only.includes(n))) {
    const results = [];
    for (let r = 0; r < runs; r++) {
      const out = execFileSync(
        process.execPath,
        [...process.execArgv, self, '--stage', name, '--corpus', corpus, '--workers', String(workers)],
        {
          encoding: 'utf8',
          maxBuffer: 1 << 24,
        },
      );
      results.push(JSON.parse(out.trim().split('\n').pop() ?? '{}'));
    }
    const best = results.reduce((a, b) => (b.mb_per_s > a.mb_per_s ? b : a));
    console.log(
      `${name}: best of ${runs}: ${best.mb_per_s} MB/s wall, ${best.records_per_s} records/s, peak RSS ${best.peak_rss_mb} MB, CPU ${best.cpu_seconds} s -> ${best.mb_per_cpu_s_x_cores} MB/s on ${workers} dedicated cores (${best.mb} MB, ${best.records} records, ${best.seconds} s); all runs MB/s: ${results.map((x) => x.mb_per_s).join(', ')}; all runs CPU s: ${results.map((x) => x.cpu_seconds).join(', ')}; load average during the best run ${best.load_start}-${best.load_end}`,
    );
    console.log(`  findings: ${JSON.stringify(best.findings)}`);
  }
}
