import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Database } from '../database.js';
import { PostgresDatabase } from '../postgres-database.js';
import { SqliteDatabase } from '../sqlite-database.js';

/** A throwaway database that tests can open several connections (Database objects) to. */
export interface TestDatabaseTarget {
  readonly dialect: Database['dialect'];
  /** What `openDatabase` accepts for this target (file path or URL), e.g. for child processes. */
  readonly location: string;
  /** Opens one more independent handle (connection / pool) on the same database. */
  open(): Database;
  /** Closes every handle opened here and deletes the database. */
  dispose(): Promise<void>;
}

/** The PostgreSQL server for tests, or undefined when none is configured. */
export const testDatabaseUrl: string | undefined = process.env.TUNEGATE_TEST_DATABASE_URL || undefined;

/** A fresh SQLite file in its own temp directory. */
export function createSqliteTarget(): TestDatabaseTarget {
  const dir = mkdtempSync(join(tmpdir(), 'tunegate-store-'));
  const path = join(dir, 'test.db');
  const opened: Database[] = [];
  return {
    dialect: 'sqlite',
    location: path,
    open() {
      const db = SqliteDatabase.open({ path });
      opened.push(db);
      return db;
    },
    async dispose() {
      await Promise.all(opened.map((db) => db.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A fresh PostgreSQL database (`CREATE DATABASE tunegate_test_<random>`) on the
 * server of `TUNEGATE_TEST_DATABASE_URL`, so parallel test files never collide.
 */
export async function createPostgresTarget(adminUrl = testDatabaseUrl): Promise<TestDatabaseTarget> {
  if (!adminUrl) throw new Error('TUNEGATE_TEST_DATABASE_URL is not set');
  const name = `tunegate_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const opened: Database[] = [];
  return {
    dialect: 'postgres',
    location: url.toString(),
    open() {
      const db = PostgresDatabase.open({ url: url.toString(), maxConnections: 4 });
      opened.push(db);
      return db;
    },
    async dispose() {
      await Promise.all(opened.map((db) => db.close()));
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
