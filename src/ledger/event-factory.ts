import {
  type Actor,
  EVENT_SCHEMA_VERSION,
  type EventEnvelope,
  EventEnvelopeSchema,
  type EventInput,
  EventInputSchema,
} from '../contracts/event.js';
import { parseContract } from '../contracts/validate.js';
import { canonicalJson } from './canonical-json.js';
import { newEventId } from './event-id.js';
import { RESOURCE_ID_FIELDS } from './ledger-schema.js';
import { sealValidated } from './validated-events.js';

/**
 * Builds a complete event envelope from what a producer submitted: adds a time-ordered UUID (v7),
 * the current time (ISO 8601, UTC, `Z`), the schema version, tenant and actor.
 * Throws `ContractError('contract.invalid')` naming each offending field.
 *
 * The envelope returned is a deep-frozen, JSON-only copy (it shares nothing with
 * `input`; values with `toJSON`, such as dates, appear in their JSON form), which
 * lets `Ledger.append` skip validating it a second time.
 */
export function newEvent(input: EventInput, who: { tenant: string; actor: Actor }): EventEnvelope {
  const parsed = parseContract(EventInputSchema, input, 'event');
  const envelope = parseContract(
    EventEnvelopeSchema,
    {
      schema_version: EVENT_SCHEMA_VERSION,
      id: newEventId(),
      time: new Date().toISOString(),
      tenant: who.tenant,
      actor: who.actor,
      operation: parsed.operation,
      resource: parsed.resource,
      context: parsed.context,
    },
    'event',
  );
  // The same bytes `Ledger.append` would store after validating the envelope itself.
  return sealValidated(canonicalJson(envelope));
}

/**
 * The id of the main resource an event is about (the `resource_id` query filter
 * and the CloudEvents `subject`): in `resource.<category>`, the first of `id`,
 * `run_id`, `dataset_id`, `model_id`, `name` that is set. The ledger's generated
 * `resource_id` column computes the same in SQL.
 */
export function resourceIdOf(event: Pick<EventEnvelope, 'operation' | 'resource'>): string | null {
  const value = event.resource[event.operation.category];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const record = value as Record<string, unknown>;
  for (const field of RESOURCE_ID_FIELDS) {
    const candidate = record[field];
    if (typeof candidate === 'string' || typeof candidate === 'number') return String(candidate);
  }
  return null;
}
