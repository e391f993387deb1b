import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createPostgresTarget,
  createSqliteTarget,
  type TestDatabaseTarget,
  testDatabaseUrl,
} from '../store/test-support/test-databases.js';
import { Ledger } from './ledger.js';
import { SigningKey } from './signing-key.js';

const WRITER = fileURLToPath(new URL('./test-support/append-writer.ts', import.meta.url));
const ORIGIN = 'tunegate.test/concurrency';
const engines: Array<[string, () => Promise<TestDatabaseTarget>]> = [
  ['SQLite', async () => createSqliteTarget()],
];
if (testDatabaseUrl) engines.push(['PostgreSQL', () => createPostgresTarget()]);
else
  console.info(
    'notice: TUNEGATE_TEST_DATABASE_URL is not set; multi-process ledger tests run on SQLite only',
  );

const keyDir = mkdtempSync(join(tmpdir(), 'tunegate-conc-'));
afterAll(() => rmSync(keyDir, { recursive: true, force: true }));

interface Writer {
  child: ChildProcess;
  acks: Map<number, string>;
  /** Resolves when the process exits (code or signal). */
  exited: Promise<void>;
  /** Resolves once at least `n` events were acknowledged. */
  acked(n: number): Promise<void>;
}

function startWriter(location: string, keyPath: string, events: number, tag: string): Writer {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', WRITER, location, keyPath, ORIGIN, String(events), '4', '3', tag],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const acks = new Map<number, string>();
  const waiters: Array<[number, () => void]> = [];
  let buffer = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      const [word, index, id] = line.split(' ');
      if (word !== 'ack') continue;
      expect(acks.has(Number(index)), `index ${index} acknowledged twice`).toBe(false);
      acks.set(Number(index), id as string);
    }
    for (const [n, resolve] of waiters) if (acks.size >= n) resolve();
  });
  const exited = new Promise<void>((resolve, reject) => {
    child.on('exit', (code, signal) => {
      if (code === 0 || signal === 'SIGKILL') resolve();
      else reject(new Error(`writer ${tag} exited with ${code ?? signal}: ${stderr}`));
    });
  });
  return {
    child,
    acks,
    exited,
    acked: (n) =>
      new Promise<void>((resolve, reject) => {
        if (acks.size >= n) resolve();
        else waiters.push([n, resolve]);
        exited.then(() => reject(new Error(`writer ${tag} ended before ${n} acks: ${stderr}`)), reject);
      }),
  };
}

/** Every acknowledged event is at the index it was acknowledged with, and the log verifies. */
async function expectIntact(ledger: Ledger, writers: readonly Writer[]): Promise<number> {
  const result = await ledger.verify();
  expect(result, result.reason).toMatchObject({ ok: true, first_bad_index: null });
  const seen = new Set<number>();
  for (const w of writers) {
    for (const [index, id] of w.acks) {
      expect(seen.has(index), `index ${index} reused`).toBe(false);
      seen.add(index);
      expect((await ledger.getByIndex(index))?.event.id).toBe(id);
    }
  }
  return seen.size;
}

describe.each(engines)('Ledger concurrency on %s', (_engine, createTarget) => {
  it('many processes, threads and async callers append without forking or losing events', async () => {
    const target = await createTarget();
    try {
      const keyPath = join(keyDir, `${_engine}-many.key`);
      const ledger = await Ledger.open(target.open(), {
        signer: await SigningKey.loadOrCreate(keyPath, ORIGIN),
        origin: ORIGIN,
      });
      const writers = ['p1', 'p2', 'p3'].map((tag) => startWriter(target.location, keyPath, 40, tag));
      const threadAcks = new Map<number, string>();
      const thread = new Promise<void>((resolve, reject) => {
        // Node 20 does not pass --import loaders to workers: register tsx inside the worker.
        const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(pathToFileURL(WRITER).href)}); })`;
        const worker = new Worker(boot, {
          eval: true,
          workerData: [target.location, keyPath, ORIGIN, '40', '4', '3', 'thread'],
        });
        worker.on('message', (line: string) => {
          const [word, index, id] = line.split(' ');
          if (word === 'ack') threadAcks.set(Number(index), id as string);
        });
        worker.on('error', reject);
        worker.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited ${code}`))));
      });
      // Meanwhile, async callers in this process.
      const { sampleEvent } = await import('./test-support/ledger-fixtures.js');
      const local = await Promise.all(
        Array.from({ length: 30 }, (_, i) => ledger.append([sampleEvent(i, 'acme', 'local')])),
      );
      await Promise.all([...writers.map((w) => w.exited), thread]);
      const localAcks = new Map(local.flat().map((e) => [e.index, e.id] as const));
      const all = [...writers, { acks: threadAcks } as Writer, { acks: localAcks } as Writer];
      const count = await expectIntact(ledger, all);
      expect(count).toBe(3 * 40 + 40 + 30);
      expect(await ledger.size()).toBe(count);
    } finally {
      await target.dispose();
    }
  }, 60_000);

  it('kill -9 of writers mid-append leaves a log that verifies with every acknowledged event', async () => {
    const target = await createTarget();
    try {
      const keyPath = join(keyDir, `${_engine}-kill.key`);
      const ledger = await Ledger.open(target.open(), {
        signer: await SigningKey.loadOrCreate(keyPath, ORIGIN),
        origin: ORIGIN,
      });
      const all: Writer[] = [];
      for (let round = 0; round < 3; round++) {
        const victim = startWriter(target.location, keyPath, 100_000, `victim-${round}`);
        const bystander = startWriter(target.location, keyPath, 15, `bystander-${round}`);
        all.push(victim, bystander);
        await victim.acked(5 + round * 7);
        // Let it run a random extra moment, then kill it wherever it is (often inside a commit).
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 40));
        victim.child.kill('SIGKILL');
        await Promise.all([victim.exited, bystander.exited]);
        expect(victim.child.signalCode).toBe('SIGKILL');
        await expectIntact(ledger, all);
      }
      // The log stays writable after the crashes.
      const { sampleEvent } = await import('./test-support/ledger-fixtures.js');
      const [after] = await ledger.append([sampleEvent(1)]);
      expect(after?.index).toBe((await ledger.size()) - 1);
      expect((await ledger.verify()).ok).toBe(true);
    } finally {
      await target.dispose();
    }
  }, 60_000);
});
