/**
 * The storage port. Domain modules (ledger, auth, registry, ...) own their tables
 * and write portable SQL against this small interface; `SqliteDatabase` (embedded
 * default) and `PostgresDatabase` (scale-out) implement it, and one contract
 * test suite (`database.contract-test.ts`) runs against both.
 *
 * SQL conventions, so the same text runs on both engines:
 * - placeholders are PostgreSQL style `$1, $2, ...` (the SQLite adapter rewrites them);
 * - integers that may exceed 2^31 are BIGINT and come back as JS numbers (safe up to 2^53);
 * - binary values are `Uint8Array`/`Buffer` (BLOB / BYTEA), JSON is stored as TEXT;
 * - booleans are stored as INTEGER 0/1;
 * - dialect-specific DDL goes into `Migration.sqlite` / `Migration.postgres`.
 */
export type SqlValue = string | number | bigint | boolean | null | Uint8Array;

export type Row = Record<string, unknown>;

export interface Queryable {
  /** Runs a statement and returns its rows (empty for statements without a result). */
  query<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Runs a statement and returns the number of rows it changed. */
  execute(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
}

export interface TransactionOptions {
  /**
   * Serialise this transaction against every other transaction using the same key,
   * across threads and processes (PostgreSQL: `pg_advisory_xact_lock`; SQLite: the
   * database write lock is taken at BEGIN IMMEDIATE, which already serialises writers).
   */
  lock?: string;
  /**
   * A read-only transaction on one consistent snapshot, which never blocks other
   * processes' writers (PostgreSQL: REPEATABLE READ READ ONLY; SQLite: a deferred
   * read transaction, i.e. one WAL snapshot). For long multi-query reads such as
   * `verify`, which must not see a commit that lands between two of its queries.
   */
  snapshot?: boolean;
}

export interface Database extends Queryable {
  readonly dialect: 'sqlite' | 'postgres';
  /**
   * Runs `fn` in a write transaction: committed when it resolves, rolled back when it
   * throws. Transient conflicts (SQLITE_BUSY, serialization failures) are retried.
   * Nested calls are not supported.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Applies the pending migrations of one module, in version order, under a lock. */
  migrate(module: string, migrations: readonly Migration[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * A versioned schema change owned by one module. Versions are per module
 * (`ledger` 1, 2, ...; `auth` 1, 2, ...), recorded in `schema_migrations`.
 */
export interface Migration {
  version: number;
  name: string;
  /** Portable DDL, used when the dialect-specific field is absent. */
  sql?: string;
  sqlite?: string;
  postgres?: string;
}
