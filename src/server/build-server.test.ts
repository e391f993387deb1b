import type { InjectOptions } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiErrorSchema, type EventPage } from '../contracts/api.js';
import { bearer, serverFixture } from './test-support/server-fixture.js';

type Fixture = Awaited<ReturnType<typeof serverFixture>>;

const EVENT = {
  operation: { category: 'training_run', name: 'start' },
  resource: { training_run: { run_id: 'run-1', base_model: 'llama', datasets: ['ds-1'] } },
  context: { orchestrator: 'airflow', risk_signals: { pii: true } },
};

describe('HTTP API', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await serverFixture({ bodyLimit: 4096 });
  });
  afterEach(async () => {
    await f.dispose();
  });

  /** Asserts an error response of `status`/`code` and that nothing was appended. */
  async function expectRejected(
    request: InjectOptions,
    status: number,
    code: string,
  ): Promise<{ error: { code: string; message: string } }> {
    const size = await f.cp.ledger.size();
    const tokenIds = async () =>
      (await f.cp.identities.listTokens('default')).map((t) => [t.id, t.revoked_at, t.expires_at]);
    const tokens = await tokenIds();
    const res = await f.app.inject(request);
    expect(res.statusCode).toBe(status);
    const body = ApiErrorSchema.parse(res.json());
    expect(body.error.code).toBe(code);
    expect(body.error.message.length).toBeGreaterThan(0);
    expect(await f.cp.ledger.size()).toBe(size);
    expect(await tokenIds()).toEqual(tokens);
    return body;
  }

  it('serves health, readiness and the OpenAPI document without a token', async () => {
    expect((await f.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await f.app.inject({ url: '/readyz' })).json()).toEqual({ status: 'ok' });
    const doc = (await f.app.inject({ url: '/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/v1/events/{index}');
    expect(doc.paths['/v1/events'].post.requestBody).toBeDefined();
  });

  it('appends single and batch events and pages through them with a cursor', async () => {
    const one = await f.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: bearer(f.adminToken),
      payload: EVENT,
    });
    expect(one.statusCode).toBe(201);
    expect(one.json().appended).toHaveLength(1);
    const batch = await f.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: bearer(f.adminToken),
      payload: { events: [EVENT, EVENT, EVENT] },
    });
    expect(batch.statusCode).toBe(201);
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const res: { statusCode: number; json(): EventPage } = await f.app.inject({
        url: '/v1/events',
        headers: bearer(f.adminToken),
        query: { category: 'training_run', limit: '3', ...(cursor ? { cursor } : {}) },
      });
      expect(res.statusCode).toBe(200);
      const page: EventPage = res.json();
      seen.push(...page.entries.map((e) => e.index));
      for (const e of page.entries) expect(e.event.actor).toEqual({ id: 'admin', type: 'principal' });
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toHaveLength(4);
    const byIndex = await f.app.inject({ url: `/v1/events/${seen[0]}`, headers: bearer(f.adminToken) });
    expect(byIndex.json().event.resource).toEqual(EVENT.resource);
  });

  it('serves checkpoint, proofs, receipt, verify, export and public key', async () => {
    await f.app.inject({ method: 'POST', url: '/v1/events', headers: bearer(f.adminToken), payload: EVENT });
    const h = bearer(f.adminToken);
    const cp = (await f.app.inject({ url: '/v1/audit/checkpoint', headers: h })).json();
    expect(cp.size).toBeGreaterThan(1);
    expect(cp.text).toContain('tunegate.local/ledger');
    const inc = (
      await f.app.inject({ url: '/v1/audit/proofs/inclusion', query: { index: '0' }, headers: h })
    ).json();
    expect(inc.tree_size).toBe(cp.size);
    const con = await f.app.inject({ url: '/v1/audit/proofs/consistency', query: { from: '1' }, headers: h });
    expect(con.json().to_size).toBe(cp.size);
    const receipt = (await f.app.inject({ url: '/v1/audit/receipts/0', headers: h })).json();
    expect(receipt.checkpoint).toContain('\u2014 ');
    const verify = await f.app.inject({ method: 'POST', url: '/v1/audit/verify', headers: h });
    expect(verify.json()).toMatchObject({ ok: true, size: cp.size, first_bad_index: null });
    const withCp = await f.app.inject({
      method: 'POST',
      url: '/v1/audit/verify',
      headers: h,
      payload: { checkpoint: cp.text },
    });
    expect(withCp.json().ok).toBe(true);
    const exp = await f.app.inject({ url: '/v1/audit/export', query: { format: 'cloudevents' }, headers: h });
    expect(exp.headers['content-type']).toContain('application/x-ndjson');
    const lines = exp.body.trim().split('\n');
    expect(lines).toHaveLength(cp.size);
    expect(JSON.parse(lines[0] ?? '{}').specversion).toBe('1.0');
    const key = (await f.app.inject({ url: '/v1/audit/public-key', headers: h })).json();
    expect(key.verifier_key).toMatch(/^tunegate\.local\/ledger\+[0-9a-f]{8}\+/);
  });

  it('rejects malformed JSON', async () => {
    await expectRejected(
      {
        method: 'POST',
        url: '/v1/events',
        headers: { ...bearer(f.adminToken), 'content-type': 'application/json' },
        payload: '{"operation": ',
      },
      400,
      'api.malformed_json',
    );
  });

  it('rejects wrong types and names the field', async () => {
    const body = await expectRejected(
      {
        method: 'POST',
        url: '/v1/events',
        headers: bearer(f.adminToken),
        payload: { ...EVENT, operation: { category: 'training_run', name: 42 } },
      },
      400,
      'contract.invalid',
    );
    expect(JSON.stringify(body)).toContain('operation.name');
  });

  it('rejects unknown fields', async () => {
    await expectRejected(
      { method: 'POST', url: '/v1/events', headers: bearer(f.adminToken), payload: { ...EVENT, extra: 1 } },
      400,
      'contract.invalid',
    );
    await expectRejected(
      {
        method: 'POST',
        url: '/v1/tokens',
        headers: bearer(f.adminToken),
        payload: { principal_id: 'admin', x: 1 },
      },
      400,
      'contract.invalid',
    );
    await expectRejected(
      { url: '/v1/events?colour=red', headers: bearer(f.adminToken) },
      400,
      'contract.invalid',
    );
  });

  it('rejects a batch atomically when one event is bad', async () => {
    await expectRejected(
      {
        method: 'POST',
        url: '/v1/events',
        headers: bearer(f.adminToken),
        payload: { events: [EVENT, { ...EVENT, operation: { category: 'training_run', name: 'explode' } }] },
      },
      400,
      'contract.invalid',
    );
  });

  it('rejects oversized bodies with 413', async () => {
    const big = { ...EVENT, context: { note: 'x'.repeat(10_000) } };
    await expectRejected(
      { method: 'POST', url: '/v1/events', headers: bearer(f.adminToken), payload: big },
      413,
      'api.payload_too_large',
    );
  });

  it('rejects other media types with 415', async () => {
    await expectRejected(
      {
        method: 'POST',
        url: '/v1/events',
        headers: { ...bearer(f.adminToken), 'content-type': 'text/plain' },
        payload: 'hello',
      },
      415,
      'api.unsupported_media_type',
    );
  });

  it.each([
    ['no header', {}, 'auth.unauthenticated'],
    ['a non-bearer scheme', { authorization: 'Basic YWRtaW46YWRtaW4=' }, 'auth.unauthenticated'],
    ['a malformed token', { authorization: 'Bearer hello' }, 'auth.invalid_token'],
    ['an unknown token', { authorization: `Bearer tg_${'x'.repeat(43)}` }, 'auth.invalid_token'],
  ])('rejects %s with 401', async (_what, headers, code) => {
    await expectRejected({ method: 'POST', url: '/v1/events', headers, payload: EVENT }, 401, code);
  });

  it('rejects expired and revoked tokens with 401', async () => {
    const short = await f.tokenFor('runner-1', ['runner'], 'default', '1m');
    const ok = await f.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: bearer(short),
      payload: EVENT,
    });
    expect(ok.statusCode).toBe(201);
    f.clock.advance(60_001);
    await expectRejected(
      { method: 'POST', url: '/v1/events', headers: bearer(short), payload: EVENT },
      401,
      'auth.token_expired',
    );
    const other = await f.tokenFor('runner-2', ['runner']);
    const [info] = await f.cp.identities.listTokens('default', 'runner-2');
    await f.app.inject({ method: 'DELETE', url: `/v1/tokens/${info?.id}`, headers: bearer(f.adminToken) });
    await expectRejected(
      { method: 'POST', url: '/v1/events', headers: bearer(other), payload: EVENT },
      401,
      'auth.token_revoked',
    );
  });

  it('keeps tenants apart', async () => {
    await f.app.inject({ method: 'POST', url: '/v1/events', headers: bearer(f.adminToken), payload: EVENT });
    const outsider = await f.tokenFor('mallory', ['admin', 'auditor'], 'evil');
    const h = bearer(outsider);
    const own = (await f.app.inject({ url: '/v1/events', headers: h })).json();
    expect(own.entries.every((e: { event: { tenant: string } }) => e.event.tenant === 'evil')).toBe(true);
    await expectRejected({ url: '/v1/events/0', headers: h }, 403, 'auth.cross_tenant');
    await expectRejected({ url: '/v1/audit/receipts/0', headers: h }, 403, 'auth.cross_tenant');
    await expectRejected({ url: '/v1/events?tenant=default', headers: h }, 403, 'auth.cross_tenant');
    await expectRejected({ url: '/v1/audit/export?tenant=default', headers: h }, 403, 'auth.cross_tenant');
    const [token] = await f.cp.identities.listTokens('default');
    await expectRejected(
      { method: 'DELETE', url: `/v1/tokens/${token?.id}`, headers: h },
      404,
      'auth.token_not_found',
    );
    await expectRejected(
      { method: 'POST', url: '/v1/principals/admin/disable', headers: h },
      404,
      'auth.principal_not_found',
    );
    await expectRejected(
      { method: 'POST', url: '/v1/tokens', headers: h, payload: { principal_id: 'admin' } },
      404,
      'auth.principal_not_found',
    );
    const exported = await f.app.inject({ url: '/v1/audit/export', headers: h });
    expect(exported.body).not.toContain('"tenant":"default"');
    const principals = (await f.app.inject({ url: '/v1/principals', headers: h })).json().principals;
    expect(principals.map((p: { id: string }) => p.id)).toEqual(['mallory']);
  });

  it('rejects self-approval over the API and changes nothing', async () => {
    const steward = await f.tokenFor('stew', ['data_steward', 'approver']);
    const created = await f.app.inject({
      method: 'POST',
      url: '/v1/approvals',
      headers: bearer(steward),
      payload: { subject: { kind: 'dataset', id: 'ds', digest: 'c'.repeat(64) } },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().id;
    await expectRejected(
      {
        method: 'POST',
        url: `/v1/approvals/${id}/decisions`,
        headers: bearer(steward),
        payload: { decision: 'approve', digest: 'c'.repeat(64) },
      },
      403,
      'auth.self_approval',
    );
    const after = (await f.app.inject({ url: `/v1/approvals/${id}`, headers: bearer(steward) })).json();
    expect(after).toMatchObject({ status: 'pending', approvals: 0, decisions: [] });
  });

  it('answers unknown routes, ids and indexes with 404 codes', async () => {
    await expectRejected({ url: '/v1/nothing', headers: bearer(f.adminToken) }, 404, 'api.route_not_found');
    await expectRejected(
      { url: '/v1/events/999999', headers: bearer(f.adminToken) },
      404,
      'ledger.not_found',
    );
    await expectRejected({ url: '/v1/events/-1', headers: bearer(f.adminToken) }, 400, 'contract.invalid');
    await expectRejected(
      { url: '/v1/approvals/apr_nope', headers: bearer(f.adminToken) },
      404,
      'auth.approval_not_found',
    );
  });

  it('never logs tokens', async () => {
    await f.app.inject({ method: 'POST', url: '/v1/events', headers: bearer(f.adminToken), payload: EVENT });
    await f.app.inject({ url: '/v1/whoami', headers: bearer(f.adminToken) });
    const created = await f.app.inject({
      method: 'POST',
      url: '/v1/tokens',
      headers: bearer(f.adminToken),
      payload: { principal_id: 'admin' },
    });
    const text = f.logs.join('');
    expect(text).toContain('"msg":"authenticated"');
    expect(text).not.toContain(f.adminToken);
    expect(text).not.toContain(created.json().token);
    for (const line of f.logs) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('hides internals when the store fails', async () => {
    await f.cp.db.close();
    const res = await f.app.inject({ url: '/v1/whoami', headers: bearer(f.adminToken) });
    expect(res.statusCode).toBeGreaterThanOrEqual(500);
    const body = ApiErrorSchema.parse(res.json());
    expect(body.error.message).toMatch(/^(internal error|service unavailable)$/);
    expect(res.body).not.toMatch(/sqlite|SELECT|\/tmp|at .*\.ts/i);
    expect((await f.app.inject({ url: '/readyz' })).statusCode).toBe(503);
  });
});
