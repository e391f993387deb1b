import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteClient } from '../../src/cli/remote-client.js';
import { bootstrap } from '../../src/control-plane/index.js';
import { tempControlPlane } from '../../src/control-plane/test-support/temp-control-plane.js';
import { type RunningServer, startServer } from '../../src/server/index.js';

const DIGEST = 'f'.repeat(64);

describe('RemoteClient against a real server', () => {
  let temp: Awaited<ReturnType<typeof tempControlPlane>>;
  let server: RunningServer;
  let admin: RemoteClient;
  beforeAll(async () => {
    temp = await tempControlPlane();
    const boot = await bootstrap(temp.cp);
    server = await startServer(temp.cp, {
      host: '127.0.0.1',
      port: 0,
      handleSignals: false,
      logLevel: 'silent',
    });
    admin = new RemoteClient(server.url, boot.token ?? '');
  });
  afterAll(async () => {
    await server.close();
    await temp.dispose();
  });

  it('covers every operation of the client interface', async () => {
    expect((await admin.whoami()).id).toBe('admin');
    const appended = await admin.appendEvents([
      {
        operation: { category: 'dataset_ingest', name: 'register' },
        resource: { dataset_ingest: { id: 'ds-9' } },
      },
    ]);
    const index = appended.appended[0]?.index ?? -1;
    expect((await admin.getEvent(index)).event.resource).toEqual({ dataset_ingest: { id: 'ds-9' } });
    expect((await admin.queryEvents({ resource_id: 'ds-9' })).entries).toHaveLength(1);
    const cp = await admin.checkpoint();
    expect((await admin.inclusionProof(index)).tree_size).toBe(cp.size);
    expect((await admin.consistencyProof(1, cp.size)).to_size).toBe(cp.size);
    expect((await admin.receipt(index)).index).toBe(index);
    expect(await admin.verify({ checkpoint: cp.text })).toMatchObject({ ok: true, size: cp.size });
    let exported = '';
    for await (const chunk of admin.exportEvents({ format: 'openlineage' })) exported += chunk;
    expect(exported.trim().split('\n')).toHaveLength(1);
    expect((await admin.publicKey()).verifier_key).toBe(temp.cp.ledger.publicKey());

    await admin.createPrincipal({ id: 'stew', roles: ['data_steward'] });
    await admin.createPrincipal({ id: 'appr', roles: ['approver'] });
    const stewToken = await admin.createToken({ principal_id: 'stew', expires_in: '1h' });
    const apprToken = await admin.createToken({ principal_id: 'appr' });
    expect((await admin.listPrincipals()).map((p) => p.id)).toEqual(['admin', 'appr', 'stew']);
    expect(await admin.listTokens('stew')).toHaveLength(1);

    const steward = new RemoteClient(server.url, stewToken.token);
    const approver = new RemoteClient(server.url, apprToken.token);
    const apr = await steward.createApproval({
      subject: { kind: 'model_release', id: 'm1', digest: DIGEST },
    });
    await expect(
      steward.decideApproval(apr.id, { decision: 'approve', digest: DIGEST }),
    ).rejects.toMatchObject({
      code: 'auth.forbidden',
    });
    expect((await approver.decideApproval(apr.id, { decision: 'approve', digest: DIGEST })).status).toBe(
      'approved',
    );
    expect((await steward.updateApprovalDigest(apr.id, 'e'.repeat(64))).status).toBe('pending');
    expect((await approver.getApproval(apr.id)).approvals).toBe(0);

    await admin.revokeToken(stewToken.info.id);
    await expect(steward.whoami()).rejects.toMatchObject({ code: 'auth.token_revoked' });
    await admin.disablePrincipal('appr');
    await expect(approver.whoami()).rejects.toMatchObject({ code: 'auth.principal_disabled' });
  });

  it('carries validation issues and reports an unreachable server', async () => {
    await expect(admin.createPrincipal({ id: 'UPPER', roles: ['admin'] })).rejects.toMatchObject({
      code: 'contract.invalid',
      details: { issues: [expect.objectContaining({ path: 'id' })] },
    });
    const nowhere = new RemoteClient('http://127.0.0.1:1', 'tg_x');
    await expect(nowhere.whoami()).rejects.toMatchObject({ code: 'remote.unreachable' });
    expect(() => new RemoteClient('ftp://x', 't')).toThrow(
      expect.objectContaining({ code: 'remote.invalid_url' }),
    );
  });
});
