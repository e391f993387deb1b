import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { addNoise, cloneModel, tinyModel, writeModel } from '../../artifacts/test-support/model-fixtures.js';
import { osSystemPickle } from '../../artifacts/test-support/pickle-builder.js';
import { tempDir } from '../../artifacts/test-support/temp-dir.js';
import { buildZip } from '../../artifacts/test-support/zip-builder.js';
import { buildProgram } from '../program.js';

const root = resolve(import.meta.dirname, '../../..');
const sharedDir = process.env.TUNEGATE_SHARED_DIR ?? resolve(root, '../shared');
const sarifSchema = join(sharedDir, 'schemas', 'sarif-2.1.0.json');

/** Runs the real binary (slow: one process per call). */
function spawnCli(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/bin/tunegate.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the command tree in-process (as main.ts does), capturing output and the exit code. */
async function cli(args: string[], env: Record<string, string> = {}) {
  const program = buildProgram();
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const saved = { ...process.env };
  Object.assign(process.env, env);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  let code: number;
  try {
    await program.parseAsync(['node', 'tunegate', ...args]);
    code = Number(process.exitCode ?? 0);
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    code = e.exitCode === 0 ? 0 : 2;
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    process.exitCode = undefined;
    for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k];
    Object.assign(process.env, saved);
  }
  return { code, stdout, stderr };
}

describe('tunegate artifact scan / weights (CLI)', () => {
  const dir = tempDir('tg-cli-art-');
  const model = join(dir, 'model');
  mkdirSync(model);
  writeFileSync(join(model, 'config.json'), '{"model_type":"llama"}');

  it('exits 0 on a clean model and prints the manifest; 1 with a payload; 2 on bad input', async () => {
    const clean = await cli(['artifact', 'scan', model, '--manifest', join(dir, 'manifest.json')]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/root digest: sha256:[0-9a-f]{64}/);
    expect(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).predicateType).toBe(
      'https://model_signing/signature/v1.0',
    );
    writeFileSync(
      join(model, 'pytorch_model.bin'),
      buildZip([{ name: 'archive/data.pkl', data: osSystemPickle() }]),
    );
    const bad = await cli(['artifact', 'scan', model, '--format', 'json']);
    expect(bad.code).toBe(1);
    const report = JSON.parse(bad.stdout);
    expect(report.kind).toBe('artifact');
    expect(report.findings[0].rule).toBe('pickle.unsafe_global');
    expect((await cli(['artifact', 'scan', model, '--fail-on', 'critical', '--format', 'jsonl'])).code).toBe(
      1,
    );
    expect((await cli(['artifact', 'scan', join(dir, 'missing')])).code).toBe(2);
    expect(spawnCli(['artifact', 'scan', join(dir, 'missing')]).code).toBe(2);
    expect((await cli(['artifact', 'scan', model, '--format', 'xml'])).code).toBe(2);
  });

  it.skipIf(!existsSync(sarifSchema))('emits SARIF that validates against the official schema', async () => {
    const r = await cli(['artifact', 'scan', model, '--format', 'sarif']);
    const ajv = new Ajv({ strict: false, validateSchema: false });
    // ajv-formats is CommonJS: its default export arrives wrapped or not depending on the loader.
    const plugin = addFormatsPlugin as unknown as { default?: (a: Ajv) => Ajv } & ((a: Ajv) => Ajv);
    (plugin.default ?? plugin)(ajv);
    const validate = ajv.compile(JSON.parse(readFileSync(sarifSchema, 'utf8')));
    expect(validate(JSON.parse(r.stdout)), JSON.stringify(validate.errors)).toBe(true);
  });
  if (!existsSync(sarifSchema))
    console.log(`shared schemas not found at ${sharedDir}: skipping SARIF schema validation`);

  it('diffs weights, adds a baseline and analyses a LoRA adapter', async () => {
    const spec = { layers: 2, hidden: 16, intermediate: 24, vocab: 40 };
    const base = tinyModel(spec, 1);
    writeModel(join(dir, 'base'), base);
    const ft = cloneModel(base);
    addNoise(ft, 0.01, 2);
    writeModel(join(dir, 'ft'), ft);
    const home = join(dir, 'home');
    const diff = await cli(
      [
        'weights',
        'diff',
        join(dir, 'base'),
        join(dir, 'ft'),
        '--format',
        'json',
        '-o',
        join(dir, 'diff.json'),
        '--workers',
        '0',
      ],
      {
        TUNEGATE_HOME: home,
      },
    );
    expect(diff.code, diff.stderr).toBe(0);
    const add = await cli(['weights', 'baseline', 'add', join(dir, 'diff.json'), '--json'], {
      TUNEGATE_HOME: home,
    });
    expect(add.code, add.stderr).toBe(0);
    expect(JSON.parse(add.stdout).fine_tunes).toBe(1);
    expect((await cli(['weights', 'baseline', 'add', join(dir, 'nope.json')])).code).toBe(2);
    const undeclared = await cli(
      [
        'weights',
        'diff',
        join(dir, 'base'),
        join(dir, 'ft'),
        '--declared-modules',
        'q_proj',
        '--workers',
        '0',
      ],
      { TUNEGATE_HOME: home },
    );
    expect(undeclared.code).toBe(1);
    expect(undeclared.stdout).toMatch(/weights\.undeclared_change/);
    const lora = join(dir, 'lora');
    mkdirSync(lora);
    writeFileSync(
      join(lora, 'adapter_config.json'),
      JSON.stringify({ r: 2, lora_alpha: 4, target_modules: ['q_proj'], trainable_token_indices: [3] }),
    );
    writeModel(
      lora,
      new Map([
        [
          'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight',
          { shape: [2, 16], values: new Float32Array(32).fill(0.1) },
        ],
        [
          'base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight',
          { shape: [16, 2], values: new Float32Array(32).fill(0.1) },
        ],
      ]),
      'F32',
    );
    renameSync(join(lora, 'model.safetensors'), join(lora, 'adapter_model.safetensors'));
    const l = await cli(['weights', 'lora', lora, '--base', join(dir, 'base'), '--format', 'json']);
    expect(l.code).toBe(1);
    expect(JSON.parse(l.stdout).findings.map((f: { rule: string }) => f.rule)).toEqual([
      'lora.trainable_tokens',
    ]);
  });
});
