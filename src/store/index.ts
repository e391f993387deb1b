/** The storage port and its SQLite (embedded) and PostgreSQL (scale-out) adapters. */
export type { Database, Migration, Queryable, Row, SqlValue, TransactionOptions } from './database.js';
export { MIGRATION_LOCK } from './migration-runner.js';
export { openDatabase } from './open-database.js';
export { PostgresDatabase, type PostgresOptions } from './postgres-database.js';
export { SqliteDatabase, type SqliteOptions } from './sqlite-database.js';
export { StoreError, type StoreErrorCode } from './store-error.js';
