import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { renderJsonSchemas } from './export-json-schemas.js';

const DIR = join(import.meta.dirname, '..', '..', 'docs', 'schemas');

describe('docs/schemas', () => {
  it('match the contracts exactly (run `npm run schemas` after changing a contract)', async () => {
    const rendered = renderJsonSchemas();
    const committed = (await readdir(DIR)).filter((f) => f.endsWith('.schema.json')).sort();
    expect(committed).toEqual([...rendered.keys()].sort());
    for (const [file, text] of rendered) {
      expect(await readFile(join(DIR, file), 'utf8'), `${file} is stale`).toBe(text);
    }
  });

  it('are valid JSON Schemas that accept a real event and reject a wrong one', () => {
    const rendered = renderJsonSchemas();
    const ajv = new Ajv2020.default({ strict: false, allErrors: true });
    addFormats.default(ajv);
    for (const text of rendered.values()) ajv.addSchema(JSON.parse(text));
    // getSchema compiles: a schema Ajv cannot compile throws here.
    for (const file of rendered.keys())
      expect(ajv.getSchema(`https://tunegate.dev/schemas/${file}`), file).toBeDefined();
    const validate = ajv.getSchema('https://tunegate.dev/schemas/event-input.schema.json');
    if (!validate) throw new Error('event-input schema missing');
    expect(
      validate({
        operation: { category: 'training_run', name: 'start' },
        resource: {
          training_run: { run_id: 'r1', base_model: 'm', datasets: ['d'], hyperparams: { lr: 1e-4 } },
        },
        context: { orchestrator: 'argo', risk_signals: { pii: true } },
      }),
    ).toBe(true);
    expect(validate({ operation: { category: 'nope', name: 'start' }, resource: {} })).toBe(false);
    expect(validate({ operation: { category: 'access', name: 'init' }, resource: {}, extra: 1 })).toBe(false);
  });
});
