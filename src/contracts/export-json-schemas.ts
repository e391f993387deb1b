import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import * as contracts from './index.js';

/**
 * Renders every exported contract schema (`XxxSchema` in `src/contracts`) as a
 * JSON Schema (draft 2020-12, zod 4 `z.toJSONSchema`), keyed by file name
 * `xxx.schema.json`. Schemas describe what a valid document looks like when
 * submitted (`io: 'input'`: fields with defaults are optional); stored and returned
 * documents always satisfy them too. Pure: no I/O.
 */
export function renderJsonSchemas(): Map<string, string> {
  const out = new Map<string, string>();
  const entries = Object.entries(contracts as Record<string, unknown>)
    .filter(
      (entry): entry is [string, z.ZodType] => entry[0].endsWith('Schema') && entry[1] instanceof z.ZodType,
    )
    .sort(([a], [b]) => a.localeCompare(b));
  for (const [name, schema] of entries) {
    const base = name.slice(0, -'Schema'.length);
    const file = `${base.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}.schema.json`;
    const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' });
    const doc = { ...json, $id: `https://tunegate.dev/schemas/${file}`, title: base };
    out.set(file, `${JSON.stringify(doc, null, 2)}\n`);
  }
  return out;
}

/**
 * Writes {@link renderJsonSchemas} into `dir` (each file atomically: temp file +
 * rename) and removes `*.schema.json` files that no longer correspond to a contract.
 */
export async function exportJsonSchemas(dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const rendered = renderJsonSchemas();
  for (const [file, text] of rendered) {
    const target = join(dir, file);
    const tmp = `${target}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, text);
    await rename(tmp, target);
  }
  for (const file of await readdir(dir)) {
    if (file.endsWith('.schema.json') && !rendered.has(file)) await unlink(join(dir, file));
  }
  return [...rendered.keys()];
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = resolve(process.argv[2] ?? 'docs/schemas');
  exportJsonSchemas(dir).then(
    (files) => process.stdout.write(`wrote ${files.length} JSON Schemas to ${dir}\n`),
    (err: unknown) => {
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
