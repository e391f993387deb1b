import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContractError } from '../contracts/error.js';
import type { Database } from '../store/database.js';
import {
  createPostgresTarget,
  createSqliteTarget,
  type TestDatabaseTarget,
  testDatabaseUrl,
} from '../store/test-support/test-databases.js';
import { Ledger } from './ledger.js';
import { verifyLog } from './ledger-verifier.js';
import { hashLeaf, verifyConsistency, verifyInclusion } from './merkle-tree.js';
import { verifyReceipt } from './receipt.js';
import { openCheckpoint, parseVerifierKey } from './signed-note.js';
import { SigningKey } from './signing-key.js';
import { sampleEvent } from './test-support/ledger-fixtures.js';

const ORIGIN = 'tunegate.test/log';
const engines: Array<[string, () => Promise<TestDatabaseTarget>]> = [
  ['SQLite', async () => createSqliteTarget()],
];
if (testDatabaseUrl) engines.push(['PostgreSQL', () => createPostgresTarget()]);
else console.info('notice: TUNEGATE_TEST_DATABASE_URL is not set; ledger tests run on SQLite only');

const unhex = (h: string): Buffer => Buffer.from(h, 'hex');

describe.each(engines)('Ledger on %s', (_engine, createTarget) => {
  let target: TestDatabaseTarget;
  let db: Database;
  let key: SigningKey;
  let ledger: Ledger;

  beforeEach(async () => {
    target = await createTarget();
    db = target.open();
    key = SigningKey.generate(ORIGIN);
    ledger = await Ledger.open(db, { signer: key, origin: ORIGIN });
  });
  afterEach(async () => {
    await target.dispose();
  });

  /** Appends `n` events in batches of `batch`. */
  async function fill(n: number, batch = 7): Promise<void> {
    for (let i = 0; i < n; i += batch) {
      await ledger.append(Array.from({ length: Math.min(batch, n - i) }, (_, j) => sampleEvent(i + j)));
    }
  }

  it('starts with a signed empty checkpoint and appends with contiguous indices', async () => {
    expect(await ledger.size()).toBe(0);
    const empty = await ledger.latestCheckpoint();
    expect(empty.rootHash).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    const events = [sampleEvent(0), sampleEvent(1), sampleEvent(2)];
    const appended = await ledger.append(events);
    expect(appended.map((a) => a.index)).toEqual([0, 1, 2]);
    expect(appended.map((a) => a.id)).toEqual(events.map((e) => e.id));
    const entry = await ledger.getByIndex(1);
    expect(entry).toEqual({ index: 1, event: events[1] });
    expect(appended[1]?.leafHash).toBe(
      hashLeaf(JSON.stringify({ event: entry?.event, index: 1 })).toString('hex'),
    );
    expect(await ledger.getByIndex(3)).toBeNull();
    const cp = await ledger.latestCheckpoint();
    expect(cp.size).toBe(3);
    const opened = openCheckpoint(cp.text, parseVerifierKey(key.publicKey()));
    expect(opened).toMatchObject({ origin: ORIGIN, size: 3 });
    expect(opened.rootHash.toString('hex')).toBe(cp.rootHash);
    // Reopening (a second process) sees the same log and does not re-create the genesis checkpoint.
    const again = await Ledger.open(target.open(), { signer: key, origin: ORIGIN });
    expect(await again.size()).toBe(3);
    await expect(
      Ledger.open(target.open(), { signer: SigningKey.generate(ORIGIN), origin: ORIGIN }),
    ).rejects.toMatchObject({ code: 'ledger.invalid_checkpoint' });
  });

  it('group-commits concurrent callers without reusing an index', async () => {
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => ledger.append([sampleEvent(i)])));
    const indices = results.flat().map((r) => r.index);
    expect(new Set(indices).size).toBe(60);
    expect([...indices].sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(await ledger.size()).toBe(60);
    expect((await ledger.verify()).ok).toBe(true);
  });

  it('rejects invalid and duplicate events without writing anything, and spares other callers', async () => {
    const good = sampleEvent(0);
    await ledger.append([good]);
    const broken = { ...sampleEvent(1), operation: { category: 'training_run', name: 'explode' } };
    await expect(ledger.append([sampleEvent(2), broken as never])).rejects.toBeInstanceOf(ContractError);
    await expect(ledger.append([{ ...sampleEvent(3), id: good.id }])).rejects.toMatchObject({
      code: 'ledger.duplicate_event',
    });
    const twice = sampleEvent(4);
    await expect(ledger.append([twice, twice])).rejects.toMatchObject({ code: 'ledger.duplicate_event' });
    // In one group commit, the duplicate fails alone.
    const outcomes = await Promise.allSettled([
      ledger.append([sampleEvent(5)]),
      ledger.append([{ ...sampleEvent(6), id: good.id }]),
      ledger.append([sampleEvent(7)]),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await ledger.size()).toBe(3);
    expect((await ledger.verify()).ok).toBe(true);
  });

  it('serves inclusion and consistency proofs that verify against signed checkpoints', async () => {
    await fill(13, 5);
    const vkey = parseVerifierKey(key.publicKey());
    const cp13 = openCheckpoint((await ledger.latestCheckpoint()).text, vkey);
    await fill(0);
    await ledger.append(Array.from({ length: 20 }, (_, i) => sampleEvent(100 + i)));
    const cp33 = openCheckpoint((await ledger.latestCheckpoint()).text, vkey);
    expect(cp33.size).toBe(33);
    for (let i = 0; i < 33; i++) {
      const p = await ledger.inclusionProof(i);
      expect(p.treeSize).toBe(33);
      expect(verifyInclusion(i, 33, unhex(p.leafHash), p.hashes.map(unhex), cp33.rootHash)).toBe(true);
      if (i < 13) {
        const old = await ledger.inclusionProof(i, 13);
        expect(verifyInclusion(i, 13, unhex(old.leafHash), old.hashes.map(unhex), cp13.rootHash)).toBe(true);
      }
    }
    const c = await ledger.consistencyProof(13);
    expect(c).toMatchObject({ fromSize: 13, toSize: 33 });
    expect(verifyConsistency(13, 33, cp13.rootHash, cp33.rootHash, c.hashes.map(unhex))).toBe(true);
    expect(verifyConsistency(13, 33, cp33.rootHash, cp33.rootHash, c.hashes.map(unhex))).toBe(false);
    for (let m = 1; m <= 33; m++) {
      const proof = await ledger.consistencyProof(m, 33);
      expect(proof.hashes.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(33)));
    }
    await expect(ledger.inclusionProof(33)).rejects.toMatchObject({ code: 'ledger.not_found' });
    await expect(ledger.inclusionProof(-1)).rejects.toMatchObject({ code: 'ledger.invalid_index' });
    await expect(ledger.inclusionProof(1, 34)).rejects.toMatchObject({ code: 'ledger.invalid_index' });
    await expect(ledger.consistencyProof(20, 10)).rejects.toMatchObject({ code: 'ledger.invalid_index' });
    await expect(ledger.consistencyProof(1.5)).rejects.toMatchObject({ code: 'ledger.invalid_index' });
  });

  it('issues receipts anyone can verify offline with the public key alone', async () => {
    await fill(21, 4);
    const receipt = JSON.parse(JSON.stringify(await ledger.receipt(9))) as Awaited<
      ReturnType<Ledger['receipt']>
    >;
    const pub = key.publicKey();
    expect(verifyReceipt(receipt, pub)).toMatchObject({ ok: true });
    expect(verifyReceipt({ ...receipt, entry: receipt.entry.replace('acme', 'acmf') }, pub).ok).toBe(false);
    expect(verifyReceipt({ ...receipt, index: 8 }, pub).ok).toBe(false);
    const hashes = [...receipt.inclusion.hashes];
    hashes[0] = (hashes[0] as string).replace(/^./, (c) => (c === '0' ? '1' : '0'));
    expect(verifyReceipt({ ...receipt, inclusion: { ...receipt.inclusion, hashes } }, pub).ok).toBe(false);
    expect(verifyReceipt(receipt, SigningKey.generate(ORIGIN).publicKey()).ok).toBe(false);
    expect(
      verifyReceipt({ ...receipt, checkpoint: receipt.checkpoint.replace('\n21\n', '\n22\n') }, pub).ok,
    ).toBe(false);
    await expect(ledger.receipt(21)).rejects.toMatchObject({ code: 'ledger.not_found' });
  });

  it('queries by tenant with filters and cursor pagination', async () => {
    await ledger.append(
      Array.from({ length: 30 }, (_, i) => sampleEvent(i, i % 5 === 0 ? 'globex' : 'acme')),
    );
    const all: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await ledger.query({ tenant: 'acme', limit: 7, ...(cursor ? { cursor } : {}) });
      expect(page.entries.length).toBeLessThanOrEqual(7);
      all.push(...page.entries.map((e) => e.index));
      for (const e of page.entries) expect(e.event.tenant).toBe('acme');
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(all).toEqual(Array.from({ length: 30 }, (_, i) => i).filter((i) => i % 5 !== 0));
    const starts = await ledger.query({ tenant: 'acme', category: 'training_run', name: 'start' });
    expect(starts.entries.map((e) => e.index)).toEqual([4, 8, 12, 16, 24, 28]);
    const byActor = await ledger.query({ tenant: 'acme', actor: 'user-1' });
    expect(byActor.entries.every((e) => e.event.actor.id === 'user-1')).toBe(true);
    expect(byActor.entries.length).toBeGreaterThan(0);
    const run = await ledger.query({ tenant: 'acme', resource_id: 'run-3' });
    // run-3 is events 12 (start) and 15 (end); 15 belongs to globex.
    expect(run.entries.map((e) => e.index)).toEqual([12]);
    const t = (await ledger.getByIndex(12))?.event.time as string;
    const later = await ledger.query({ tenant: 'acme', since: '2999-01-01T00:00:00Z' });
    expect(later.entries).toEqual([]);
    const window = await ledger.query({ tenant: 'acme', since: t, until: '2999-01-01T00:00:00Z' });
    expect(window.entries.length).toBeGreaterThan(0);
    expect(window.entries.every((e) => e.event.time >= t)).toBe(true);
    expect((await ledger.query({ tenant: 'initech' })).entries).toEqual([]);
    await expect(ledger.query({ tenant: 'acme', limit: 1001 })).rejects.toMatchObject({
      code: 'ledger.invalid_query',
    });
    await expect(ledger.query({ tenant: 'acme', cursor: 'zzz' })).rejects.toMatchObject({
      code: 'ledger.invalid_query',
    });
    await expect(ledger.query({ tenant: 'acme', category: 'nope' as never })).rejects.toMatchObject({
      code: 'ledger.invalid_query',
    });
  });

  it('exports jsonl lines equal to the stored entries', async () => {
    await fill(9, 4);
    const lines: string[] = [];
    for await (const line of ledger.export('jsonl', { tenant: 'acme' })) lines.push(line);
    expect(lines).toHaveLength(9);
    for (const [i, line] of lines.entries()) {
      expect(line.endsWith('\n')).toBe(true);
      expect(JSON.parse(line)).toEqual(await ledger.getByIndex(i));
      expect(hashLeaf(line.slice(0, -1)).toString('hex')).toBe((await ledger.inclusionProof(i)).leafHash);
    }
  });

  describe('verify', () => {
    beforeEach(async () => {
      await fill(40, 6);
    });

    it('accepts an intact log and a saved checkpoint it extends', async () => {
      const saved = (await ledger.latestCheckpoint()).text;
      await fill(10, 3);
      expect(await ledger.verify()).toEqual({
        ok: true,
        size: 50,
        first_bad_index: null,
        reason: expect.stringContaining('verified 50 entries'),
      });
      expect((await ledger.verify({ checkpoint: saved })).ok).toBe(true);
      await expect(ledger.verify({ checkpoint: 'garbage' })).rejects.toMatchObject({
        code: 'ledger.invalid_checkpoint',
      });
    });

    const tamperings: Array<[string, string[], number, RegExp]> = [
      [
        'a modified entry',
        [`UPDATE ledger_entries SET entry = REPLACE(entry, 'user-', 'user-x') WHERE idx = 17`],
        17,
        /entry 17 was modified/,
      ],
      ['a deleted entry', ['DELETE FROM ledger_entries WHERE idx = 11'], 11, /entry 11 is missing/],
      ['a deleted last entry', ['DELETE FROM ledger_entries WHERE idx = 39'], 39, /entry 39 is missing/],
      [
        'an inserted entry',
        [
          `INSERT INTO ledger_entries (idx, entry, leaf_hash)
           SELECT 40, REPLACE(REPLACE(entry, '"index":39', '"index":40'), event_id, 'a-new-id'), leaf_hash
           FROM ledger_entries WHERE idx = 39`,
        ],
        40,
        /not covered by any signed checkpoint/,
      ],
      [
        'two swapped entries',
        [
          'UPDATE ledger_entries SET idx = -1 WHERE idx = 5',
          'UPDATE ledger_entries SET idx = 5 WHERE idx = 6',
          'UPDATE ledger_entries SET idx = 6 WHERE idx = -1',
        ],
        5,
        /entry 5 is not bound to index 5/,
      ],
    ];
    for (const [what, statements, firstBad, reason] of tamperings) {
      it(`finds ${what}`, async () => {
        for (const sql of statements) await db.execute(sql);
        const result = await ledger.verify();
        expect(result).toMatchObject({ ok: false, first_bad_index: firstBad });
        expect(result.reason).toMatch(reason);
        // Small pages: full pages take the fast read path (no indices read), the rest the exact one.
        const key0 = parseVerifierKey(key.publicKey());
        for (const pageSize of [1, 4, 8, 16, 64]) {
          for (const threaded of [false, true]) {
            expect(await verifyLog(db, { key: key0, origin: ORIGIN, threaded, pageSize })).toEqual(result);
          }
        }
      });
    }

    it('finds missing, stray and altered subtree hash rows', async () => {
      const key0 = parseVerifierKey(key.publicKey());
      const check = async (firstBad: number, reason: RegExp): Promise<void> => {
        const result = await ledger.verify();
        expect(result).toMatchObject({ ok: false, first_bad_index: firstBad });
        expect(result.reason).toMatch(reason);
        for (const pageSize of [1, 4, 7, 64]) {
          expect(await verifyLog(db, { key: key0, origin: ORIGIN, pageSize })).toEqual(result);
        }
      };
      // Level 2, index 3 (leaves 12..15): id = 15 * 64 + 2.
      await db.execute('DELETE FROM ledger_nodes WHERE id = $1', [15 * 64 + 2]);
      await check(15, /subtree hash \(level 2, index 3\) completed by entry 15 is missing/);
      await db.execute('INSERT INTO ledger_nodes (id, hash) VALUES ($1, $2)', [
        15 * 64 + 2,
        Buffer.alloc(32),
      ]);
      await check(12, /stored subtree hash \(level 2, index 3\) does not match/);
      await db.execute('DELETE FROM ledger_nodes WHERE id = $1', [15 * 64 + 2]);
      await db.execute('INSERT INTO ledger_nodes (id, hash) VALUES ($1, $2)', [
        15 * 64 + 7,
        Buffer.alloc(32),
      ]);
      await check(15, /subtree hash \(level 2, index 3\) completed by entry 15 is missing/);
    });

    it('accepts an intact log with any page size', async () => {
      const key0 = parseVerifierKey(key.publicKey());
      const whole = await ledger.verify();
      expect(whole.ok).toBe(true);
      for (const pageSize of [1, 3, 4, 40, 41]) {
        expect(await verifyLog(db, { key: key0, origin: ORIGIN, pageSize })).toEqual(whole);
      }
    });

    it('gives the same answers with leaves hashed on a worker thread', async () => {
      const key0 = parseVerifierKey(key.publicKey());
      expect(await verifyLog(db, { key: key0, origin: ORIGIN, threaded: true })).toMatchObject({
        ok: true,
        size: 40,
      });
      await db.execute(`UPDATE ledger_entries SET entry = REPLACE(entry, 'user-', 'user-y') WHERE idx = 33`);
      expect(await verifyLog(db, { key: key0, origin: ORIGIN, threaded: true })).toMatchObject({
        ok: false,
        first_bad_index: 33,
      });
    });

    it('finds an entry rewritten together with its leaf hash', async () => {
      const [row] = await db.query<{ entry: string }>('SELECT entry FROM ledger_entries WHERE idx = 21');
      const forged = (row as { entry: string }).entry.replace('s3://bucket/', 's3://evil/');
      expect(forged).not.toBe(row?.entry);
      await db.execute('UPDATE ledger_entries SET entry = $1, leaf_hash = $2 WHERE idx = 21', [
        forged,
        hashLeaf(forged),
      ]);
      const result = await ledger.verify();
      expect(result.ok).toBe(false);
      // The level-1 subtree over entries 20..21 no longer matches: the damage is within it.
      expect(result.first_bad_index).toBe(20);
      expect(result.reason).toMatch(/subtree hash/);
    });

    it('derives query columns from the signed bytes so they cannot be rewritten', async () => {
      await expect(
        db.execute(`UPDATE ledger_entries SET tenant = 'globex' WHERE idx = 23`),
      ).rejects.toMatchObject({
        code: 'store.query_failed',
      });
      await expect(
        db.execute(`INSERT INTO ledger_entries (idx, entry, leaf_hash) VALUES (40, 'not json', $1)`, [
          Buffer.alloc(32),
        ]),
      ).rejects.toBeDefined();
      const [row] = await db.query<{ tenant: string; resource_id: string | null; time: string }>(
        'SELECT tenant, resource_id, time FROM ledger_entries WHERE idx = 4',
      );
      const event = (await ledger.getByIndex(4))?.event;
      expect(row).toEqual({ tenant: event?.tenant, resource_id: 'run-1', time: event?.time });
      expect((await ledger.verify()).ok).toBe(true);
    });

    it('finds entries moved with their embedded index kept', async () => {
      // Re-number rows 30.. as 31.. and fill the gap with a copy: contiguous, but bound to the wrong index.
      await db.execute('UPDATE ledger_entries SET idx = idx + 100 WHERE idx >= 30');
      await db.execute('UPDATE ledger_entries SET idx = idx - 99 WHERE idx >= 130');
      await db.execute(
        `INSERT INTO ledger_entries (idx, entry, leaf_hash)
         SELECT 30, REPLACE(entry, event_id, 'copied-id'), leaf_hash FROM ledger_entries WHERE idx = 29`,
      );
      const [copy] = await db.query<{ entry: string }>('SELECT entry FROM ledger_entries WHERE idx = 30');
      await db.execute('UPDATE ledger_entries SET leaf_hash = $1 WHERE idx = 30', [
        hashLeaf((copy as { entry: string }).entry),
      ]);
      const result = await ledger.verify();
      expect(result).toMatchObject({ ok: false, first_bad_index: 30 });
      expect(result.reason).toMatch(/entry 30 is not bound to index 30/);
    });

    it('finds a rollback behind a saved checkpoint', async () => {
      const [old] = await db.query<{ note: string }>('SELECT note FROM ledger_checkpoints WHERE size = 36');
      expect(old).toBeUndefined(); // only retained checkpoints survive; an attacker re-inserts an old public one
      const vkey = parseVerifierKey(key.publicKey());
      // Build the log as it was at size 30 from a fresh copy, then truncate the real one to it.
      const note30 = await (async () => {
        const copyTarget = await createTarget();
        try {
          const copy = copyTarget.open();
          const copyLedger = await Ledger.open(copy, { signer: key, origin: ORIGIN });
          const rows = await db.query<{ entry: string }>(
            'SELECT entry FROM ledger_entries WHERE idx < 30 ORDER BY idx',
          );
          await copyLedger.append(rows.map((r) => (JSON.parse(r.entry) as { event: never }).event));
          return (await copyLedger.latestCheckpoint()).text;
        } finally {
          await copyTarget.dispose();
        }
      })();
      expect(openCheckpoint(note30, vkey).size).toBe(30);
      const saved = (await ledger.latestCheckpoint()).text;
      await db.execute('DELETE FROM ledger_entries WHERE idx >= 30');
      await db.execute('DELETE FROM ledger_nodes WHERE id >= $1', [30 * 64]);
      await db.execute('DELETE FROM ledger_checkpoints WHERE size > 0');
      await db.execute(
        'INSERT INTO ledger_checkpoints (size, root_hash, note, retained) VALUES (30, $1, $2, 0)',
        [openCheckpoint(note30, vkey).rootHash, note30],
      );
      expect((await ledger.verify()).ok).toBe(true); // internally consistent...
      const result = await ledger.verify({ checkpoint: saved }); // ...but behind what we saw
      expect(result).toMatchObject({ ok: false, size: 30, first_bad_index: 30 });
      expect(result.reason).toMatch(/rolled back/);
    });

    it('finds a forked log that contradicts a saved checkpoint of the same size', async () => {
      const saved = (await ledger.latestCheckpoint()).text;
      const forkTarget = await createTarget();
      try {
        const fork = await Ledger.open(forkTarget.open(), { signer: key, origin: ORIGIN });
        await fork.append(Array.from({ length: 40 }, (_, i) => sampleEvent(i)));
        const result = await fork.verify({ checkpoint: saved });
        expect(result).toMatchObject({ ok: false, first_bad_index: 0 });
        expect(result.reason).toMatch(/supplied checkpoint/);
      } finally {
        await forkTarget.dispose();
      }
    });

    it('finds a forged checkpoint row and refuses to append on a damaged log', async () => {
      await db.execute('DELETE FROM ledger_entries WHERE idx = 39');
      await expect(ledger.append([sampleEvent(99)])).rejects.toMatchObject({ code: 'ledger.corrupt' });
      await db.execute(
        `UPDATE ledger_checkpoints SET note = REPLACE(note, '\n40\n', '\n39\n') WHERE size = 40`,
      );
      const result = await ledger.verify();
      expect(result.ok).toBe(false);
      expect(result.reason).toMatch(/stored checkpoint at size 40/);
    });
  });
});
