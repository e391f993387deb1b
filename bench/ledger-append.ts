/**
 * Ledger append throughput: `npx tsx bench/ledger-append.ts [--batched 50000] [--singles 2000]`.
 * SQLite (synchronous FULL) by default; PostgreSQL when TUNEGATE_BENCH_DATABASE_URL is set.
 * Targets on SQLite: >= 20,000 events/s batched, >= 2,000 events/s durable single appends.
 */
import { Ledger } from '../src/ledger/index.js';
import {
  benchEvent,
  benchKey,
  engine,
  numberArg,
  ORIGIN,
  openBenchDatabase,
} from './ledger-bench-support.js';

const batchedTotal = numberArg('batched', 50_000);
const singlesTotal = numberArg('singles', 2_000);
const BATCH = 1000;

async function freshLedger(name: string, synchronous: 'FULL' | 'NORMAL' = 'FULL') {
  const db = await openBenchDatabase(name, true, synchronous);
  return { db, ledger: await Ledger.open(db, { signer: await benchKey(), origin: ORIGIN }) };
}

// Events are built up front: the benchmark measures the ledger, not event construction.
const events = Array.from({ length: Math.max(batchedTotal, singlesTotal) }, (_, i) => benchEvent(i));

{
  const { db, ledger } = await freshLedger('append_batched');
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < batchedTotal; i += BATCH) await ledger.append(events.slice(i, i + BATCH));
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  // On a shared machine the wall clock includes waiting for a core; CPU-seconds do not.
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(
    `ledger-append [${engine}] batched (${BATCH}/call): ${batchedTotal} events in ${seconds.toFixed(2)} s = ${Math.round(batchedTotal / seconds)} events/s; ${Math.round(batchedTotal / cpuSeconds)} events per CPU-second (target >= 20000 on SQLite)`,
  );
  await db.close();
}

// SQLite also with synchronous = NORMAL (TUNEGATE_SQLITE_SYNCHRONOUS): durable against a
// crash of the process, not of the machine.
const modes = engine === 'sqlite' ? (['FULL', 'NORMAL'] as const) : (['FULL'] as const);
for (const [writers, synchronous] of modes.flatMap((m) => [1, 8].map((w) => [w, m] as const))) {
  const { db, ledger } = await freshLedger(`append_single_${writers}`, synchronous);
  let next = 0;
  const started = performance.now();
  // Each writer awaits every append before sending the next: one durable event per call.
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < singlesTotal) {
        const event = events[next++];
        if (event) await ledger.append([event]);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `ledger-append [${engine}${engine === 'sqlite' ? ` synchronous=${synchronous}` : ''}] durable single appends, ${writers} concurrent writer(s): ${singlesTotal} events in ${seconds.toFixed(2)} s = ${Math.round(singlesTotal / seconds)} events/s (target >= 2000 on SQLite)`,
  );
  const check = await ledger.verify();
  if (!check.ok || check.size !== singlesTotal) throw new Error(`log check failed: ${check.reason}`);
  await db.close();
}
