import { z } from 'zod';
import { ScanError } from './scan-error.js';

/**
 * Validates one detector's options with a strict zod schema and throws
 * `scan.invalid_config` naming the detector and every offending field.
 */
export function parseDetectorOptions<S extends z.ZodType>(
  detectorId: string,
  schema: S,
  options: Record<string, unknown>,
): z.output<S> {
  const result = schema.safeParse(options);
  if (result.success) return result.data;
  const fields = result.error.issues
    .map((i) => `${[detectorId, ...i.path.map(String)].join('.')}: ${i.message}`)
    .join('; ');
  throw new ScanError('scan.invalid_config', `invalid detector options: ${fields}`, {
    details: {
      detector: detectorId,
      issues: result.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
    },
  });
}

const parsed = new WeakMap<z.ZodType, WeakMap<object, unknown>>();

/**
 * Options parsed once per options object: `analyze` runs per record and the
 * options object is the same for the whole scan, so zod runs once, not per record.
 */
export function cachedOptions<S extends z.ZodType>(schema: S, options: Record<string, unknown>): z.output<S> {
  let bySchema = parsed.get(schema);
  if (!bySchema) {
    bySchema = new WeakMap();
    parsed.set(schema, bySchema);
  }
  if (!bySchema.has(options)) bySchema.set(options, schema.parse(options));
  return bySchema.get(options) as z.output<S>;
}

/** Re-export so detectors declare option schemas without importing zod twice. */
export { z };
