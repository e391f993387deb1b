import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// spdx-license-ids ships the SPDX list as JSON; loaded once (pure data, no I/O after import).
const ids: string[] = require('spdx-license-ids');
const deprecated: string[] = require('spdx-license-ids/deprecated.json');
const parse: (expr: string) => unknown = require('spdx-expression-parse');

const known = new Set<string>([...ids, ...deprecated].map((s) => s.toLowerCase()));

/**
 * True for a valid SPDX license expression made of known license ids
 * (e.g. `MIT`, `Apache-2.0 OR MIT`, `CC-BY-SA-3.0`), or the SPDX special values
 * `NOASSERTION` / `NONE` and `LicenseRef-*` references.
 */
export function isValidSpdxExpression(value: string): boolean {
  if (value === 'NOASSERTION' || value === 'NONE') return true;
  if (/^LicenseRef-[A-Za-z0-9.-]+$/.test(value)) return true;
  try {
    parse(value);
    return true;
  } catch {
    return false;
  }
}

/** True when `id` is a single SPDX license identifier from the official list. */
export function isKnownSpdxId(id: string): boolean {
  return known.has(id.toLowerCase());
}
