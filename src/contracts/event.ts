import { z } from 'zod';

/** Version of the event envelope written by this release. */
export const EVENT_SCHEMA_VERSION = '1.0';

/**
 * Operation categories and the operation names each one allows.
 * `training_run` names follow the run lifecycle; other categories list the
 * verbs tunegate itself emits (extra names are rejected so that queries and
 * exports stay predictable).
 */
export const EVENT_OPERATIONS = {
  dataset_ingest: ['register', 'manifest', 'scan', 'update', 'revoke'],
  dataset_review: ['submit', 'approve', 'reject', 'veto', 'expire'],
  training_run: ['request', 'approve', 'start', 'heartbeat', 'anomaly', 'end'],
  evaluation: ['start', 'result', 'gate'],
  model_release: ['request', 'approve', 'sign', 'publish', 'revoke'],
  model_quarantine: ['quarantine', 'release'],
  policy_decision: ['allow', 'deny', 'approve', 'reject', 'veto', 'expire', 'submit'],
  access: ['token_create', 'token_revoke', 'principal_create', 'principal_disable', 'login_failed', 'init'],
} as const;

export type EventCategory = keyof typeof EVENT_OPERATIONS;
export const EventCategorySchema = z.enum(
  Object.keys(EVENT_OPERATIONS) as [EventCategory, ...EventCategory[]],
);

/** Identifier for tenants, principals and other slugs. */
export const SlugSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be lowercase letters, digits, ".", "_" or "-"');

export const OperationSchema = z
  .object({
    category: EventCategorySchema,
    name: z.string().min(1).max(64),
  })
  .strict()
  .superRefine((op, ctx) => {
    const allowed: readonly string[] = EVENT_OPERATIONS[op.category];
    if (!allowed.includes(op.name)) {
      ctx.addIssue({
        code: 'custom',
        path: ['name'],
        message: `unknown operation "${op.name}" for category ${op.category}; expected one of ${allowed.join(', ')}`,
      });
    }
  });

export const ActorSchema = z
  .object({
    id: z.string().min(1).max(256),
    type: z.enum(['principal', 'system', 'runner']).default('principal'),
  })
  .strict();

/** Risk signals attached by producers, e.g. `{pii: true, poison_score: 0.2}`. */
export const RiskSignalsSchema = z.record(z.string(), z.union([z.boolean(), z.number(), z.string()]));

export const EventContextSchema = z
  .object({
    orchestrator: z.string().max(256).optional(),
    risk_signals: RiskSignalsSchema.optional(),
  })
  .catchall(z.unknown());

/**
 * What a producer submits: the shape users already log in
 * (`{operation, resource, context}`). The server adds id, time, actor and tenant.
 */
export const EventInputSchema = z
  .object({
    operation: OperationSchema,
    resource: z.record(z.string(), z.unknown()),
    context: EventContextSchema.default({}),
  })
  .strict();

/** The full event envelope as stored in the ledger and returned by the API. */
export const EventEnvelopeSchema = z
  .object({
    schema_version: z.literal(EVENT_SCHEMA_VERSION),
    id: z.uuid(),
    time: z.iso.datetime({ offset: false }),
    tenant: SlugSchema,
    actor: ActorSchema,
    operation: OperationSchema,
    resource: z.record(z.string(), z.unknown()),
    context: EventContextSchema,
  })
  .strict();

export type EventInput = z.input<typeof EventInputSchema>;
export type EventEnvelope = z.output<typeof EventEnvelopeSchema>;
export type Actor = z.output<typeof ActorSchema>;

/** A ledger entry: an event with its position in the log. */
export interface LedgerEntry {
  /** 0-based leaf index in the Merkle tree. */
  index: number;
  event: EventEnvelope;
}
