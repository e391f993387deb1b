import type { Role } from '../../contracts/role.js';
import { Ledger, SigningKey } from '../../ledger/index.js';
import type { Database } from '../../store/index.js';
import {
  createPostgresTarget,
  createSqliteTarget,
  testDatabaseUrl,
} from '../../store/test-support/test-databases.js';
import { ApprovalService } from '../approval-service.js';
import { IdentityService } from '../identity-service.js';
import { localOperator, type Principal } from '../principal.js';

/** A settable clock. */
export function testClock(start = Date.parse('2030-01-01T00:00:00Z')) {
  let t = start;
  return {
    now: () => new Date(t),
    advance: (ms: number) => {
      t += ms;
    },
  };
}

/** Engines the auth suites run on: SQLite always, PostgreSQL when `TUNEGATE_TEST_DATABASE_URL` is set. */
export const AUTH_DIALECTS: readonly Database['dialect'][] = testDatabaseUrl
  ? ['sqlite', 'postgres']
  : ['sqlite'];
if (!testDatabaseUrl) {
  console.info('notice: TUNEGATE_TEST_DATABASE_URL is not set; auth suites run on SQLite only');
}

/** Identity and approval services on a fresh database of `dialect` with a real ledger. */
export async function authFixture(dialect: Database['dialect'] = 'sqlite', clock = testClock()) {
  const target = dialect === 'postgres' ? await createPostgresTarget() : createSqliteTarget();
  const db: Database = target.open();
  const ledger = await Ledger.open(db, {
    signer: SigningKey.generate('test.local/log'),
    origin: 'test.local/log',
  });
  const identities = await IdentityService.open(db, ledger, { now: clock.now });
  const approvals = await ApprovalService.open(db, ledger, { now: clock.now });
  const operator = localOperator('acme');
  await identities.ensureTenant(operator, 'acme');
  await identities.ensureTenant(localOperator('other'), 'other');
  return {
    db,
    ledger,
    identities,
    approvals,
    operator,
    clock,
    /** Creates a principal of tenant acme with `roles`. */
    async principal(id: string, roles: Role[], tenant = 'acme'): Promise<Principal> {
      return identities.createPrincipal(localOperator(tenant), tenant, { id, roles });
    },
    async dispose() {
      await target.dispose();
    },
  };
}
