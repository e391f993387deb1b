import type { EventEnvelope } from '../contracts/event.js';

/**
 * Envelopes built and validated by `newEvent`, with their canonical JSON. Each one
 * is a deep-frozen, JSON-only copy owned by this module (nothing else holds a
 * reference to its parts), so it cannot change after validation: `Ledger.append`
 * can store the remembered bytes without validating the envelope again. Anything
 * else a caller passes (including a copy or spread of such an envelope) is not in
 * the map and is validated in full.
 */
const validated = new WeakMap<object, string>();

/** Freezes `json`'s parsed copy and remembers it as validated; returns the frozen envelope. */
export function sealValidated(json: string): EventEnvelope {
  const envelope = deepFreeze(JSON.parse(json)) as EventEnvelope;
  validated.set(envelope, json);
  return envelope;
}

/** The canonical JSON of an envelope sealed by {@link sealValidated}, or undefined for any other value. */
export function validatedJson(value: unknown): string | undefined {
  return typeof value === 'object' && value !== null ? validated.get(value) : undefined;
}

function deepFreeze(value: unknown): unknown {
  if (typeof value === 'object' && value !== null) {
    if (Array.isArray(value)) {
      for (const item of value) deepFreeze(item);
    } else {
      for (const key in value) deepFreeze((value as Record<string, unknown>)[key]);
    }
    Object.freeze(value);
  }
  return value;
}
