import type { z } from 'zod';

/**
 * Parses a detector's options once per options object (the engine passes the
 * same object for every record), so `analyze` does not re-run zod per record.
 */
export function cachedOptions<S extends z.ZodType>(
  schema: S,
): (options: Record<string, unknown>) => z.output<S> {
  const cache = new WeakMap<object, z.output<S>>();
  return (options) => {
    let parsed = cache.get(options);
    if (parsed === undefined) {
      parsed = schema.parse(options);
      cache.set(options, parsed);
    }
    return parsed as z.output<S>;
  };
}
