/**
 * One scan of the built package (`dist/`, plain JavaScript: no TypeScript loader in the
 * main thread or the workers), as a user's `tunegate scan` runs it. Started by
 * bench/scan-content.ts with `--dist`; prints one JSON line: wall and process CPU seconds
 * (all threads), peak RSS and findings per detector.
 *
 *   node bench/scan-engine-child.mjs CORPUS WORKERS DETECTOR[,DETECTOR...]
 */
import { statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { scan } from '../dist/index.js';

const [corpus, workers, ids] = process.argv.slice(2);
if (!corpus || !workers || !ids) {
  console.error('usage: node bench/scan-engine-child.mjs CORPUS WORKERS DETECTOR[,DETECTOR...]');
  process.exit(2);
}
const mb = statSync(corpus).size / 1048576;
const loadStart = loadavg()[0] ?? 0;
const t0 = performance.now();
const result = await scan.scanDataset(corpus, { workers: Number(workers), detectors: ids.split(',') });
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage();
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
console.log(
  JSON.stringify({
    corpus,
    build: 'dist',
    workers: Number(workers),
    mb: +mb.toFixed(1),
    seconds: +seconds.toFixed(2),
    mb_per_s: +(mb / seconds).toFixed(1),
    cpu_seconds: +cpuSeconds.toFixed(1),
    mb_per_cpu_s: +(mb / cpuSeconds).toFixed(1),
    records_per_s: Math.round(result.records / seconds),
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    findings: result.report.summary.by_detector,
    load_start: +loadStart.toFixed(1),
    load_end: +(loadavg()[0] ?? 0).toFixed(1),
  }),
);
