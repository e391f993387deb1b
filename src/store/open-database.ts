import type { Database } from './database.js';
import { PostgresDatabase } from './postgres-database.js';
import { SqliteDatabase, type SqliteOptions } from './sqlite-database.js';
import { StoreError } from './store-error.js';

/**
 * Opens the store a URL or path names: `postgres://` / `postgresql://` URLs give
 * a {@link PostgresDatabase}, a file path (or `{path}`) a {@link SqliteDatabase}.
 * Other URL schemes are rejected with `store.invalid_url`.
 */
export function openDatabase(target: string | SqliteOptions): Database {
  if (typeof target !== 'string') return SqliteDatabase.open(target);
  if (/^postgres(ql)?:\/\//i.test(target)) {
    try {
      new URL(target);
    } catch (err) {
      throw new StoreError('store.invalid_url', 'malformed PostgreSQL URL', { cause: err });
    }
    return PostgresDatabase.open({ url: target });
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(target);
  if (scheme) {
    throw new StoreError(
      'store.invalid_url',
      `unsupported database URL scheme "${scheme[1]}:"; use postgres:// or a SQLite file path`,
    );
  }
  if (target.trim() === '') throw new StoreError('store.invalid_url', 'empty database path');
  return SqliteDatabase.open({ path: target });
}
