import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLICY } from '../auth/index.js';
import { ROLES, type Role } from '../contracts/role.js';
import { ROUTES } from './routes.js';
import { bearer, serverFixture } from './test-support/server-fixture.js';

type Fixture = Awaited<ReturnType<typeof serverFixture>>;

const DIGEST = 'd'.repeat(64);
const EVENT = {
  operation: { category: 'evaluation', name: 'result' },
  resource: { evaluation: { id: 'e1' } },
};

/**
 * A valid request for every route. Mutating routes get a fresh target per call
 * (a new token to revoke, a new approval to decide, ...), so an allowed call succeeds.
 */
const SAMPLES: Record<string, (f: Fixture, seq: number) => Promise<Omit<InjectOptions, 'headers'>>> = {
  'GET /v1/whoami': async () => ({ url: '/v1/whoami' }),
  'POST /v1/events': async () => ({ method: 'POST', url: '/v1/events', payload: EVENT }),
  'GET /v1/events': async () => ({ url: '/v1/events?limit=5' }),
  'GET /v1/events/:index': async () => ({ url: '/v1/events/0' }),
  'GET /v1/audit/checkpoint': async () => ({ url: '/v1/audit/checkpoint' }),
  'GET /v1/audit/proofs/inclusion': async () => ({ url: '/v1/audit/proofs/inclusion?index=0' }),
  'GET /v1/audit/proofs/consistency': async () => ({ url: '/v1/audit/proofs/consistency?from=1' }),
  'GET /v1/audit/receipts/:index': async () => ({ url: '/v1/audit/receipts/0' }),
  'POST /v1/audit/verify': async () => ({ method: 'POST', url: '/v1/audit/verify', payload: {} }),
  'GET /v1/audit/export': async () => ({ url: '/v1/audit/export?format=jsonl' }),
  'GET /v1/audit/public-key': async () => ({ url: '/v1/audit/public-key' }),
  'POST /v1/tokens': async () => ({ method: 'POST', url: '/v1/tokens', payload: { principal_id: 'target' } }),
  'GET /v1/tokens': async () => ({ url: '/v1/tokens' }),
  'DELETE /v1/tokens/:id': async (f) => {
    const t = await f.cp.identities.createToken(f.cp.localSession('default').principal, 'default', {
      principal_id: 'target',
    });
    return { method: 'DELETE', url: `/v1/tokens/${t.info.id}` };
  },
  'POST /v1/principals': async (_f, seq) => ({
    method: 'POST',
    url: '/v1/principals',
    payload: { id: `new-${seq}`, roles: ['auditor'] },
  }),
  'GET /v1/principals': async () => ({ url: '/v1/principals' }),
  'POST /v1/principals/:id/disable': async (f, seq) => {
    await f.cp.identities.createPrincipal(f.cp.localSession('default').principal, 'default', {
      id: `victim-${seq}`,
      roles: ['runner'],
    });
    return { method: 'POST', url: `/v1/principals/victim-${seq}/disable` };
  },
  'POST /v1/approvals': async () => ({
    method: 'POST',
    url: '/v1/approvals',
    payload: { subject: { kind: 'dataset', id: 'ds', digest: DIGEST } },
  }),
  'GET /v1/approvals/:id': async (f) => ({ url: `/v1/approvals/${(await openApproval(f)).id}` }),
  'POST /v1/approvals/:id/decisions': async (f) => ({
    method: 'POST',
    url: `/v1/approvals/${(await openApproval(f)).id}/decisions`,
    payload: { decision: 'approve', digest: DIGEST },
  }),
  'POST /v1/approvals/:id/digest': async (f) => ({
    method: 'POST',
    url: `/v1/approvals/${(await openApproval(f)).id}/digest`,
    payload: { digest: 'e'.repeat(64) },
  }),
};

async function openApproval(f: Fixture) {
  const submitter = await f.cp.identities.getPrincipal('default', 'submitter');
  return f.cp.approvals.create(submitter, 'default', {
    subject: { kind: 'dataset', id: 'ds', digest: DIGEST },
  });
}

describe('every route with every role', () => {
  let f: Fixture;
  const tokens = new Map<Role, string>();
  beforeAll(async () => {
    f = await serverFixture();
    const op = f.cp.localSession('default').principal;
    await f.cp.identities.createPrincipal(op, 'default', { id: 'target', roles: ['runner'] });
    await f.cp.identities.createPrincipal(op, 'default', { id: 'submitter', roles: ['data_steward'] });
    for (const role of ROLES) tokens.set(role, await f.tokenFor(`as-${role.replace('_', '-')}`, [role]));
  });
  afterAll(async () => {
    await f?.dispose();
  });

  it('has a sample request for every route', () => {
    expect(ROUTES.map((r) => `${r.method} ${r.url}`).sort()).toEqual(Object.keys(SAMPLES).sort());
  });

  it('allows and denies exactly as the policy table says', async () => {
    let seq = 0;
    const table: string[] = [];
    for (const route of ROUTES) {
      const sample = SAMPLES[`${route.method} ${route.url}`];
      if (!sample) throw new Error(`no sample for ${route.method} ${route.url}`);
      for (const role of ROLES) {
        seq += 1;
        const allowed = (POLICY[route.action] as readonly Role[]).includes(role);
        const request = await sample(f, seq);
        const size = await f.cp.ledger.size();
        const res = await f.app.inject({
          ...request,
          headers: bearer(tokens.get(role) ?? ''),
        } as InjectOptions);
        const outcome =
          res.statusCode < 300 ? 'allow' : res.statusCode === 403 ? 'deny' : `error ${res.statusCode}`;
        table.push(`${route.method} ${route.url} ${role}: ${outcome}`);
        if (allowed) {
          expect(res.statusCode, `${route.method} ${route.url} as ${role}: ${res.body}`).toBeLessThan(300);
        } else {
          expect(res.statusCode, `${route.method} ${route.url} as ${role}`).toBe(403);
          expect(res.json().error.code).toBe('auth.forbidden');
          expect(await f.cp.ledger.size(), `denied ${route.method} ${route.url} wrote to the ledger`).toBe(
            size,
          );
        }
      }
    }
    expect(table).toHaveLength(ROUTES.length * ROLES.length);
  });
});
