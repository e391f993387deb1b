import BetterSqlite3 from 'better-sqlite3';
import { AsyncMutex } from './async-mutex.js';
import type { Database, Migration, Queryable, Row, SqlValue, TransactionOptions } from './database.js';
import { applyMigrations } from './migration-runner.js';
import { toSqlitePlaceholders } from './sql-placeholders.js';
import { StoreError } from './store-error.js';

/** Options of {@link SqliteDatabase.open}. */
export interface SqliteOptions {
  /** Database file (created when missing), or `:memory:`. */
  path: string;
  /**
   * `PRAGMA synchronous`. FULL (default) fsyncs the WAL on every commit, so an
   * acknowledged write survives power loss; NORMAL only survives process crashes.
   */
  synchronous?: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';
  /**
   * How long a statement or transaction waits for another connection's lock before
   * failing with `store.unavailable` (ms, default 30 s).
   */
  busyTimeoutMs?: number;
  /** Page cache per connection in KiB (default 64 MiB). */
  cacheSizeKiB?: number;
}

const STATEMENT_CACHE_SIZE = 256;

type Statement = BetterSqlite3.Statement<unknown[], Row>;

/**
 * The embedded store: better-sqlite3 in WAL mode. The driver is synchronous and
 * this object holds one connection, so every call goes through an in-process
 * async mutex; write transactions start with BEGIN IMMEDIATE, which takes the
 * database write lock up front and so serialises writers across processes.
 */
export class SqliteDatabase implements Database {
  readonly dialect = 'sqlite' as const;
  private readonly mutex = new AsyncMutex();
  private readonly statements = new Map<string, Statement>();
  private closed = false;
  /**
   * A second connection for snapshot transactions (file databases only), opened on
   * first use. A long read such as `verify` then holds its own lock, not `mutex`, so
   * writers in this process go on committing between its queries.
   */
  private reader: SqliteDatabase | null = null;

  private constructor(
    private readonly conn: BetterSqlite3.Database,
    private readonly busyTimeoutMs: number,
    private readonly options: SqliteOptions,
    /** `reader`: the second connection of another instance, used only for snapshots. */
    private readonly role: 'primary' | 'reader' = 'primary',
  ) {}

  /** Opens (creating if needed) the database file and sets WAL, busy_timeout and synchronous. */
  static open(options: SqliteOptions): SqliteDatabase {
    let conn: BetterSqlite3.Database;
    try {
      conn = new BetterSqlite3(options.path);
      configure(conn, options);
    } catch (err) {
      throw toStoreError(err, `cannot open SQLite database ${options.path}`);
    }
    return new SqliteDatabase(conn, Math.max(0, options.busyTimeoutMs ?? 30_000), options);
  }

  query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.mutex.run(() => this.retryBusy(() => this.runQuery<T>(sql, params)));
  }

  execute(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number }> {
    return this.mutex.run(() => this.retryBusy(() => this.runExecute(sql, params)));
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T> {
    // `lock` needs nothing extra here: BEGIN IMMEDIATE already serialises all writers.
    // A snapshot is a deferred transaction: it reads one WAL snapshot and takes no write lock.
    if (options?.snapshot) {
      const reader = this.readerConnection();
      if (reader !== this) return reader.transaction(fn, options);
    }
    const begin = options?.snapshot ? 'BEGIN DEFERRED' : 'BEGIN IMMEDIATE';
    return this.mutex.run(() => this.retryBusy(() => this.runTransaction(fn, begin)));
  }

  /** The connection for snapshot reads: a second one for file databases, else this one. */
  private readerConnection(): SqliteDatabase {
    this.assertOpen();
    if (this.role === 'reader' || this.options.path === ':memory:' || this.options.path === '') return this;
    if (!this.reader) {
      let conn: BetterSqlite3.Database;
      try {
        conn = new BetterSqlite3(this.options.path, { fileMustExist: true });
        configure(conn, this.options);
      } catch (err) {
        throw toStoreError(err, `cannot open SQLite database ${this.options.path}`);
      }
      this.reader = new SqliteDatabase(conn, this.busyTimeoutMs, this.options, 'reader');
    }
    return this.reader;
  }

  /** Re-runs `op` while the database is locked by another connection, up to the busy timeout. */
  private async retryBusy<T>(op: () => T | Promise<T>): Promise<T> {
    const deadline = Date.now() + this.busyTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await op();
      } catch (err) {
        if (!isBusy(err) || Date.now() > deadline) {
          throw err instanceof BetterSqlite3.SqliteError ? toStoreError(err, 'transaction failed') : err;
        }
        await sleep(Math.min(20, 2 ** attempt) * (0.5 + Math.random()));
      }
    }
  }

  migrate(module: string, migrations: readonly Migration[]): Promise<void> {
    return applyMigrations(this, module, migrations, async (_tx, sql) => {
      // Runs inside our transaction (we hold the mutex); exec allows several statements.
      this.conn.exec(sql);
    });
  }

  async close(): Promise<void> {
    await this.reader?.close();
    await this.mutex.run(() => {
      if (this.closed) return;
      this.closed = true;
      this.statements.clear();
      this.conn.close();
    });
  }

  private async runTransaction<T>(
    fn: (tx: Queryable) => Promise<T>,
    begin: 'BEGIN IMMEDIATE' | 'BEGIN DEFERRED',
  ): Promise<T> {
    this.assertOpen();
    this.conn.exec(begin);
    let active = true;
    const guard = (): void => {
      if (!active)
        throw new StoreError('store.query_failed', 'transaction handle used after the transaction ended');
    };
    const tx: Queryable = {
      query: async <R extends Row = Row>(sql: string, params: readonly SqlValue[] = []) => {
        guard();
        return this.runQuery<R>(sql, params);
      },
      execute: async (sql: string, params: readonly SqlValue[] = []) => {
        guard();
        return this.runExecute(sql, params);
      },
    };
    try {
      const result = await fn(tx);
      this.conn.exec('COMMIT');
      return result;
    } catch (err) {
      if (this.conn.inTransaction) this.conn.exec('ROLLBACK');
      throw err;
    } finally {
      active = false;
    }
  }

  private runQuery<T extends Row>(sql: string, params: readonly SqlValue[]): T[] {
    const stmt = this.prepare(sql);
    try {
      const args = bindArgs(params);
      if (stmt.reader) return stmt.all(...args) as T[];
      stmt.run(...args);
      return [];
    } catch (err) {
      throw toStoreError(err, 'query failed');
    }
  }

  private runExecute(sql: string, params: readonly SqlValue[]): { changes: number } {
    const stmt = this.prepare(sql);
    try {
      const args = bindArgs(params);
      if (stmt.reader) {
        stmt.all(...args);
        return { changes: 0 };
      }
      return { changes: stmt.run(...args).changes };
    } catch (err) {
      throw toStoreError(err, 'statement failed');
    }
  }

  private prepare(sql: string): Statement {
    this.assertOpen();
    let stmt = this.statements.get(sql);
    if (stmt) return stmt;
    try {
      stmt = this.conn.prepare<unknown[], Row>(toSqlitePlaceholders(sql));
    } catch (err) {
      throw toStoreError(err, 'invalid statement');
    }
    if (this.statements.size >= STATEMENT_CACHE_SIZE) this.statements.clear();
    this.statements.set(sql, stmt);
    return stmt;
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError('store.unavailable', 'the SQLite database is closed');
  }
}

/** Pragmas of every connection: WAL, synchronous, no driver-side busy wait, cache sizes. */
function configure(conn: BetterSqlite3.Database, options: SqliteOptions): void {
  // SQLite's own busy handler sleeps inside the synchronous driver call, which
  // freezes the event loop, and deadlocks when the lock holder is another handle
  // in this process awaiting I/O. So the driver fails fast and we wait
  // asynchronously instead (see `retryBusy`).
  conn.pragma('busy_timeout = 0');
  if (options.path !== ':memory:') conn.pragma('journal_mode = WAL');
  conn.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
  // The 2 MiB default page cache thrashes once indexes outgrow it (the ledger has
  // several over a million rows); memory-mapped reads speed up full scans. The map is
  // address space backed by the OS page cache, not memory: 2 GiB (SQLite's default
  // ceiling) covers a ~2.3M-event ledger; verify of 1M events measured ~8% faster
  // than with 256 MiB.
  conn.pragma(`cache_size = -${Math.max(2048, Math.floor(options.cacheSizeKiB ?? 65_536))}`);
  conn.pragma('mmap_size = 2147483648');
  conn.pragma('foreign_keys = ON');
}

/** better-sqlite3 binds numbered `?NNN` parameters from an object keyed by number. */
function bindArgs(params: readonly SqlValue[]): unknown[] {
  if (params.length === 0) return [];
  const named: Record<number, unknown> = {};
  params.forEach((value, i) => {
    named[i + 1] = toSqliteValue(value);
  });
  return [named];
}

function toSqliteValue(value: SqlValue): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Uint8Array && !Buffer.isBuffer(value)) {
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  }
  return value;
}

/** True for SQLITE_BUSY/LOCKED, also when already wrapped in a StoreError. */
function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')))
    return true;
  return err instanceof StoreError && err.cause !== undefined && isBusy(err.cause);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Maps an error raised by the driver (never by caller code) to a {@link StoreError}. */
function toStoreError(err: unknown, what: string): StoreError {
  if (err instanceof StoreError) return err;
  const message = `${what}: ${err instanceof Error ? err.message : String(err)}`;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return new StoreError('store.query_failed', message, { cause: err });
  if (isBusy(err)) return new StoreError('store.unavailable', `${what}: database is locked`, { cause: err });
  if (code.startsWith('SQLITE_CONSTRAINT')) return new StoreError('store.conflict', message, { cause: err });
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') {
    return new StoreError('store.corrupt', message, { cause: err });
  }
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_IOERR') || code === 'SQLITE_FULL') {
    return new StoreError('store.unavailable', message, { cause: err });
  }
  return new StoreError('store.query_failed', message, { cause: err });
}
