/**
 * Full verification speed: `npx tsx bench/ledger-verify.ts [--events 1000000]`.
 * SQLite by default; PostgreSQL when TUNEGATE_BENCH_DATABASE_URL is set.
 * Target: >= 300,000 events/s at 1,000,000 events.
 */
import { engine, ledgerOfSize, numberArg } from './ledger-bench-support.js';

const events = numberArg('events', 1_000_000);
const { db, ledger } = await ledgerOfSize(events);
const runs: number[] = [];
for (let run = 0; run < 3; run++) {
  const started = performance.now();
  const result = await ledger.verify();
  const seconds = (performance.now() - started) / 1000;
  if (!result.ok) throw new Error(`verification failed: ${result.reason}`);
  runs.push(result.size / seconds);
  console.log(
    `run ${run + 1}: ${result.size} events in ${seconds.toFixed(2)} s = ${Math.round(result.size / seconds)} events/s`,
  );
}
console.log(
  `ledger-verify [${engine}] ${events} events: best ${Math.round(Math.max(...runs))} events/s (target >= 300000)`,
);
await db.close();
