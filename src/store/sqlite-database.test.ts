import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registerDatabaseContract } from './database.contract-test.js';
import { openDatabase } from './open-database.js';
import { SqliteDatabase } from './sqlite-database.js';
import { createSqliteTarget } from './test-support/test-databases.js';

registerDatabaseContract('SQLite', async () => createSqliteTarget());

describe('SqliteDatabase', () => {
  it('uses WAL and FULL synchronous by default', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tunegate-sqlite-'));
    try {
      const db = SqliteDatabase.open({ path: join(dir, 'a.db'), busyTimeoutMs: 1234 });
      expect(await db.query('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
      expect(await db.query('PRAGMA synchronous')).toEqual([{ synchronous: 2 }]);
      await db.close();
      const normal = SqliteDatabase.open({ path: join(dir, 'a.db'), synchronous: 'NORMAL' });
      expect(await normal.query('PRAGMA synchronous')).toEqual([{ synchronous: 1 }]);
      await normal.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('waits asynchronously for a lock held by another handle, then times out as unavailable', async () => {
    const target = createSqliteTarget();
    try {
      const a = target.open();
      await a.execute('CREATE TABLE t (id INTEGER PRIMARY KEY)');
      const b = SqliteDatabase.open({ path: target.location, busyTimeoutMs: 150 });
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const holder = a.transaction(async (tx) => {
        await tx.execute('INSERT INTO t (id) VALUES (1)');
        await gate;
      });
      // The event loop keeps running while b waits: the timer below fires.
      const started = Date.now();
      const timedOut = b.execute('INSERT INTO t (id) VALUES (2)').catch((e: unknown) => e);
      expect(await timedOut).toMatchObject({ code: 'store.unavailable' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      const waiting = b.transaction((tx) => tx.execute('INSERT INTO t (id) VALUES (3)'));
      setTimeout(release, 30);
      await holder;
      await waiting;
      expect(await b.query('SELECT id FROM t ORDER BY id')).toEqual([{ id: 1 }, { id: 3 }]);
      await b.close();
    } finally {
      await target.dispose();
    }
  });

  it('keeps other callers out of an open transaction', async () => {
    const target = createSqliteTarget();
    const db = target.open();
    try {
      await db.execute('CREATE TABLE t (id INTEGER PRIMARY KEY)');
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const tx = db.transaction(async (q) => {
        await q.execute('INSERT INTO t (id) VALUES (1)');
        await gate;
        throw new Error('rollback');
      });
      // This read is issued while the transaction is open; it must not see its insert.
      const read = db.query('SELECT COUNT(*) AS n FROM t');
      release();
      await expect(tx).rejects.toThrow('rollback');
      expect(await read).toEqual([{ n: 0 }]);
    } finally {
      await target.dispose();
    }
  });
});

describe('openDatabase', () => {
  it('chooses the adapter from the URL or path and rejects other schemes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tunegate-open-'));
    try {
      const file = openDatabase(join(dir, 'x.db'));
      expect(file.dialect).toBe('sqlite');
      await file.close();
      const obj = openDatabase({ path: join(dir, 'y.db') });
      expect(obj.dialect).toBe('sqlite');
      await obj.close();
      const pgDb = openDatabase('postgresql://user@127.0.0.1:1/db');
      expect(pgDb.dialect).toBe('postgres');
      await pgDb.close();
      expect(() => openDatabase('mysql://localhost/db')).toThrow(
        expect.objectContaining({ code: 'store.invalid_url' }),
      );
      expect(() => openDatabase('  ')).toThrow(expect.objectContaining({ code: 'store.invalid_url' }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports an unreachable PostgreSQL server as store.unavailable', async () => {
    const db = openDatabase('postgres://nobody@127.0.0.1:1/none');
    await expect(db.query('SELECT 1')).rejects.toMatchObject({ code: 'store.unavailable' });
    await expect(db.transaction(async () => 1)).rejects.toMatchObject({ code: 'store.unavailable' });
    await db.close();
  });
});
