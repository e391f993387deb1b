import { z } from 'zod';
import { EventCategorySchema, EventEnvelopeSchema, EventInputSchema, SlugSchema } from './event.js';
import { RoleSchema } from './role.js';

/**
 * Request and response shapes of the HTTP API (`/v1/...`). The server validates
 * every body and query string with these schemas (unknown fields are rejected),
 * the OpenAPI document and `docs/schemas/` are generated from them, and the CLI's
 * remote client parses responses with them.
 */

/** Error body of every non-2xx response. */
export const ApiErrorSchema = z
  .object({
    error: z
      .object({
        code: z.string().describe('Stable machine-readable code, `module.reason`'),
        message: z.string(),
        issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
      })
      .strict(),
  })
  .strict();
export type ApiError = z.output<typeof ApiErrorSchema>;

const Iso = z.iso.datetime({ offset: false });
/** Time bound of a query, with or without an offset. */
const TimeBound = z.iso.datetime({ offset: true });
const Hash = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters (SHA-256)');
/** Non-negative integer that may arrive as a query-string. */
const IntParam = z.coerce.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

// ---------------------------------------------------------------- principals

export const PrincipalSchema = z
  .object({
    id: SlugSchema,
    tenant: SlugSchema,
    display_name: z.string(),
    roles: z.array(RoleSchema),
    disabled: z.boolean(),
    created_at: Iso,
  })
  .strict();
export type PrincipalView = z.output<typeof PrincipalSchema>;

export const CreatePrincipalRequestSchema = z
  .object({
    id: SlugSchema,
    display_name: z.string().min(1).max(256).optional(),
    roles: z.array(RoleSchema).min(1).max(7),
  })
  .strict();
export type CreatePrincipalRequest = z.input<typeof CreatePrincipalRequestSchema>;

export const PrincipalListSchema = z.object({ principals: z.array(PrincipalSchema) }).strict();

// ---------------------------------------------------------------- tokens

/** Duration such as `30m`, `12h`, `90d` (at most 400 days). */
export const DurationSchema = z
  .string()
  .regex(/^[1-9][0-9]{0,5}[smhd]$/, 'must be a duration such as 30m, 12h or 90d');

export const TokenSchema = z
  .object({
    id: z.string(),
    tenant: SlugSchema,
    principal_id: SlugSchema,
    name: z.string(),
    /** First characters of the secret, enough to recognise it in a list. */
    prefix: z.string(),
    created_at: Iso,
    created_by: z.string(),
    expires_at: Iso.nullable(),
    revoked_at: Iso.nullable(),
    last_used_at: Iso.nullable(),
  })
  .strict();
export type TokenView = z.output<typeof TokenSchema>;

export const CreateTokenRequestSchema = z
  .object({
    principal_id: SlugSchema,
    name: z.string().min(1).max(128).optional(),
    /** Lifetime; omitted means the server default (90d). */
    expires_in: DurationSchema.optional(),
  })
  .strict();
export type CreateTokenRequest = z.input<typeof CreateTokenRequestSchema>;

/** The only response that ever contains a token secret. */
export const CreatedTokenSchema = z.object({ token: z.string(), info: TokenSchema }).strict();
export type CreatedToken = z.output<typeof CreatedTokenSchema>;

export const TokenListQuerySchema = z.object({ principal_id: SlugSchema.optional() }).strict();
export const TokenListSchema = z.object({ tokens: z.array(TokenSchema) }).strict();

// ---------------------------------------------------------------- events

export const AppendEventsRequestSchema = z
  .object({ events: z.array(EventInputSchema).min(1).max(1000) })
  .strict();
export type AppendEventsRequest = z.input<typeof AppendEventsRequestSchema>;

export const AppendedEventSchema = z
  .object({ index: z.number().int().nonnegative(), id: z.uuid(), leaf_hash: Hash })
  .strict();
export const AppendEventsResponseSchema = z.object({ appended: z.array(AppendedEventSchema) }).strict();
export type AppendEventsResponse = z.output<typeof AppendEventsResponseSchema>;

export const EventListQuerySchema = z
  .object({
    /** Must equal the caller's tenant when given (tenants never see each other's events). */
    tenant: SlugSchema.optional(),
    category: EventCategorySchema.optional(),
    name: z.string().min(1).max(64).optional(),
    actor: z.string().min(1).max(256).optional(),
    since: TimeBound.optional(),
    until: TimeBound.optional(),
    resource_id: z.string().min(1).max(512).optional(),
    cursor: z.string().max(64).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();
export type EventListQuery = z.input<typeof EventListQuerySchema>;

export const LedgerEntrySchema = z
  .object({ index: z.number().int().nonnegative(), event: EventEnvelopeSchema })
  .strict();
export const EventPageSchema = z
  .object({ entries: z.array(LedgerEntrySchema), next_cursor: z.string().nullable() })
  .strict();
export type EventPage = z.output<typeof EventPageSchema>;

export const IndexParamsSchema = z.object({ index: IntParam }).strict();

// ---------------------------------------------------------------- audit

export const CheckpointSchema = z
  .object({
    size: z.number().int().nonnegative(),
    root_hash: Hash,
    /** C2SP signed-note checkpoint text, verifiable with the public key. */
    text: z.string(),
  })
  .strict();
export type CheckpointView = z.output<typeof CheckpointSchema>;

export const InclusionProofQuerySchema = z
  .object({ index: IntParam, tree_size: IntParam.optional() })
  .strict();
export const InclusionProofSchema = z
  .object({
    index: z.number().int().nonnegative(),
    tree_size: z.number().int().positive(),
    leaf_hash: Hash,
    /** Audit path, bottom-up (RFC 9162 §2.1.3). */
    hashes: z.array(Hash),
  })
  .strict();
export type InclusionProofView = z.output<typeof InclusionProofSchema>;

export const ConsistencyProofQuerySchema = z.object({ from: IntParam, to: IntParam.optional() }).strict();
export const ConsistencyProofSchema = z
  .object({
    from_size: z.number().int().nonnegative(),
    to_size: z.number().int().nonnegative(),
    /** RFC 9162 §2.1.4 consistency path. */
    hashes: z.array(Hash),
  })
  .strict();
export type ConsistencyProofView = z.output<typeof ConsistencyProofSchema>;

export const VerifyRequestSchema = z
  .object({
    /** A checkpoint saved earlier; verify fails when the log was rolled back behind it. */
    checkpoint: z
      .string()
      .max(64 * 1024)
      .optional(),
  })
  .strict();
export const VerifyResultSchema = z
  .object({
    ok: z.boolean(),
    size: z.number().int().nonnegative(),
    first_bad_index: z.number().int().nonnegative().nullable(),
    reason: z.string(),
  })
  .strict();
export type VerifyResultView = z.output<typeof VerifyResultSchema>;

export const EXPORT_FORMATS = ['jsonl', 'cloudevents', 'openlineage'] as const;
export const ExportFormatSchema = z.enum(EXPORT_FORMATS);
export type ExportFormatName = z.output<typeof ExportFormatSchema>;
export const ExportQuerySchema = z
  .object({
    format: ExportFormatSchema.default('jsonl'),
    tenant: SlugSchema.optional(),
    category: EventCategorySchema.optional(),
    since: TimeBound.optional(),
    until: TimeBound.optional(),
  })
  .strict();
export type ExportQuery = z.input<typeof ExportQuerySchema>;

export const PublicKeySchema = z
  .object({
    /** C2SP signed-note verifier key (`name+keyid+base64`). */
    verifier_key: z.string(),
    origin: z.string(),
  })
  .strict();
export type PublicKeyView = z.output<typeof PublicKeySchema>;

/**
 * An offline receipt: the exact leaf entry, its inclusion proof and the signed
 * checkpoint it leads to; verifiable with the public key alone (`verifyReceipt`).
 */
export const ReceiptSchema = z
  .object({
    index: z.number().int().nonnegative(),
    /** The leaf entry bytes (canonical JSON of `{event, index}`). */
    entry: z.string(),
    inclusion: z
      .object({
        index: z.number().int().nonnegative(),
        treeSize: z.number().int().positive(),
        leafHash: Hash,
        hashes: z.array(Hash),
      })
      .strict(),
    /** Signed checkpoint note (C2SP). */
    checkpoint: z.string(),
  })
  .strict();
export type ReceiptView = z.output<typeof ReceiptSchema>;

// ---------------------------------------------------------------- approvals

export const ApprovalStatusSchema = z.enum(['pending', 'approved', 'vetoed', 'expired']);
export type ApprovalStatus = z.output<typeof ApprovalStatusSchema>;

export const SubjectSchema = z
  .object({
    kind: SlugSchema.describe('What is approved, e.g. `dataset`, `training_run`, `model_release`'),
    id: z.string().min(1).max(256),
    digest: Hash.describe('SHA-256 (hex) of exactly what is approved'),
  })
  .strict();
export type Subject = z.output<typeof SubjectSchema>;

export const CreateApprovalRequestSchema = z
  .object({
    subject: SubjectSchema,
    /** Distinct approvers needed (default 1). */
    required_approvals: z.number().int().min(1).max(10).default(1),
    /** Who prepared the subject (defaults to the submitter); may never approve it. */
    prepared_by: SlugSchema.optional(),
    expires_in: DurationSchema.default('7d'),
    note: z.string().max(2000).optional(),
  })
  .strict();
export type CreateApprovalRequest = z.input<typeof CreateApprovalRequestSchema>;

export const DecideApprovalRequestSchema = z
  .object({
    decision: z.enum(['approve', 'veto']),
    /** The digest the approver reviewed; must equal the subject's current digest. */
    digest: Hash,
    comment: z.string().max(2000).optional(),
  })
  .strict();
export type DecideApprovalRequest = z.input<typeof DecideApprovalRequestSchema>;

export const UpdateApprovalDigestRequestSchema = z.object({ digest: Hash }).strict();

export const ApprovalDecisionSchema = z
  .object({
    principal_id: SlugSchema,
    decision: z.enum(['approve', 'veto']),
    digest: Hash,
    comment: z.string().nullable(),
    decided_at: Iso,
    /** False once the subject's digest changed after this decision. */
    valid: z.boolean(),
  })
  .strict();

export const ApprovalSchema = z
  .object({
    id: z.string(),
    tenant: SlugSchema,
    subject: SubjectSchema,
    status: ApprovalStatusSchema,
    required_approvals: z.number().int().positive(),
    approvals: z.number().int().nonnegative(),
    submitted_by: SlugSchema,
    prepared_by: SlugSchema,
    last_modified_by: SlugSchema,
    note: z.string().nullable(),
    created_at: Iso,
    updated_at: Iso,
    expires_at: Iso,
    decisions: z.array(ApprovalDecisionSchema),
  })
  .strict();
export type ApprovalView = z.output<typeof ApprovalSchema>;

export const IdParamsSchema = z.object({ id: z.string().min(1).max(256) }).strict();

// ---------------------------------------------------------------- misc

export const WhoamiSchema = z.object({ principal: PrincipalSchema }).strict();
export const HealthSchema = z.object({ status: z.enum(['ok', 'unavailable']) }).strict();
export const EmptyQuerySchema = z.object({}).strict();
