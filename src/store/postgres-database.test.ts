import { describe, expect, it } from 'vitest';
import { registerDatabaseContract } from './database.contract-test.js';
import { createPostgresTarget, testDatabaseUrl } from './test-support/test-databases.js';

if (!testDatabaseUrl) {
  console.info('notice: TUNEGATE_TEST_DATABASE_URL is not set; PostgreSQL store tests are skipped');
  describe.skip('PostgreSQL: Database contract', () => {
    it('needs TUNEGATE_TEST_DATABASE_URL', () => {});
  });
} else {
  registerDatabaseContract('PostgreSQL', () => createPostgresTarget());

  describe('PostgresDatabase', () => {
    it('returns BIGINT columns as numbers', async () => {
      const target = await createPostgresTarget();
      try {
        const db = target.open();
        expect(
          await db.query('SELECT 9007199254740991::bigint AS n, COUNT(*) AS c FROM pg_class WHERE false'),
        ).toEqual([{ n: 9007199254740991, c: 0 }]);
      } finally {
        await target.dispose();
      }
    });
  });
}
