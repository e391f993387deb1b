import type { z } from 'zod';
import {
  ApiErrorSchema,
  AppendEventsResponseSchema,
  ApprovalSchema,
  type ApprovalView,
  CheckpointSchema,
  ConsistencyProofSchema,
  type CreateApprovalRequest,
  CreatedTokenSchema,
  type CreatePrincipalRequest,
  type CreateTokenRequest,
  type DecideApprovalRequest,
  type EventListQuery,
  EventPageSchema,
  type ExportQuery,
  InclusionProofSchema,
  LedgerEntrySchema,
  PrincipalListSchema,
  PrincipalSchema,
  PublicKeySchema,
  ReceiptSchema,
  TokenListSchema,
  TokenSchema,
  VerifyResultSchema,
  WhoamiSchema,
} from '../contracts/api.js';
import { TunegateError } from '../contracts/error.js';
import type { EventInput } from '../contracts/event.js';
import { parseContract } from '../contracts/validate.js';
import type { TunegateClient } from '../control-plane/index.js';

/**
 * Errors of remote mode. Errors the server answered keep the server's code
 * (e.g. `auth.forbidden`), so exit codes are the same as in embedded mode.
 */
export class RemoteError extends TunegateError<string> {}

type Query = Record<string, unknown>;

/** {@link TunegateClient} over the HTTP API (`--server URL`, token from `TUNEGATE_TOKEN`). */
export class RemoteClient implements TunegateClient {
  private readonly base: string;

  constructor(
    server: string,
    private readonly token: string,
  ) {
    let url: URL;
    try {
      url = new URL(server);
    } catch {
      throw new RemoteError('remote.invalid_url', `--server: "${server}" is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new RemoteError('remote.invalid_url', `--server: "${server}" must be an http(s) URL`);
    }
    this.base = url.toString().replace(/\/+$/, '');
  }

  async whoami() {
    return (await this.call('GET', '/v1/whoami', WhoamiSchema)).principal;
  }

  appendEvents(events: EventInput[]) {
    return this.call('POST', '/v1/events', AppendEventsResponseSchema, { body: { events } });
  }

  queryEvents(query: EventListQuery) {
    return this.call('GET', '/v1/events', EventPageSchema, { query: { ...query } });
  }

  getEvent(index: number) {
    return this.call('GET', `/v1/events/${index}`, LedgerEntrySchema);
  }

  checkpoint() {
    return this.call('GET', '/v1/audit/checkpoint', CheckpointSchema);
  }

  inclusionProof(index: number, treeSize?: number) {
    return this.call('GET', '/v1/audit/proofs/inclusion', InclusionProofSchema, {
      query: { index, tree_size: treeSize },
    });
  }

  consistencyProof(fromSize: number, toSize?: number) {
    return this.call('GET', '/v1/audit/proofs/consistency', ConsistencyProofSchema, {
      query: { from: fromSize, to: toSize },
    });
  }

  receipt(index: number) {
    return this.call('GET', `/v1/audit/receipts/${index}`, ReceiptSchema);
  }

  verify(options: { checkpoint?: string }) {
    return this.call('POST', '/v1/audit/verify', VerifyResultSchema, { body: options });
  }

  async *exportEvents(query: ExportQuery): AsyncIterable<string> {
    const response = await this.fetch('GET', '/v1/audit/export', { query: { ...query } });
    if (!response.ok) throw await this.failure(response);
    if (response.body === null) return;
    const decoder = new TextDecoder();
    for await (const chunk of response.body) {
      const text = decoder.decode(chunk as Uint8Array, { stream: true });
      if (text !== '') yield text;
    }
    const tail = decoder.decode();
    if (tail !== '') yield tail;
  }

  publicKey() {
    return this.call('GET', '/v1/audit/public-key', PublicKeySchema);
  }

  createToken(request: CreateTokenRequest) {
    return this.call('POST', '/v1/tokens', CreatedTokenSchema, { body: request });
  }

  async listTokens(principalId?: string) {
    return (await this.call('GET', '/v1/tokens', TokenListSchema, { query: { principal_id: principalId } }))
      .tokens;
  }

  revokeToken(tokenId: string) {
    return this.call('DELETE', `/v1/tokens/${encodeURIComponent(tokenId)}`, TokenSchema);
  }

  createPrincipal(request: CreatePrincipalRequest) {
    return this.call('POST', '/v1/principals', PrincipalSchema, { body: request });
  }

  async listPrincipals() {
    return (await this.call('GET', '/v1/principals', PrincipalListSchema)).principals;
  }

  disablePrincipal(id: string) {
    return this.call('POST', `/v1/principals/${encodeURIComponent(id)}/disable`, PrincipalSchema);
  }

  createApproval(request: CreateApprovalRequest): Promise<ApprovalView> {
    return this.call('POST', '/v1/approvals', ApprovalSchema, { body: request });
  }

  getApproval(id: string) {
    return this.call('GET', `/v1/approvals/${encodeURIComponent(id)}`, ApprovalSchema);
  }

  decideApproval(id: string, request: DecideApprovalRequest) {
    return this.call('POST', `/v1/approvals/${encodeURIComponent(id)}/decisions`, ApprovalSchema, {
      body: request,
    });
  }

  updateApprovalDigest(id: string, digest: string) {
    return this.call('POST', `/v1/approvals/${encodeURIComponent(id)}/digest`, ApprovalSchema, {
      body: { digest },
    });
  }

  private async call<S extends z.ZodType>(
    method: string,
    path: string,
    schema: S,
    options: { query?: Query; body?: unknown } = {},
  ): Promise<z.output<S>> {
    const response = await this.fetch(method, path, options);
    if (!response.ok) throw await this.failure(response);
    let json: unknown;
    try {
      json = await response.json();
    } catch (err) {
      throw new RemoteError('remote.invalid_response', `${method} ${path}: the server sent invalid JSON`, {
        cause: err,
      });
    }
    return parseContract(schema, json, `${method} ${path} response`);
  }

  private async fetch(
    method: string,
    path: string,
    options: { query?: Query; body?: unknown },
  ): Promise<Response> {
    const url = new URL(`${this.base}${path}`);
    for (const [k, v] of Object.entries(options.query ?? {})) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await fetch(url, {
        method,
        headers,
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      });
    } catch (err) {
      throw new RemoteError('remote.unreachable', `cannot reach ${this.base}: ${describe(err)}`, {
        cause: err,
      });
    }
  }

  private async failure(response: Response): Promise<RemoteError> {
    const text = await response.text().catch(() => '');
    let parsed: ReturnType<typeof ApiErrorSchema.safeParse> | null = null;
    try {
      parsed = ApiErrorSchema.safeParse(JSON.parse(text));
    } catch {
      parsed = null;
    }
    if (parsed?.success) {
      const { code, message, issues } = parsed.data.error;
      return new RemoteError(code, message, issues === undefined ? undefined : { details: { issues } });
    }
    return new RemoteError(
      'remote.invalid_response',
      `the server answered HTTP ${response.status} without an error body`,
    );
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? cause.message : err.message;
  }
  return String(err);
}
