import { z } from 'zod';
import { EventCategorySchema, SlugSchema } from '../contracts/event.js';

/** Largest page `Ledger.query` returns. */
export const MAX_QUERY_LIMIT = 1000;

/** Filters of `Ledger.query`; the server validates query strings with this schema. */
export const EventQuerySchema = z
  .object({
    tenant: SlugSchema,
    category: EventCategorySchema.optional(),
    name: z.string().min(1).max(64).optional(),
    /** Actor id. */
    actor: z.string().min(1).max(256).optional(),
    /** Inclusive lower bound on event time (ISO 8601). */
    since: z.iso.datetime({ offset: true }).optional(),
    /** Exclusive upper bound on event time (ISO 8601). */
    until: z.iso.datetime({ offset: true }).optional(),
    resource_id: z.string().min(1).max(512).optional(),
    /** Opaque cursor from a previous page's `nextCursor`. */
    cursor: z.string().max(64).optional(),
    limit: z.coerce.number().int().min(1).max(MAX_QUERY_LIMIT).default(100),
  })
  .strict();

export type EventQuery = z.input<typeof EventQuerySchema>;
