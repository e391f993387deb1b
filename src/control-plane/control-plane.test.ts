import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPostgresTarget, testDatabaseUrl } from '../store/test-support/test-databases.js';
import { loadConfig } from './config.js';
import { bootstrap, type ControlPlane, openControlPlane } from './control-plane.js';
import { tempControlPlane } from './test-support/temp-control-plane.js';

describe('openControlPlane and bootstrap', () => {
  let t: Awaited<ReturnType<typeof tempControlPlane>>;
  let cp: ControlPlane;
  beforeEach(async () => {
    t = await tempControlPlane();
    cp = t.cp;
  });
  afterEach(async () => {
    await t.dispose();
  });

  it('creates the ledger key with mode 0600', async () => {
    const s = await stat(cp.config.keyPath);
    expect(s.mode & 0o777).toBe(0o600);
    expect(cp.ledger.publicKey()).toMatch(/^tunegate\.local\/ledger\+[0-9a-f]{8}\+/);
  });

  it('bootstraps once: a second run issues no new admin token unless asked', async () => {
    const first = await bootstrap(cp);
    expect(first).toMatchObject({ tenant: 'default', tenantCreated: true, adminCreated: true });
    expect(first.token).toMatch(/^tg_/);
    expect((await cp.service.authenticate(first.token ?? '')).principal.roles).toEqual(['admin']);
    const size = await cp.ledger.size();
    const second = await bootstrap(cp);
    expect(second).toMatchObject({ tenantCreated: false, adminCreated: false, token: null });
    expect(await cp.ledger.size()).toBe(size);
    const third = await bootstrap(cp, { newToken: true });
    expect(third.token).toMatch(/^tg_/);
    expect(third.token).not.toBe(first.token);
    expect(await cp.identities.listTokens('default', 'admin')).toHaveLength(2);
    const names = (await cp.ledger.query({ tenant: 'default', category: 'access', limit: 10 })).entries.map(
      (e) => e.event.operation.name,
    );
    expect(names).toEqual(['init', 'principal_create', 'token_create', 'token_create']);
  });

  it('survives concurrent bootstraps of the same store', async () => {
    const results = await Promise.all([bootstrap(cp), bootstrap(cp), bootstrap(cp)]);
    expect(results.filter((r) => r.adminCreated)).toHaveLength(1);
    expect(results.filter((r) => r.tenantCreated)).toHaveLength(1);
    expect(await cp.identities.listPrincipals('default')).toHaveLength(1);
  });

  it('reopens the same home with the same key and data', async () => {
    await bootstrap(cp);
    const key = cp.ledger.publicKey();
    const size = await cp.ledger.size();
    await cp.close();
    cp = await openControlPlane(cp.config);
    expect(cp.ledger.publicKey()).toBe(key);
    expect(await cp.ledger.size()).toBe(size);
    expect((await cp.ledger.verify()).ok).toBe(true);
    await cp.close();
  });

  it('opens the embedded store with the configured synchronous mode', async () => {
    // SQLite reports PRAGMA synchronous as a number: 1 = NORMAL, 2 = FULL.
    expect(await cp.db.query('PRAGMA synchronous')).toEqual([{ synchronous: 2 }]);
    await cp.close();
    cp = await openControlPlane({ ...cp.config, sqliteSynchronous: 'NORMAL' });
    expect(await cp.db.query('PRAGMA synchronous')).toEqual([{ synchronous: 1 }]);
    await cp.close();
  });
});

if (!testDatabaseUrl)
  console.info('notice: TUNEGATE_TEST_DATABASE_URL is not set; PostgreSQL control-plane test skipped');

describe.skipIf(!testDatabaseUrl)('openControlPlane on PostgreSQL', () => {
  it('bootstraps, authenticates and verifies with TUNEGATE_DATABASE_URL', async () => {
    const target = await createPostgresTarget();
    const home = await mkdtemp(join(tmpdir(), 'tunegate-cp-pg-'));
    try {
      const cp = await openControlPlane(
        loadConfig({ TUNEGATE_HOME: home, TUNEGATE_DATABASE_URL: target.location }),
      );
      try {
        expect(cp.db.dialect).toBe('postgres');
        const boot = await bootstrap(cp);
        const auth = await cp.service.authenticate(boot.token ?? '');
        await cp.service
          .as(auth)
          .appendEvents([
            { operation: { category: 'evaluation', name: 'start' }, resource: { evaluation: { id: 'e' } } },
          ]);
        expect(await cp.service.as(auth).verify({})).toMatchObject({ ok: true, size: 4 });
      } finally {
        await cp.close();
      }
    } finally {
      await target.dispose();
      await rm(home, { recursive: true, force: true });
    }
  });
});
