/**
 * Full verification speed: `npx tsx bench/ledger-verify.ts [--events 1000000]`.
 * SQLite by default; PostgreSQL when TUNEGATE_BENCH_DATABASE_URL is set.
 * Target: >= 300,000 events/s at 1,000,000 events.
 */
import { engine, ledgerOfSize, numberArg } from './ledger-bench-support.js';

const events = numberArg('events', 1_000_000);
const { db, ledger } = await ledgerOfSize(events);
const runs: number[] = [];
const rounds = numberArg('runs', 2);
for (let run = 0; run < rounds; run++) {
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const result = await ledger.verify();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  // CPU seconds of all threads of this process: on a shared, oversubscribed machine the wall
  // clock mostly measures waiting for a core, so both are printed.
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  if (!result.ok) throw new Error(`verification failed: ${result.reason}`);
  runs.push(result.size / seconds);
  console.log(
    `run ${run + 1}: ${result.size} events in ${seconds.toFixed(2)} s wall = ${Math.round(result.size / seconds)} events/s; ${cpuSeconds.toFixed(1)} CPU-s = ${Math.round(result.size / cpuSeconds)} events per CPU-second`,
  );
}
console.log(
  `ledger-verify [${engine}] ${events} events: best ${Math.round(Math.max(...runs))} events/s (target >= 300000)`,
);
await db.close();
