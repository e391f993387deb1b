import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Database, Queryable } from '../store/database.js';
import {
  createPostgresTarget,
  createSqliteTarget,
  type TestDatabaseTarget,
  testDatabaseUrl,
} from '../store/test-support/test-databases.js';
import { Ledger } from './ledger.js';
import { SigningKey } from './signing-key.js';
import { sampleEvent } from './test-support/ledger-fixtures.js';

const ORIGIN = 'tunegate.test/snapshot';
const engines: Array<[string, () => Promise<TestDatabaseTarget>]> = [
  ['SQLite', async () => createSqliteTarget()],
];
if (testDatabaseUrl) engines.push(['PostgreSQL', () => createPostgresTarget()]);

const keyDir = mkdtempSync(join(tmpdir(), 'tunegate-snap-'));
afterAll(() => rmSync(keyDir, { recursive: true, force: true }));

/**
 * Wraps a database so that, right after verify's first read, `between()` runs: a
 * commit by another connection that lands between two of verify's queries.
 */
function interleaving(db: Database, between: () => Promise<void>): Database {
  let fired = false;
  return Object.assign(Object.create(db) as Database, {
    transaction<T>(fn: (tx: Queryable) => Promise<T>, options?: Parameters<Database['transaction']>[1]) {
      if (!options?.snapshot) return db.transaction(fn, options);
      return db.transaction((tx) => {
        const wrapped: Queryable = {
          query: async (sql, params) => {
            const rows = await tx.query(sql, params);
            if (!fired) {
              fired = true;
              await between();
            }
            return rows as never;
          },
          execute: (sql, params) => tx.execute(sql, params),
        };
        return fn(wrapped);
      }, options);
    },
  });
}

describe.each(engines)('Ledger.verify reads one snapshot on %s', (_engine, createTarget) => {
  it('is not fooled by a commit that lands between two of its queries', async () => {
    const target = await createTarget();
    try {
      const signer = await SigningKey.loadOrCreate(join(keyDir, `${_engine}.key`), ORIGIN);
      const writer = await Ledger.open(target.open(), { signer, origin: ORIGIN });
      await writer.append([sampleEvent(1), sampleEvent(2), sampleEvent(3)]);
      const other = await Ledger.open(target.open(), { signer, origin: ORIGIN });
      const reader = await Ledger.open(
        interleaving(target.open(), async () => {
          await other.append([sampleEvent(4), sampleEvent(5)]);
        }),
        { signer, origin: ORIGIN },
      );
      const result = await reader.verify();
      expect(result, result.reason).toMatchObject({ ok: true, first_bad_index: null, size: 3 });
      // The concurrent commit is there for the next verification.
      expect(await writer.verify()).toMatchObject({ ok: true, size: 5 });
    } finally {
      await target.dispose();
    }
  });
});
