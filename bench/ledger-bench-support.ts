/**
 * Shared setup for the ledger benchmarks: opens SQLite (temp file, synchronous FULL)
 * or, when TUNEGATE_BENCH_DATABASE_URL is set, a PostgreSQL database, and builds
 * (or reuses) a ledger of a given size.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { EventEnvelope } from '../src/contracts/event.js';
import { newEvent } from '../src/ledger/event-factory.js';
import { Ledger } from '../src/ledger/index.js';
import { SigningKey } from '../src/ledger/signing-key.js';
import { type Database, PostgresDatabase, SqliteDatabase } from '../src/store/index.js';

export const ORIGIN = 'bench.tunegate/log';
const CACHE = join(tmpdir(), 'tunegate-ledger-bench');

/** Which engine the benchmarks run on. */
export const pgUrl = process.env.TUNEGATE_BENCH_DATABASE_URL || undefined;
export const engine = pgUrl ? 'postgres' : 'sqlite';

/** A realistic event (about 400 bytes of canonical JSON). */
export function benchEvent(i: number): EventEnvelope {
  return newEvent(
    {
      operation: { category: 'training_run', name: i % 10 === 0 ? 'start' : 'heartbeat' },
      resource: {
        training_run: {
          run_id: `run-${Math.floor(i / 10)}`,
          base_model: 'meta-llama/Llama-3.1-8B',
          datasets: ['support-tickets@3', 'faq@1'],
          hyperparams: { lr: 0.0002, epochs: 3, lora_r: 16 },
          step: i,
        },
      },
      context: { orchestrator: 'airflow', risk_signals: { pii: false, poison_score: 0.01 } },
    },
    { tenant: `tenant-${i % 4}`, actor: { id: 'runner-7', type: 'runner' } },
  );
}

async function freshPgDatabase(name: string, drop: boolean): Promise<string> {
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  try {
    const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount ?? 0;
    if (exists && drop) await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
    if (!exists || drop) await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(pgUrl as string);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Opens a database for `name`; `fresh` drops what a previous run left. */
export async function openBenchDatabase(
  name: string,
  fresh: boolean,
  synchronous: 'FULL' | 'NORMAL' = 'FULL',
): Promise<Database> {
  if (pgUrl) {
    return PostgresDatabase.open({
      url: await freshPgDatabase(`tunegate_bench_${name}`, fresh),
      maxConnections: 12,
    });
  }
  mkdirSync(CACHE, { recursive: true });
  const path = join(CACHE, `${name}.db`);
  if (fresh) {
    for (const suffix of ['', '-wal', '-shm']) {
      if (existsSync(path + suffix)) {
        const { rmSync } = await import('node:fs');
        rmSync(path + suffix);
      }
    }
  }
  return SqliteDatabase.open({ path, synchronous });
}

export async function benchKey(): Promise<SigningKey> {
  mkdirSync(CACHE, { recursive: true });
  return SigningKey.loadOrCreate(join(CACHE, 'bench.key'), ORIGIN);
}

/** A ledger holding at least `size` events, built once and reused by later runs. */
export async function ledgerOfSize(size: number): Promise<{ db: Database; ledger: Ledger }> {
  const db = await openBenchDatabase(`size_${size}`, false);
  const ledger = await Ledger.open(db, { signer: await benchKey(), origin: ORIGIN });
  let have = await ledger.size();
  if (have < size) {
    const started = performance.now();
    process.stderr.write(`building a ${size}-event ledger on ${engine} (once; reused by later runs)...\n`);
    const batch = 5000;
    while (have < size) {
      const n = Math.min(batch, size - have);
      await ledger.append(Array.from({ length: n }, (_, i) => benchEvent(have + i)));
      have += n;
      if (have % 100_000 === 0) process.stderr.write(`  ${have}\n`);
    }
    process.stderr.write(`built in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  }
  return { db, ledger };
}

/** p-th percentile (0..100) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** The `--name value` command-line option as a number. */
export function numberArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}
