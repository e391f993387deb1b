import type { Database, Migration, Queryable } from './database.js';
import { StoreError } from './store-error.js';

/** Lock taken while migrating, so many processes can start at once. */
export const MIGRATION_LOCK = 'tunegate.schema_migrations';

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  module TEXT NOT NULL,
  version INTEGER NOT NULL,
  name TEXT NOT NULL,
  applied_at TEXT NOT NULL,
  PRIMARY KEY (module, version)
)`;

/** Checks that versions are positive, unique and have DDL for `dialect`. */
function validate(
  module: string,
  migrations: readonly Migration[],
  dialect: Database['dialect'],
): Migration[] {
  const seen = new Set<number>();
  for (const m of migrations) {
    if (!Number.isInteger(m.version) || m.version < 1 || seen.has(m.version)) {
      throw new StoreError(
        'store.migration_failed',
        `module ${module}: migration versions must be unique positive integers (got ${m.version})`,
      );
    }
    seen.add(m.version);
    if ((m[dialect] ?? m.sql) === undefined) {
      throw new StoreError(
        'store.migration_failed',
        `module ${module} migration ${m.version} has no SQL for ${dialect}`,
      );
    }
  }
  return [...migrations].sort((a, b) => a.version - b.version);
}

/**
 * Applies the pending migrations of `module` in one transaction holding the
 * migration lock: either all pending versions are recorded or none is.
 * `runDdl` executes multi-statement DDL on the transaction's connection.
 */
export async function applyMigrations(
  db: Database,
  module: string,
  migrations: readonly Migration[],
  runDdl: (tx: Queryable, sql: string) => Promise<void>,
): Promise<void> {
  const ordered = validate(module, migrations, db.dialect);
  await db.transaction(
    async (tx) => {
      await runDdl(tx, CREATE_TABLE);
      const rows = await tx.query<{ version: number }>(
        'SELECT version FROM schema_migrations WHERE module = $1',
        [module],
      );
      const applied = new Set(rows.map((r) => Number(r.version)));
      for (const m of ordered) {
        if (applied.has(m.version)) continue;
        try {
          await runDdl(tx, (m[db.dialect] ?? m.sql) as string);
        } catch (err) {
          throw new StoreError(
            'store.migration_failed',
            `module ${module} migration ${m.version} (${m.name}) failed: ${(err as Error).message}`,
            { cause: err },
          );
        }
        await tx.execute(
          'INSERT INTO schema_migrations (module, version, name, applied_at) VALUES ($1, $2, $3, $4)',
          [module, m.version, m.name, new Date().toISOString()],
        );
      }
    },
    { lock: MIGRATION_LOCK },
  );
}
