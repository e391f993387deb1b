import { z } from 'zod';
import type { Action } from '../auth/index.js';
import {
  AppendEventsRequestSchema,
  AppendEventsResponseSchema,
  ApprovalSchema,
  CheckpointSchema,
  ConsistencyProofQuerySchema,
  ConsistencyProofSchema,
  CreateApprovalRequestSchema,
  CreatedTokenSchema,
  CreatePrincipalRequestSchema,
  CreateTokenRequestSchema,
  DecideApprovalRequestSchema,
  EmptyQuerySchema,
  EventListQuerySchema,
  EventPageSchema,
  ExportQuerySchema,
  IdParamsSchema,
  InclusionProofQuerySchema,
  InclusionProofSchema,
  IndexParamsSchema,
  LedgerEntrySchema,
  PrincipalListSchema,
  PrincipalSchema,
  PublicKeySchema,
  ReceiptSchema,
  TokenListQuerySchema,
  TokenListSchema,
  TokenSchema,
  UpdateApprovalDigestRequestSchema,
  VerifyRequestSchema,
  VerifyResultSchema,
  WhoamiSchema,
} from '../contracts/api.js';
import { EventInputSchema } from '../contracts/event.js';
import type { TunegateClient } from '../control-plane/index.js';

const NoParams = z.object({}).strict();
/** Routes without a body accept none or `{}`. */
const NoBody = z.object({}).strict().optional();

/** Validated inputs of one request. */
export interface RouteInput<B, Q, P> {
  body: B;
  query: Q;
  params: P;
}

/**
 * One API route: its policy action (documentation and the role-walk test; the
 * decision itself is made by `authorize` inside the service), schemas, and a
 * thin handler that calls the principal's {@link TunegateClient}.
 */
export interface RouteSpec<
  B extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  P extends z.ZodType = z.ZodType,
> {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  summary: string;
  action: Action;
  body: B;
  query: Q;
  params: P;
  /** Picks the body schema from the raw body when `body` is a union (for precise error messages). */
  selectBody?: (raw: unknown) => z.ZodType;
  /** Success status (200 unless stated). */
  status?: number;
  /** Response schema, or `stream` for newline-delimited exports. */
  response: z.ZodType | 'stream';
  handler(
    client: TunegateClient,
    input: RouteInput<z.output<B>, z.output<Q>, z.output<P>>,
  ): Promise<unknown> | AsyncIterable<string>;
}

function route<B extends z.ZodType, Q extends z.ZodType, P extends z.ZodType>(
  spec: RouteSpec<B, Q, P>,
): RouteSpec {
  return spec as unknown as RouteSpec;
}

/** Single event, or `{events: [...]}` for a batch. */
const AppendBodySchema = z.union([EventInputSchema, AppendEventsRequestSchema]);

/** Every authenticated route, all under `/v1`. */
export const ROUTES: readonly RouteSpec[] = [
  route({
    method: 'GET',
    url: '/v1/whoami',
    summary: 'The calling principal',
    action: 'session.whoami',
    body: NoBody,
    query: EmptyQuerySchema,
    params: NoParams,
    response: WhoamiSchema,
    handler: async (c) => ({ principal: await c.whoami() }),
  }),
  route({
    method: 'POST',
    url: '/v1/events',
    summary: 'Append one event, or a batch as {events: [...]} (at most 1000), atomically',
    action: 'events.append',
    body: AppendBodySchema,
    selectBody: (raw) =>
      typeof raw === 'object' && raw !== null && 'events' in raw
        ? AppendEventsRequestSchema
        : EventInputSchema,
    query: EmptyQuerySchema,
    params: NoParams,
    status: 201,
    response: AppendEventsResponseSchema,
    handler: (c, { body }) => c.appendEvents('events' in body ? body.events : [body]),
  }),
  route({
    method: 'GET',
    url: '/v1/events',
    summary: "Query the caller's tenant's events (filters, cursor pagination)",
    action: 'events.read',
    body: NoBody,
    query: EventListQuerySchema,
    params: NoParams,
    response: EventPageSchema,
    handler: (c, { query }) => c.queryEvents(query),
  }),
  route({
    method: 'GET',
    url: '/v1/events/:index',
    summary: 'One event by ledger index',
    action: 'events.read',
    body: NoBody,
    query: EmptyQuerySchema,
    params: IndexParamsSchema,
    response: LedgerEntrySchema,
    handler: (c, { params }) => c.getEvent(params.index),
  }),
  route({
    method: 'GET',
    url: '/v1/audit/checkpoint',
    summary: 'Latest signed checkpoint (C2SP tlog-checkpoint)',
    action: 'audit.read',
    body: NoBody,
    query: EmptyQuerySchema,
    params: NoParams,
    response: CheckpointSchema,
    handler: (c) => c.checkpoint(),
  }),
  route({
    method: 'GET',
    url: '/v1/audit/proofs/inclusion',
    summary: 'RFC 9162 inclusion proof of one leaf',
    action: 'audit.read',
    body: NoBody,
    query: InclusionProofQuerySchema,
    params: NoParams,
    response: InclusionProofSchema,
    handler: (c, { query }) => c.inclusionProof(query.index, query.tree_size),
  }),
  route({
    method: 'GET',
    url: '/v1/audit/proofs/consistency',
    summary: 'RFC 9162 consistency proof between two tree sizes',
    action: 'audit.read',
    body: NoBody,
    query: ConsistencyProofQuerySchema,
    params: NoParams,
    response: ConsistencyProofSchema,
    handler: (c, { query }) => c.consistencyProof(query.from, query.to),
  }),
  route({
    method: 'GET',
    url: '/v1/audit/receipts/:index',
    summary: 'Offline receipt of one event (event, inclusion proof, signed checkpoint)',
    action: 'audit.read',
    body: NoBody,
    query: EmptyQuerySchema,
    params: IndexParamsSchema,
    response: ReceiptSchema,
    handler: (c, { params }) => c.receipt(params.index),
  }),
  route({
    method: 'POST',
    url: '/v1/audit/verify',
    summary: 'Recompute the whole log (optionally against a saved checkpoint)',
    action: 'audit.verify',
    body: VerifyRequestSchema.optional(),
    query: EmptyQuerySchema,
    params: NoParams,
    response: VerifyResultSchema,
    handler: (c, { body }) => c.verify(body?.checkpoint === undefined ? {} : { checkpoint: body.checkpoint }),
  }),
  route({
    method: 'GET',
    url: '/v1/audit/export',
    summary: "Stream the tenant's events as JSON lines (jsonl, cloudevents or openlineage)",
    action: 'audit.export',
    body: NoBody,
    query: ExportQuerySchema,
    params: NoParams,
    response: 'stream',
    handler: (c, { query }) => c.exportEvents(query),
  }),
  route({
    method: 'GET',
    url: '/v1/audit/public-key',
    summary: 'The C2SP verifier key of checkpoint signatures',
    action: 'audit.read',
    body: NoBody,
    query: EmptyQuerySchema,
    params: NoParams,
    response: PublicKeySchema,
    handler: (c) => c.publicKey(),
  }),
  route({
    method: 'POST',
    url: '/v1/tokens',
    summary: 'Issue an API token (the secret is in this response only)',
    action: 'tokens.create',
    body: CreateTokenRequestSchema,
    query: EmptyQuerySchema,
    params: NoParams,
    status: 201,
    response: CreatedTokenSchema,
    handler: (c, { body }) => c.createToken(body),
  }),
  route({
    method: 'GET',
    url: '/v1/tokens',
    summary: "List the tenant's tokens (never secrets)",
    action: 'tokens.list',
    body: NoBody,
    query: TokenListQuerySchema,
    params: NoParams,
    response: TokenListSchema,
    handler: async (c, { query }) => ({ tokens: await c.listTokens(query.principal_id) }),
  }),
  route({
    method: 'DELETE',
    url: '/v1/tokens/:id',
    summary: 'Revoke a token',
    action: 'tokens.revoke',
    body: NoBody,
    query: EmptyQuerySchema,
    params: IdParamsSchema,
    response: TokenSchema,
    handler: (c, { params }) => c.revokeToken(params.id),
  }),
  route({
    method: 'POST',
    url: '/v1/principals',
    summary: 'Create a principal in the caller’s tenant',
    action: 'principals.create',
    body: CreatePrincipalRequestSchema,
    query: EmptyQuerySchema,
    params: NoParams,
    status: 201,
    response: PrincipalSchema,
    handler: (c, { body }) => c.createPrincipal(body),
  }),
  route({
    method: 'GET',
    url: '/v1/principals',
    summary: "List the tenant's principals",
    action: 'principals.list',
    body: NoBody,
    query: EmptyQuerySchema,
    params: NoParams,
    response: PrincipalListSchema,
    handler: async (c) => ({ principals: await c.listPrincipals() }),
  }),
  route({
    method: 'POST',
    url: '/v1/principals/:id/disable',
    summary: 'Disable a principal (its tokens stop working)',
    action: 'principals.disable',
    body: NoBody,
    query: EmptyQuerySchema,
    params: IdParamsSchema,
    response: PrincipalSchema,
    handler: (c, { params }) => c.disablePrincipal(params.id),
  }),
  route({
    method: 'POST',
    url: '/v1/approvals',
    summary: 'Open an approval request bound to a subject digest',
    action: 'approvals.create',
    body: CreateApprovalRequestSchema,
    query: EmptyQuerySchema,
    params: NoParams,
    status: 201,
    response: ApprovalSchema,
    handler: (c, { body }) => c.createApproval(body),
  }),
  route({
    method: 'GET',
    url: '/v1/approvals/:id',
    summary: 'Read an approval (expires it when due)',
    action: 'approvals.read',
    body: NoBody,
    query: EmptyQuerySchema,
    params: IdParamsSchema,
    response: ApprovalSchema,
    handler: (c, { params }) => c.getApproval(params.id),
  }),
  route({
    method: 'POST',
    url: '/v1/approvals/:id/decisions',
    summary: 'Approve or veto (never by the submitter, preparer or last modifier)',
    action: 'approvals.decide',
    body: DecideApprovalRequestSchema,
    query: EmptyQuerySchema,
    params: IdParamsSchema,
    response: ApprovalSchema,
    handler: (c, { params, body }) => c.decideApproval(params.id, body),
  }),
  route({
    method: 'POST',
    url: '/v1/approvals/:id/digest',
    summary: 'Rebind to a new subject digest; earlier decisions become void',
    action: 'approvals.update',
    body: UpdateApprovalDigestRequestSchema,
    query: EmptyQuerySchema,
    params: IdParamsSchema,
    response: ApprovalSchema,
    handler: (c, { params, body }) => c.updateApprovalDigest(params.id, body.digest),
  }),
];
