import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AUTH_DIALECTS, authFixture } from './test-support/auth-fixture.js';

type Fixture = Awaited<ReturnType<typeof authFixture>>;

describe.each(AUTH_DIALECTS)('IdentityService on %s', (dialect) => {
  let f: Fixture;
  beforeEach(async () => {
    f = await authFixture(dialect);
  });
  afterEach(async () => {
    await f.dispose();
  });

  it('issues a tg_ token that is stored only as its SHA-256 and authenticates its principal', async () => {
    await f.principal('alice', ['ml_engineer']);
    const created = await f.identities.createToken(f.operator, 'acme', { principal_id: 'alice' });
    expect(created.token).toMatch(/^tg_[A-Za-z0-9_-]{43}$/);
    const rows = await f.db.query<{ token_hash: string }>('SELECT token_hash FROM auth_tokens');
    expect(JSON.stringify(rows)).not.toContain(created.token);
    expect(JSON.stringify(rows)).not.toContain(created.token.slice(3));
    const ctx = await f.identities.authenticate(created.token);
    expect(ctx.principal).toMatchObject({ id: 'alice', tenant: 'acme', roles: ['ml_engineer'] });
    expect(ctx.tokenId).toBe(created.info.id);
    const [listed] = await f.identities.listTokens('acme', 'alice');
    expect(listed?.last_used_at).not.toBeNull();
    expect(JSON.stringify(await f.identities.listTokens('acme'))).not.toContain(created.token);
  });

  it('records token and principal changes as access events', async () => {
    const before = await f.ledger.size();
    await f.principal('bob', ['auditor']);
    const { info } = await f.identities.createToken(f.operator, 'acme', { principal_id: 'bob' });
    await f.identities.revokeToken(f.operator, 'acme', info.id);
    await f.identities.disablePrincipal(f.operator, 'acme', 'bob');
    const page = await f.ledger.query({ tenant: 'acme', category: 'access', limit: 100 });
    const names = page.entries.slice(-4).map((e) => e.event.operation.name);
    expect(names).toEqual(['principal_create', 'token_create', 'token_revoke', 'principal_disable']);
    expect(await f.ledger.size()).toBe(before + 4);
    const forToken = await f.ledger.query({ tenant: 'acme', resource_id: info.id, limit: 10 });
    expect(forToken.entries.map((e) => e.event.operation.name)).toEqual(['token_create', 'token_revoke']);
    expect(JSON.stringify(forToken.entries)).not.toMatch(/tg_[A-Za-z0-9_-]{43}/);
    // Repeating a revoke or disable changes nothing and records nothing.
    await f.identities.revokeToken(f.operator, 'acme', info.id);
    await f.identities.disablePrincipal(f.operator, 'acme', 'bob');
    expect(await f.ledger.size()).toBe(before + 4);
  });

  it.each([
    ['a malformed token', 'nonsense', 'auth.invalid_token'],
    ['an unknown token', `tg_${'A'.repeat(43)}`, 'auth.invalid_token'],
  ])('rejects %s', async (_what, token, code) => {
    await expect(f.identities.authenticate(token)).rejects.toMatchObject({ code });
  });

  it('rejects expired, revoked and disabled-principal tokens', async () => {
    await f.principal('carol', ['runner']);
    const short = await f.identities.createToken(f.operator, 'acme', {
      principal_id: 'carol',
      expires_in: '1h',
    });
    const revoked = await f.identities.createToken(f.operator, 'acme', { principal_id: 'carol' });
    await f.identities.revokeToken(f.operator, 'acme', revoked.info.id);
    await expect(f.identities.authenticate(revoked.token)).rejects.toMatchObject({
      code: 'auth.token_revoked',
    });
    await expect(f.identities.authenticate(short.token)).resolves.toBeDefined();
    f.clock.advance(3_600_001);
    await expect(f.identities.authenticate(short.token)).rejects.toMatchObject({
      code: 'auth.token_expired',
    });
    const live = await f.identities.createToken(f.operator, 'acme', { principal_id: 'carol' });
    await f.identities.disablePrincipal(f.operator, 'acme', 'carol');
    await expect(f.identities.authenticate(live.token)).rejects.toMatchObject({
      code: 'auth.principal_disabled',
    });
  });

  it('scopes principals and tokens to their tenant', async () => {
    await f.principal('dave', ['admin'], 'other');
    await f.identities.createToken(f.operator, 'other', { principal_id: 'dave' });
    expect((await f.identities.listPrincipals('acme')).map((p) => p.id)).not.toContain('dave');
    const other = await f.identities.listTokens('other');
    await expect(f.identities.revokeToken(f.operator, 'acme', other[0]?.id ?? 'x')).rejects.toMatchObject({
      code: 'auth.token_not_found',
    });
    await expect(
      f.identities.createToken(f.operator, 'acme', { principal_id: 'dave' }),
    ).rejects.toMatchObject({
      code: 'auth.principal_not_found',
    });
  });

  it('rejects bad input without changing anything', async () => {
    const size = await f.ledger.size();
    await f.principal('erin', ['approver']);
    const after = await f.ledger.size();
    await expect(f.principal('erin', ['approver'])).rejects.toMatchObject({
      code: 'auth.principal_conflict',
    });
    await expect(
      f.identities.createPrincipal(f.operator, 'acme', { id: 'Bad Id', roles: ['admin'] }),
    ).rejects.toMatchObject({ code: 'contract.invalid' });
    await expect(
      f.identities.createPrincipal(f.operator, 'acme', { id: 'x', roles: ['root' as 'admin'] }),
    ).rejects.toMatchObject({ code: 'contract.invalid' });
    await expect(
      f.identities.createToken(f.operator, 'acme', { principal_id: 'erin', expires_in: '10y' }),
    ).rejects.toMatchObject({ code: 'contract.invalid' });
    await expect(
      f.identities.createPrincipal(f.operator, 'nope', { id: 'x', roles: ['admin'] }),
    ).rejects.toMatchObject({ code: 'auth.tenant_not_found' });
    expect(after).toBe(size + 1);
    expect(await f.ledger.size()).toBe(after);
    expect(await f.identities.listTokens('acme', 'erin')).toEqual([]);
  });
});
