import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database, Migration } from './database.js';
import { StoreError } from './store-error.js';
import type { TestDatabaseTarget } from './test-support/test-databases.js';

/**
 * The storage contract every adapter must satisfy. `sqlite-database.test.ts` and
 * `postgres-database.test.ts` register it with their own throwaway targets.
 */
export function registerDatabaseContract(
  name: string,
  createTarget: () => Promise<TestDatabaseTarget>,
): void {
  describe(`${name}: Database contract`, () => {
    let target: TestDatabaseTarget;
    let db: Database;

    beforeEach(async () => {
      target = await createTarget();
      db = target.open();
    });
    afterEach(async () => {
      await target.dispose();
    });

    const valuesTable: Migration = {
      version: 1,
      name: 'values table',
      sqlite:
        'CREATE TABLE vals (id INTEGER PRIMARY KEY, t TEXT, i BIGINT, f REAL, b BLOB, flag INTEGER, note TEXT)',
      postgres:
        'CREATE TABLE vals (id BIGINT PRIMARY KEY, t TEXT, i BIGINT, f DOUBLE PRECISION, b BYTEA, flag INTEGER, note TEXT)',
    };

    it('runs queries and reports changed rows', async () => {
      await db.migrate('contract', [valuesTable]);
      const inserted = await db.execute('INSERT INTO vals (id, t) VALUES ($1, $2), ($3, $4)', [
        1,
        'a',
        2,
        'b',
      ]);
      expect(inserted.changes).toBe(2);
      const updated = await db.execute('UPDATE vals SET note = $1 WHERE id >= $2', ['x', 1]);
      expect(updated.changes).toBe(2);
      expect(await db.query('SELECT id, t, note FROM vals ORDER BY id')).toEqual([
        { id: 1, t: 'a', note: 'x' },
        { id: 2, t: 'b', note: 'x' },
      ]);
      expect(await db.query('SELECT id FROM vals WHERE id = $1', [99])).toEqual([]);
    });

    it('round-trips parameters of every type', async () => {
      await db.migrate('contract', [valuesTable]);
      const backing = new Uint8Array([9, 0, 1, 255, 128, 7]);
      const view = backing.subarray(1, 5); // a view with an offset must bind only its own bytes
      const rows: Array<[number, string, number | bigint, number, Uint8Array, boolean, string | null]> = [
        [1, 'plain', 42, 1.5, Buffer.from([1, 2, 3]), true, null],
        [2, "ünïcode ✓ \u{1F600} 'quoted' $1", 2n ** 53n - 1n, -0.25, view, false, 'note'],
        [3, '', Number.MAX_SAFE_INTEGER, 1e-300, new Uint8Array(0), true, ''],
        [4, 'big', 3_000_000_000, 0, new Uint8Array([0]), false, null],
      ];
      for (const r of rows) {
        await db.execute(
          'INSERT INTO vals (id, t, i, f, b, flag, note) VALUES ($1, $2, $3, $4, $5, $6, $7)',
          r,
        );
      }
      const out = await db.query<{
        id: number;
        t: string;
        i: number;
        f: number;
        b: Uint8Array;
        flag: number;
        note: string | null;
      }>('SELECT id, t, i, f, b, flag, note FROM vals ORDER BY id');
      expect(out.map((r) => r.id)).toEqual([1, 2, 3, 4]);
      for (const [k, r] of out.entries()) {
        const want = rows[k] as (typeof rows)[number];
        expect(r.t).toBe(want[1]);
        expect(typeof r.i).toBe('number');
        expect(r.i).toBe(Number(want[2]));
        expect(r.f).toBe(want[3]);
        expect(Buffer.from(r.b).equals(Buffer.from(want[4]))).toBe(true);
        expect(r.flag).toBe(want[5] ? 1 : 0);
        expect(r.note).toBe(want[6]);
      }
      // Placeholders reused, out of order and past $9; a '$1' inside a literal stays a literal.
      const twelve = Array.from({ length: 12 }, (_, k) => k + 1);
      const sum = twelve.map((_, k) => `${k % 2 === 0 ? '-' : '+'} CAST($${12 - k} AS INTEGER)`).join(' ');
      const [hit] = await db.query<{ id: number; lit: string }>(
        `SELECT id, '$1' AS lit FROM vals WHERE id = 7 ${sum} AND CAST($1 AS INTEGER) = 1`,
        twelve,
      );
      expect(hit).toEqual({ id: 1, lit: '$1' });
      const [byBlob] = await db.query<{ id: number }>('SELECT id FROM vals WHERE b = $1', [
        new Uint8Array([0, 1, 255, 128]),
      ]);
      expect(byBlob?.id).toBe(2);
    });

    it('commits a transaction and returns its value; rolls back when the callback throws', async () => {
      await db.migrate('contract', [valuesTable]);
      const value = await db.transaction(async (tx) => {
        await tx.execute('INSERT INTO vals (id, t) VALUES ($1, $2)', [1, 'kept']);
        const rows = await tx.query<{ t: string }>('SELECT t FROM vals WHERE id = $1', [1]);
        return rows[0]?.t;
      });
      expect(value).toBe('kept');
      const boom = new Error('boom');
      await expect(
        db.transaction(async (tx) => {
          await tx.execute('INSERT INTO vals (id, t) VALUES ($1, $2)', [2, 'lost']);
          await tx.execute('UPDATE vals SET t = $1 WHERE id = $2', ['changed', 1]);
          throw boom;
        }),
      ).rejects.toBe(boom);
      expect(await db.query('SELECT id, t FROM vals ORDER BY id')).toEqual([{ id: 1, t: 'kept' }]);
      // A statement that fails inside the transaction also rolls everything back.
      await expect(
        db.transaction(async (tx) => {
          await tx.execute('INSERT INTO vals (id, t) VALUES ($1, $2)', [3, 'lost']);
          await tx.execute('INSERT INTO vals (id, t) VALUES ($1, $2)', [1, 'duplicate']);
        }),
      ).rejects.toMatchObject({ code: 'store.conflict' });
      expect(await db.query('SELECT id FROM vals ORDER BY id')).toEqual([{ id: 1 }]);
    });

    it('serialises concurrent read-modify-write transactions holding the same lock', async () => {
      await db.migrate('contract', [valuesTable]);
      await db.execute('INSERT INTO vals (id, i) VALUES (1, 0)');
      const other = target.open(); // a second handle stands in for another process
      const rounds = 12;
      const bump = (handle: Database) =>
        handle.transaction(
          async (tx) => {
            const [row] = await tx.query<{ i: number }>('SELECT i FROM vals WHERE id = 1');
            await new Promise((resolve) => setTimeout(resolve, 2)); // widen the race window
            await tx.execute('UPDATE vals SET i = $1 WHERE id = 1', [(row?.i ?? 0) + 1]);
          },
          { lock: 'contract.counter' },
        );
      await Promise.all(Array.from({ length: rounds }, (_, k) => bump(k % 2 === 0 ? db : other)));
      const [row] = await db.query<{ i: number }>('SELECT i FROM vals WHERE id = 1');
      expect(row?.i).toBe(rounds);
    });

    it('applies migrations once, per module, in version order', async () => {
      const migrations: Migration[] = [
        { version: 2, name: 'add column', sql: 'ALTER TABLE m_items ADD COLUMN label TEXT' },
        { version: 1, name: 'create', sql: 'CREATE TABLE m_items (id INTEGER PRIMARY KEY)' },
      ];
      await db.migrate('alpha', migrations);
      await db.migrate('alpha', migrations); // idempotent
      await db.migrate('beta', [{ version: 1, name: 'create', sql: 'CREATE TABLE m_other (id INTEGER)' }]);
      await db.migrate('alpha', [
        ...migrations,
        { version: 3, name: 'index', sql: 'CREATE INDEX m_items_label ON m_items (label)' },
      ]);
      const rows = await db.query<{ module: string; version: number; name: string }>(
        'SELECT module, version, name FROM schema_migrations ORDER BY module, version',
      );
      expect(rows.map((r) => `${r.module}:${r.version}:${r.name}`)).toEqual([
        'alpha:1:create',
        'alpha:2:add column',
        'alpha:3:index',
        'beta:1:create',
      ]);
      await db.execute('INSERT INTO m_items (id, label) VALUES (1, $1)', ['ok']);
    });

    it('applies migrations exactly once when many processes start at once', async () => {
      const handles = [db, target.open(), target.open(), target.open()];
      const migrations: Migration[] = [
        { version: 1, name: 'create', sql: 'CREATE TABLE race (id INTEGER PRIMARY KEY)' },
        { version: 2, name: 'seed', sql: 'INSERT INTO race (id) VALUES (1)' },
      ];
      await Promise.all(handles.map((h) => h.migrate('race', migrations)));
      expect(await db.query('SELECT id FROM race')).toEqual([{ id: 1 }]);
      const rows = await db.query('SELECT version FROM schema_migrations WHERE module = $1', ['race']);
      expect(rows).toHaveLength(2);
    });

    it('records nothing when a migration fails', async () => {
      const bad: Migration[] = [
        { version: 1, name: 'good', sql: 'CREATE TABLE half (id INTEGER)' },
        { version: 2, name: 'bad', sql: 'CREATE TABLE half_broken (id INTEGER' },
      ];
      await db.migrate('other', [{ version: 1, name: 'noop', sql: 'CREATE TABLE other_t (id INTEGER)' }]);
      const err = await db.migrate('half', bad).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).code).toBe('store.migration_failed');
      expect((err as StoreError).message).toContain('half migration 2 (bad)');
      expect(await db.query('SELECT version FROM schema_migrations WHERE module = $1', ['half'])).toEqual([]);
      // The good first step was rolled back with it, so a fixed list applies cleanly.
      await db.migrate('half', [bad[0] as Migration]);
      expect(await db.query('SELECT id FROM half')).toEqual([]);
      await expect(
        db.migrate('dup', [
          { version: 1, name: 'a', sql: 'SELECT 1' },
          { version: 1, name: 'b', sql: 'SELECT 1' },
        ]),
      ).rejects.toMatchObject({ code: 'store.migration_failed' });
    });

    it('wraps driver errors in StoreError with codes', async () => {
      await db.migrate('contract', [valuesTable]);
      await db.execute('INSERT INTO vals (id) VALUES (1)');
      const dup = await db.execute('INSERT INTO vals (id) VALUES (1)').catch((e: unknown) => e);
      expect(dup).toBeInstanceOf(StoreError);
      expect((dup as StoreError).code).toBe('store.conflict');
      expect((dup as StoreError).cause).toBeDefined();
      const syntax = await db.query('SELEC nonsense').catch((e: unknown) => e);
      expect(syntax).toBeInstanceOf(StoreError);
      expect((syntax as StoreError).code).toBe('store.query_failed');
      const missing = await db.query('SELECT * FROM no_such_table').catch((e: unknown) => e);
      expect((missing as StoreError).code).toBe('store.query_failed');
      await db.close();
      await expect(db.query('SELECT 1')).rejects.toMatchObject({ code: 'store.unavailable' });
    });

    it('refuses a transaction handle used after the transaction ended', async () => {
      await db.migrate('contract', [valuesTable]);
      let leaked: { execute: Database['execute'] } | undefined;
      await db.transaction(async (tx) => {
        leaked = tx;
      });
      await expect(leaked?.execute('INSERT INTO vals (id) VALUES (5)')).rejects.toBeInstanceOf(StoreError);
      expect(await db.query('SELECT id FROM vals')).toEqual([]);
    });

    it('keeps a snapshot read consistent while writers on the same handle go on committing', async () => {
      await db.migrate('contract', [valuesTable]);
      await db.execute('INSERT INTO vals (id) VALUES (1)');
      const seen = await db.transaction(
        async (tx) => {
          const before = await tx.query<{ n: number | string }>('SELECT count(*) AS n FROM vals');
          // A long read (such as the ledger's verify) must not hold up this handle's writers.
          await db.transaction((w) => w.execute('INSERT INTO vals (id) VALUES (2)'));
          await db.execute('INSERT INTO vals (id) VALUES (3)');
          const after = await tx.query<{ n: number | string }>('SELECT count(*) AS n FROM vals');
          return [Number(before[0]?.n), Number(after[0]?.n)];
        },
        { snapshot: true },
      );
      expect(seen).toEqual([1, 1]);
      expect(await db.query('SELECT id FROM vals ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
    });
  });
}
