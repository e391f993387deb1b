import pg from 'pg';
import type { Database, Migration, Queryable, Row, SqlValue, TransactionOptions } from './database.js';
import { applyMigrations } from './migration-runner.js';
import { StoreError } from './store-error.js';

/** Options of {@link PostgresDatabase.open}. */
export interface PostgresOptions {
  /** `postgres://` or `postgresql://` connection URL. */
  url: string;
  /** Pool size (default 10). */
  maxConnections?: number;
}

const PG_INT8_OID = 20;
/** Attempts for transactions failing with serialization failures or deadlocks. */
const MAX_ATTEMPTS = 8;

/** BIGINT as a JS number (the SQL conventions promise numbers, exact up to 2^53). */
function parseInt8(text: string): number {
  return Number(text);
}

const typeParsers = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === PG_INT8_OID && format !== 'binary'
      ? parseInt8
      : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

/**
 * The scale-out store: a `pg` pool. Many API processes may share one database;
 * `transaction({lock})` serialises writers with `pg_advisory_xact_lock(hashtext(key))`,
 * and serialization failures / deadlocks are retried.
 */
export class PostgresDatabase implements Database {
  readonly dialect = 'postgres' as const;
  private closed = false;

  private constructor(private readonly pool: pg.Pool) {}

  /** Creates the pool; connections are made lazily on first use. */
  static open(options: PostgresOptions): PostgresDatabase {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.maxConnections ?? 10,
      types: typeParsers,
      connectionTimeoutMillis: 15_000,
    });
    // Idle clients can lose their server (restart, failover); the next query reconnects.
    pool.on('error', () => {});
    return new PostgresDatabase(pool);
  }

  async query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    this.assertOpen();
    try {
      return (await this.pool.query<T>(sql, toPgParams(params))).rows;
    } catch (err) {
      throw toStoreError(err, 'query failed');
    }
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number }> {
    this.assertOpen();
    try {
      return { changes: (await this.pool.query(sql, toPgParams(params))).rowCount ?? 0 };
    } catch (err) {
      throw toStoreError(err, 'statement failed');
    }
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T> {
    this.assertOpen();
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.runTransaction(fn, options);
      } catch (err) {
        if (attempt >= MAX_ATTEMPTS || !isRetriable(err)) throw err;
        await new Promise((resolve) => setTimeout(resolve, Math.min(200, 5 * 2 ** attempt) * Math.random()));
      }
    }
  }

  migrate(module: string, migrations: readonly Migration[]): Promise<void> {
    // Without parameters node-postgres uses the simple protocol, which runs several statements.
    return applyMigrations(this, module, migrations, async (tx, sql) => {
      await tx.execute(sql);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private async runTransaction<T>(
    fn: (tx: Queryable) => Promise<T>,
    options?: TransactionOptions,
  ): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw toStoreError(err, 'cannot connect to PostgreSQL');
    }
    let active = true;
    const guard = (): void => {
      if (!active)
        throw new StoreError('store.query_failed', 'transaction handle used after the transaction ended');
    };
    const tx: Queryable = {
      query: async <R extends Row = Row>(sql: string, params: readonly SqlValue[] = []) => {
        guard();
        try {
          return (await client.query<R>(sql, toPgParams(params))).rows;
        } catch (err) {
          throw toStoreError(err, 'query failed');
        }
      },
      execute: async (sql: string, params: readonly SqlValue[] = []) => {
        guard();
        try {
          return { changes: (await client.query(sql, toPgParams(params))).rowCount ?? 0 };
        } catch (err) {
          throw toStoreError(err, 'statement failed');
        }
      },
    };
    let broken: Error | undefined;
    try {
      await client.query(options?.snapshot ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN');
      if (options?.lock !== undefined)
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [options.lock]);
      const result = await fn(tx);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        broken = rollbackError as Error; // connection is unusable: drop it from the pool
      }
      throw err instanceof StoreError || !isDriverError(err) ? err : toStoreError(err, 'transaction failed');
    } finally {
      active = false;
      client.release(broken);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError('store.unavailable', 'the PostgreSQL pool is closed');
  }
}

function toPgParams(params: readonly SqlValue[]): unknown[] | undefined {
  if (params.length === 0) return undefined;
  return params.map((value) => {
    if (typeof value === 'boolean') return value ? 1 : 0;
    if (typeof value === 'bigint') return value.toString();
    if (value instanceof Uint8Array && !Buffer.isBuffer(value)) {
      return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    }
    return value;
  });
}

function sqlState(err: unknown): string | undefined {
  const e = err instanceof StoreError ? err.cause : err;
  const code = (e as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function isDriverError(err: unknown): boolean {
  return err instanceof pg.DatabaseError || (err instanceof Error && /^E[A-Z]+$/.test(sqlState(err) ?? ''));
}

function isRetriable(err: unknown): boolean {
  const state = sqlState(err);
  return state === '40001' || state === '40P01';
}

/** Maps a driver error (SQLSTATE or socket errno) to a {@link StoreError}. */
function toStoreError(err: unknown, what: string): StoreError {
  if (err instanceof StoreError) return err;
  const message = `${what}: ${err instanceof Error ? err.message : String(err)}`;
  const state = sqlState(err) ?? '';
  if (state.startsWith('23') || state === '40001' || state === '40P01') {
    return new StoreError('store.conflict', message, { cause: err });
  }
  if (state === 'XX001' || state === 'XX002') return new StoreError('store.corrupt', message, { cause: err });
  if (
    state.startsWith('08') ||
    state.startsWith('53') ||
    state.startsWith('57P') ||
    /^E[A-Z]+$/.test(state) ||
    (err instanceof Error && /timeout|terminated|Connection/i.test(err.message) && state === '')
  ) {
    return new StoreError('store.unavailable', message, { cause: err });
  }
  return new StoreError('store.query_failed', message, { cause: err });
}
