/**
 * Canonical JSON: object keys sorted by UTF-16 code units, no whitespace,
 * `undefined` members dropped (as JSON.stringify does). Ledger leaves are hashed
 * over these bytes, so the same event always produces the same leaf on every
 * engine and platform.
 *
 * Fast path: rebuild objects with sorted keys and hand them to the native
 * JSON.stringify, several times faster than concatenating by hand. JS always
 * enumerates integer-like keys first in numeric order ("9" before "10"), so a
 * value containing such keys takes the hand-written path instead.
 */
export function canonicalJson(value: unknown): string {
  let sorted: unknown;
  try {
    sorted = sortKeys(value);
  } catch (err) {
    if (err !== INTEGER_KEYS) throw err;
    return handWritten(value);
  }
  const text = JSON.stringify(sorted);
  if (text === undefined) throw new TypeError(`value of type ${typeof value} is not representable as JSON`);
  return text;
}

const INTEGER_KEY = /^(0|[1-9][0-9]*)$/;
const INTEGER_KEYS = Symbol('integer-like keys');

function toJsonValue(value: unknown): unknown {
  const withToJson = value as { toJSON?: () => unknown } | null;
  return withToJson !== null && typeof withToJson === 'object' && typeof withToJson.toJSON === 'function'
    ? withToJson.toJSON()
    : value;
}

function sortKeys(input: unknown): unknown {
  const value = toJsonValue(input);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(sortKeys);
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    if (INTEGER_KEY.test(key)) throw INTEGER_KEYS;
    out[key] = sortKeys(record[key]);
  }
  return out;
}

function handWritten(input: unknown): string {
  const value = toJsonValue(input);
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`value of type ${typeof value} is not representable as JSON`);
    return text;
  }
  if (Array.isArray(value)) {
    return `[${value.map((item) => (item === undefined || typeof item === 'function' ? 'null' : handWritten(item))).join(',')}]`;
  }
  const record = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const member = record[key];
    if (member === undefined || typeof member === 'function' || typeof member === 'symbol') continue;
    parts.push(`${JSON.stringify(key)}:${handWritten(member)}`);
  }
  return `{${parts.join(',')}}`;
}
