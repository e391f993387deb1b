import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Principal } from './principal.js';
import { AUTH_DIALECTS, authFixture } from './test-support/auth-fixture.js';

type Fixture = Awaited<ReturnType<typeof authFixture>>;
const D1 = 'a'.repeat(64);
const D2 = 'b'.repeat(64);

describe.each(AUTH_DIALECTS)('ApprovalService on %s', (dialect) => {
  let f: Fixture;
  let submitter: Principal;
  let preparer: Principal;
  let a1: Principal;
  let a2: Principal;
  let a3: Principal;
  beforeEach(async () => {
    f = await authFixture(dialect);
    submitter = await f.principal('sam', ['data_steward']);
    preparer = await f.principal('pat', ['ml_engineer']);
    a1 = await f.principal('ann', ['approver']);
    a2 = await f.principal('ben', ['approver']);
    a3 = await f.principal('cat', ['approver']);
  });
  afterEach(async () => {
    await f.dispose();
  });

  const open = (required = 2) =>
    f.approvals.create(submitter, 'acme', {
      subject: { kind: 'dataset', id: 'ds-1', digest: D1 },
      required_approvals: required,
      prepared_by: 'pat',
      expires_in: '1d',
    });

  it('needs N distinct approvers and records each step as a policy_decision event', async () => {
    const before = await f.ledger.size();
    const apr = await open(2);
    expect(apr).toMatchObject({ status: 'pending', approvals: 0, submitted_by: 'sam', prepared_by: 'pat' });
    const one = await f.approvals.decide(a1, 'acme', apr.id, { decision: 'approve', digest: D1 });
    expect(one).toMatchObject({ status: 'pending', approvals: 1 });
    expect(await f.approvals.isApproved('acme', apr.id, D1)).toBe(false);
    await expect(
      f.approvals.decide(a1, 'acme', apr.id, { decision: 'approve', digest: D1 }),
    ).rejects.toMatchObject({
      code: 'auth.duplicate_decision',
    });
    const two = await f.approvals.decide(a2, 'acme', apr.id, { decision: 'approve', digest: D1 });
    expect(two).toMatchObject({ status: 'approved', approvals: 2 });
    expect(await f.approvals.isApproved('acme', apr.id, D1)).toBe(true);
    expect(await f.approvals.isApproved('acme', apr.id, D2)).toBe(false);
    const page = await f.ledger.query({ tenant: 'acme', category: 'policy_decision', limit: 100 });
    expect(page.entries.map((e) => e.event.operation.name)).toEqual(['submit', 'approve', 'approve']);
    expect(page.entries.map((e) => e.event.actor.id)).toEqual(['sam', 'ann', 'ben']);
    const byId = await f.ledger.query({ tenant: 'acme', resource_id: apr.id, limit: 10 });
    expect(byId.entries).toHaveLength(3);
    expect(await f.ledger.size()).toBe(before + 3);
  });

  it.each([
    ['submitter', 'sam'],
    ['preparer', 'pat'],
  ])('rejects a decision by the %s and changes nothing', async (_role, who) => {
    const apr = await open(1);
    const size = await f.ledger.size();
    const by = who === 'sam' ? submitter : preparer;
    for (const decision of ['approve', 'veto'] as const) {
      await expect(f.approvals.decide(by, 'acme', apr.id, { decision, digest: D1 })).rejects.toMatchObject({
        code: 'auth.self_approval',
      });
    }
    expect(await f.ledger.size()).toBe(size);
    expect(await f.approvals.get('acme', apr.id)).toEqual(apr);
  });

  it('rejects the last modifier after a digest change', async () => {
    const apr = await open(1);
    await f.approvals.updateDigest(a3, 'acme', apr.id, D2);
    await expect(
      f.approvals.decide(a3, 'acme', apr.id, { decision: 'approve', digest: D2 }),
    ).rejects.toMatchObject({
      code: 'auth.self_approval',
    });
  });

  it('counts concurrent decisions exactly once each', async () => {
    const apr = await open(2);
    const results = await Promise.allSettled(
      [a1, a2, a3, a1].map((p) => f.approvals.decide(p, 'acme', apr.id, { decision: 'approve', digest: D1 })),
    );
    const failed = results
      .filter((r) => r.status === 'rejected')
      .map((r) => (r.reason as { code: string }).code);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    expect(failed.sort()).toEqual(
      expect.arrayContaining([expect.stringMatching(/auth\.(approval_closed|duplicate_decision)/)]),
    );
    const final = await f.approvals.get('acme', apr.id);
    expect(final).toMatchObject({ status: 'approved', approvals: 2 });
    expect(new Set(final.decisions.map((d) => d.principal_id)).size).toBe(2);
  });

  it('lets any one approver veto, which closes the approval', async () => {
    const apr = await open(2);
    await f.approvals.decide(a1, 'acme', apr.id, { decision: 'approve', digest: D1 });
    const vetoed = await f.approvals.decide(a2, 'acme', apr.id, {
      decision: 'veto',
      digest: D1,
      comment: 'no',
    });
    expect(vetoed.status).toBe('vetoed');
    await expect(
      f.approvals.decide(a3, 'acme', apr.id, { decision: 'approve', digest: D1 }),
    ).rejects.toMatchObject({
      code: 'auth.approval_closed',
    });
    expect(await f.approvals.isApproved('acme', apr.id, D1)).toBe(false);
  });

  it('voids earlier approvals when the digest changes', async () => {
    const apr = await open(1);
    expect((await f.approvals.decide(a1, 'acme', apr.id, { decision: 'approve', digest: D1 })).status).toBe(
      'approved',
    );
    const changed = await f.approvals.updateDigest(preparer, 'acme', apr.id, D2);
    expect(changed).toMatchObject({ status: 'pending', approvals: 0, last_modified_by: 'pat' });
    expect(changed.subject.digest).toBe(D2);
    expect(changed.decisions.every((d) => !d.valid)).toBe(true);
    expect(await f.approvals.isApproved('acme', apr.id, D1)).toBe(false);
    // An approver who reviewed the old version cannot approve the new one with the old digest.
    await expect(
      f.approvals.decide(a2, 'acme', apr.id, { decision: 'approve', digest: D1 }),
    ).rejects.toMatchObject({
      code: 'auth.digest_mismatch',
    });
    // The same approver may approve the new version.
    const again = await f.approvals.decide(a1, 'acme', apr.id, { decision: 'approve', digest: D2 });
    expect(again.status).toBe('approved');
    expect(await f.approvals.isApproved('acme', apr.id, D2)).toBe(true);
  });

  it('expires, records the expiry once and refuses later decisions', async () => {
    const apr = await open(1);
    f.clock.advance(86_400_000);
    const size = await f.ledger.size();
    expect((await f.approvals.get('acme', apr.id)).status).toBe('expired');
    expect((await f.approvals.get('acme', apr.id)).status).toBe('expired');
    expect(await f.ledger.size()).toBe(size + 1);
    const [last] = (await f.ledger.query({ tenant: 'acme', name: 'expire', limit: 10 })).entries;
    expect(last?.event.actor.type).toBe('system');
    await expect(
      f.approvals.decide(a1, 'acme', apr.id, { decision: 'approve', digest: D1 }),
    ).rejects.toMatchObject({
      code: 'auth.approval_expired',
    });
  });

  it('expires an approved approval too', async () => {
    const apr = await open(1);
    await f.approvals.decide(a1, 'acme', apr.id, { decision: 'approve', digest: D1 });
    f.clock.advance(86_400_001);
    expect(await f.approvals.isApproved('acme', apr.id, D1)).toBe(false);
  });

  it('hides approvals from other tenants', async () => {
    const apr = await open(1);
    const outsider = await f.principal('oz', ['approver'], 'other');
    await expect(f.approvals.get('other', apr.id)).rejects.toMatchObject({ code: 'auth.approval_not_found' });
    await expect(
      f.approvals.decide(outsider, 'other', apr.id, { decision: 'approve', digest: D1 }),
    ).rejects.toMatchObject({ code: 'auth.approval_not_found' });
  });

  it('rejects invalid requests without writing', async () => {
    const size = await f.ledger.size();
    await expect(
      f.approvals.create(submitter, 'acme', { subject: { kind: 'dataset', id: 'x', digest: 'abc' } }),
    ).rejects.toMatchObject({ code: 'contract.invalid' });
    await expect(
      f.approvals.create(submitter, 'acme', {
        subject: { kind: 'dataset', id: 'x', digest: D1 },
        required_approvals: 0,
      }),
    ).rejects.toMatchObject({ code: 'contract.invalid' });
    expect(await f.ledger.size()).toBe(size);
    expect(await f.db.query('SELECT id FROM auth_approvals')).toEqual([]);
  });
});
