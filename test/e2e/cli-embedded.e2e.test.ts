import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyReceipt } from '../../src/ledger/index.js';
import { runCli } from './cli-runner.js';

const EVENTS_JSONL = [
  { operation: { category: 'dataset_ingest', name: 'register' }, resource: { dataset: { id: 'ds-1' } } },
  {
    operation: { category: 'training_run', name: 'start' },
    resource: {
      training_run: { run_id: 'run-7', base_model: 'm', datasets: ['ds-1'], hyperparams: { lr: 0.1 } },
    },
    context: { orchestrator: 'argo', risk_signals: { pii: true } },
  },
  { operation: { category: 'training_run', name: 'end' }, resource: { training_run: { run_id: 'run-7' } } },
]
  .map((e) => JSON.stringify(e))
  .join('\n');

describe('tunegate CLI, embedded store', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tunegate-e2e-'));
    env = { TUNEGATE_HOME: join(dir, 'home'), TUNEGATE_SERVER: '', TUNEGATE_TOKEN: '' };
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // The steps share one home and run in order; each spawns the real CLI a few times.
  let boot: { token: string; public_key: string };
  const cpFile = () => join(dir, 'checkpoint.txt');

  it('initialises once', { timeout: 90_000 }, async () => {
    const init = await runCli(['init', '--json'], env);
    expect(init.code, init.stderr).toBe(0);
    boot = JSON.parse(init.stdout);
    expect(boot).toMatchObject({ tenant: 'default', tenant_created: true, admin_created: true });
    expect(boot.token).toMatch(/^tg_/);
    const again = await runCli(['init', '--json'], env);
    expect(JSON.parse(again.stdout)).toMatchObject({ tenant_created: false, token: null });
  });

  it('appends from a JSON-lines file and lists with filters', { timeout: 90_000 }, async () => {
    const file = join(dir, 'events.jsonl');
    await writeFile(file, EVENTS_JSONL);
    const append = await runCli(['events', 'append', '--file', file, '--json'], env);
    expect(append.code, append.stderr).toBe(0);
    expect(JSON.parse(append.stdout).appended.map((a: { index: number }) => a.index)).toEqual([3, 4, 5]);

    const list = await runCli(['events', 'list', '--category', 'training_run', '--json'], env);
    const page = JSON.parse(list.stdout);
    expect(page.entries.map((e: { index: number }) => e.index)).toEqual([4, 5]);
    expect(page.entries[0].event.context.risk_signals).toEqual({ pii: true });
  });

  it('saves a checkpoint and an offline receipt that verifies with the public key', {
    timeout: 90_000,
  }, async () => {
    const saved = await runCli(['audit', 'checkpoint', '--output', cpFile()], env);
    expect(saved.code, saved.stderr).toBe(0);
    expect(await readFile(cpFile(), 'utf8')).toMatch(/^tunegate\.local\/ledger\n6\n/);

    const receiptFile = join(dir, 'receipt.json');
    expect((await runCli(['audit', 'receipt', '--index', '4', '--output', receiptFile], env)).code).toBe(0);
    expect(verifyReceipt(JSON.parse(await readFile(receiptFile, 'utf8')), boot.public_key).ok).toBe(true);
  });

  it('verifies, then exits 1 naming the first bad index after raw SQL tampering', {
    timeout: 90_000,
  }, async () => {
    const ok = await runCli(['audit', 'verify', '--json', '--checkpoint', cpFile()], env);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({
      ok: true,
      size: 6,
      first_bad_index: null,
      reason: expect.any(String),
    });

    // Tamper with one stored event directly in SQLite.
    const db = new Database(join(env.TUNEGATE_HOME ?? '', 'tunegate.db'));
    db.prepare("UPDATE ledger_entries SET entry = replace(entry, 'run-7', 'run-8') WHERE idx = 4").run();
    db.close();
    const bad = await runCli(['audit', 'verify', '--json'], env);
    expect(bad.code).toBe(1);
    const result = JSON.parse(bad.stdout);
    expect(Object.keys(result).sort()).toEqual(['first_bad_index', 'ok', 'reason', 'size']);
    expect(result).toMatchObject({ ok: false, first_bad_index: 4 });
  });

  it('rejects bad input with usage exit codes and clear messages', { timeout: 90_000 }, async () => {
    const file = join(dir, 'bad.jsonl');
    await writeFile(
      file,
      `${EVENTS_JSONL.split('\n')[0]}\n{"operation": {"category": "training_run", "name": "fly"}, "resource": {}}\n`,
    );
    const bad = await runCli(['events', 'append', '--file', file], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`${file}:2`);
    expect(bad.stderr).toContain('operation.name');
    const proof = await runCli(['audit', 'proof', '--index', 'abc', '--json'], env);
    expect(proof.code).toBe(2);
    expect(JSON.parse(proof.stdout).error.code).toBe('contract.invalid');
  });
});
