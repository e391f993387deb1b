import { randomUUID } from 'node:crypto';
import {
  type Actor,
  EVENT_SCHEMA_VERSION,
  type EventEnvelope,
  EventEnvelopeSchema,
  type EventInput,
  EventInputSchema,
} from '../contracts/event.js';
import { parseContract } from '../contracts/validate.js';

/**
 * Builds a complete event envelope from what a producer submitted: adds a UUID,
 * the current time (ISO 8601, UTC, `Z`), the schema version, tenant and actor.
 * Throws `ContractError('contract.invalid')` naming each offending field.
 */
export function newEvent(input: EventInput, who: { tenant: string; actor: Actor }): EventEnvelope {
  const parsed = parseContract(EventInputSchema, input, 'event');
  return parseContract(
    EventEnvelopeSchema,
    {
      schema_version: EVENT_SCHEMA_VERSION,
      id: randomUUID(),
      time: new Date().toISOString(),
      tenant: who.tenant,
      actor: who.actor,
      operation: parsed.operation,
      resource: parsed.resource,
      context: parsed.context,
    },
    'event',
  );
}

/**
 * The id of the main resource an event is about, used by the `resource_id`
 * query filter: in `resource.<kind>` (preferring the kind named like the
 * category), the first string among `id`, `run_id`, `<kind>_id`, `dataset_id`,
 * `model_id`, `name`; a string `resource.<kind>` counts as the id itself.
 */
export function resourceIdOf(event: Pick<EventEnvelope, 'operation' | 'resource'>): string | null {
  const kinds = Object.keys(event.resource).sort();
  const preferred = kinds.includes(event.operation.category)
    ? [event.operation.category, ...kinds.filter((k) => k !== event.operation.category)]
    : kinds;
  for (const kind of preferred) {
    const value = event.resource[kind];
    if (typeof value === 'string' && value.length > 0) return value;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) continue;
    const record = value as Record<string, unknown>;
    for (const field of ['id', 'run_id', `${kind}_id`, 'dataset_id', 'model_id', 'name']) {
      const candidate = record[field];
      if (typeof candidate === 'string' && candidate.length > 0) return candidate;
    }
  }
  return null;
}
