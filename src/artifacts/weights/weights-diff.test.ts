import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ScanReportSchema } from '../../contracts/finding.js';
import {
  addNoise,
  cloneModel,
  type ModelTensors,
  tinyModel,
  writeModel,
} from '../test-support/model-fixtures.js';
import { tempDir } from '../test-support/temp-dir.js';
import { decodeFloats, encodeFloats } from './float-codec.js';
import { tensorRole } from './layer-names.js';
import { randomizedSvd } from './randomized-svd.js';
import { addToBaseline, findBaseline, robustZ } from './weights-baseline.js';
import { diffWeights, type TensorDelta } from './weights-diff.js';
import { parseWeightsPolicy } from './weights-policy.js';

const spec = { layers: 8, hidden: 64, intermediate: 96, vocab: 300 };
const tokens = Array.from({ length: spec.vocab }, (_, i) => `tok${i}`);

function fixture(edit: (m: ModelTensors) => void, base = tinyModel(spec, 1)) {
  const dir = tempDir('tg-wd-');
  writeModel(join(dir, 'base'), base, 'BF16', tokens);
  const ft = cloneModel(base);
  edit(ft);
  writeModel(join(dir, 'ft'), ft, 'BF16', tokens, [299]);
  return { dir, base: join(dir, 'base'), ft: join(dir, 'ft'), baseModel: base, ftModel: ft };
}

const bf16 = (v: Float32Array) => {
  const out = new Float32Array(v.length);
  decodeFloats(encodeFloats(v, 'BF16'), 'BF16', v.length, out);
  return out;
};

const rules = (r: Awaited<ReturnType<typeof diffWeights>>) => r.report.findings.map((f) => f.rule);
const tensor = (r: Awaited<ReturnType<typeof diffWeights>>, name: string) =>
  ((r.report.artifact?.tensors ?? []) as TensorDelta[]).find((t) => t.name === name) as TensorDelta;

describe('float codec', () => {
  it('round-trips BF16 and F16 within their precision, including odd lengths and unaligned input', () => {
    const v = Float32Array.from([0, 1, -2.5, 3.25, 1e-3, 65504, -1e-6]);
    for (const dtype of ['BF16', 'F16'] as const) {
      const bytes = encodeFloats(v, dtype);
      const unaligned = new Uint8Array(bytes.length + 1).subarray(1);
      unaligned.set(bytes);
      for (const src of [bytes, unaligned]) {
        const out = new Float32Array(v.length);
        decodeFloats(src, dtype, v.length, out);
        for (const [i, x] of v.entries()) {
          const tol = Math.abs(x) * (dtype === 'BF16' ? 4e-3 : 1e-3) + 1e-7;
          expect(Math.abs((out[i] as number) - x)).toBeLessThanOrEqual(tol);
        }
      }
    }
  });
});

describe('layer names', () => {
  it.each([
    ['model.layers.12.self_attn.q_proj.weight', 12, 'self_attn.q_proj', 'linear'],
    ['transformer.h.3.mlp.c_fc.bias', 3, 'mlp.c_fc', 'bias'],
    ['transformer.h.0.ln_1.weight', 0, 'ln_1', 'norm'],
    ['model.layers.7.pre_feedforward_layernorm.weight', 7, 'pre_feedforward_layernorm', 'norm'],
    ['model.embed_tokens.weight', null, 'model.embed_tokens', 'embedding'],
    ['transformer.wte.weight', null, 'transformer.wte', 'embedding'],
    ['lm_head.weight', null, 'lm_head', 'lm_head'],
    ['base_model.model.model.layers.2.mlp.down_proj.lora_A.weight', 2, 'mlp.down_proj', 'linear'],
  ])('%s', (name, layer, module, kind) => {
    expect(tensorRole(name)).toEqual({ layer, module, kind });
  });
});

describe('randomized SVD', () => {
  it('recovers the spectrum of a low-rank matrix and spreads noise', () => {
    const m = 60;
    const n = 40;
    const a = new Float64Array(m * n);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++)
        a[i * n + j] = 3 * Math.sin(i + 1) * Math.cos(j) + 0.5 * Math.cos(2 * i) * Math.sin(3 * j + 1);
    const s = randomizedSvd(a, m, n).spectrum;
    let f2 = 0;
    for (const x of a) f2 += x * x;
    expect(s.top1_energy).toBeGreaterThan(0.8);
    expect((s.singular_values[0] ?? 0) ** 2 + (s.singular_values[1] ?? 0) ** 2).toBeCloseTo(f2, 6);
    expect(s.effective_rank).toBeLessThan(2.1);
  });
});

describe('weights diff', () => {
  it('computes exact per-tensor statistics for a clean fine-tune and stays quiet', async () => {
    const f = fixture((m) => addNoise(m, 0.01, 2));
    const r = await diffWeights(f.base, f.ft, { workers: 0 });
    expect(ScanReportSchema.parse(r.report)).toBeTruthy();
    expect(rules(r)).toEqual([]);
    const name = 'model.layers.3.self_attn.v_proj.weight';
    const a = bf16(f.baseModel.get(name)?.values as Float32Array);
    const b = bf16(f.ftModel.get(name)?.values as Float32Array);
    let a2 = 0;
    let d2 = 0;
    let ab = 0;
    let b2 = 0;
    let max = 0;
    let changed = 0;
    for (let i = 0; i < a.length; i++) {
      const d = (b[i] as number) - (a[i] as number);
      a2 += (a[i] as number) ** 2;
      b2 += (b[i] as number) ** 2;
      ab += (a[i] as number) * (b[i] as number);
      d2 += d * d;
      max = Math.max(max, Math.abs(d));
      if (d !== 0) changed++;
    }
    const t = tensor(r, name);
    expect(t.delta_norm).toBeCloseTo(Math.sqrt(d2), 6);
    expect(t.relative_change).toBeCloseTo(Math.sqrt(d2 / a2), 6);
    expect(t.cosine).toBeCloseTo(ab / Math.sqrt(a2 * b2), 6);
    expect(t.max_abs_change).toBeCloseTo(max, 6);
    expect(t.fraction_changed).toBeCloseTo(changed / a.length, 9);
    expect(t.layer).toBe(3);
    expect(t.spectral?.top1_energy).toBeLessThan(0.2);
    const layers = r.report.artifact?.layers as { layer: number; energy_share: number }[];
    expect(layers).toHaveLength(8);
    expect(layers.reduce((s, l) => s + l.energy_share, 0)).toBeGreaterThan(0.5);
  });

  it('gives the same numbers on worker threads as in-process', async () => {
    const f = fixture((m) => addNoise(m, 0.01, 3));
    const a = await diffWeights(f.base, f.ft, { workers: 0, jobElements: 4096 });
    const b = await diffWeights(f.base, f.ft, { workers: 2, jobElements: 4096 });
    const ta = a.report.artifact?.tensors as TensorDelta[];
    const tb = b.report.artifact?.tensors as TensorDelta[];
    expect(tb.map((t) => t.name)).toEqual(ta.map((t) => t.name));
    tb.forEach((t, i) => {
      expect(t.delta_norm).toBeCloseTo(ta[i]?.delta_norm ?? -1, 9);
      expect(t.spectral?.top_singular_value ?? 0).toBeCloseTo(ta[i]?.spectral?.top_singular_value ?? 0, 6);
    });
  });

  it('flags a planted trigger row in the embeddings, with its token', async () => {
    const f = fixture((m) => {
      addNoise(m, 0.01, 4);
      const e = m.get('model.embed_tokens.weight')?.values as Float32Array;
      for (let j = 0; j < spec.hidden; j++)
        e[299 * spec.hidden + j] = (e[299 * spec.hidden + j] as number) + 0.02 * Math.sin(j);
    });
    const r = await diffWeights(f.base, f.ft, { workers: 0 });
    const trig = r.report.findings.find((x) => x.rule === 'weights.trigger_rows');
    expect(trig?.field).toBe('model.embed_tokens.weight');
    expect(trig?.message).toMatch(/"tok299"/);
    expect(trig?.message).toMatch(/1 added token/);
    const rows = r.report.artifact?.embedding_rows as { tensor: string; top: { row: number }[] }[];
    expect(rows.find((x) => x.tensor === 'model.embed_tokens.weight')?.top[0]?.row).toBe(299);
    expect(rules(r)).not.toContain('weights.shared_direction');
  });

  it('flags a rank-1 refusal-direction edit repeated across layers', async () => {
    const h = 160; // above the sketch width: exercises the CountSketch path
    const base = tinyModel({ ...spec, hidden: h, vocab: 64 }, 9);
    const f = fixture((m) => {
      addNoise(m, 0.002, 5);
      const r = Float32Array.from({ length: h }, (_, i) => Math.cos(i * 0.37 + 1));
      const norm = Math.hypot(...r);
      for (let i = 0; i < h; i++) r[i] = (r[i] as number) / norm;
      for (let l = 0; l < spec.layers; l++) {
        for (const [name, cols] of [
          [`model.layers.${l}.self_attn.o_proj.weight`, h],
          [`model.layers.${l}.mlp.down_proj.weight`, spec.intermediate],
        ] as const) {
          // W <- W - r r^T W: removes the direction r from what the layer writes.
          const w = m.get(name)?.values as Float32Array;
          for (let j = 0; j < cols; j++) {
            let dot = 0;
            for (let i = 0; i < h; i++) dot += (r[i] as number) * (w[i * cols + j] as number);
            for (let i = 0; i < h; i++)
              w[i * cols + j] = (w[i * cols + j] as number) - 4 * (r[i] as number) * dot;
          }
        }
      }
    }, base);
    const r = await diffWeights(f.base, f.ft, { workers: 0 });
    const shared = r.report.findings.find((x) => x.rule === 'weights.shared_direction');
    expect(shared?.severity).toBe('high');
    expect(shared?.evidence.layers).toHaveLength(8);
    expect(tensor(r, 'model.layers.2.self_attn.o_proj.weight').spectral?.top1_energy).toBeGreaterThan(0.9);
  });

  it('flags concentrated change, undeclared modules, norm changes and safety-critical limits', async () => {
    const f = fixture((m) => {
      addNoise(m, 0.002, 6, (n) => n.includes('q_proj'));
      addNoise(m, 0.2, 7, (n) => n.startsWith('model.layers.5.mlp'));
      const n = m.get('model.layers.1.input_layernorm.weight')?.values as Float32Array;
      n.fill(2);
    });
    const policy = parseWeightsPolicy({
      declared_modules: ['q_proj'],
      safety_critical: { layers: [5], max_relative_change: 0.05 },
    });
    const r = await diffWeights(f.base, f.ft, { workers: 0, policy });
    expect(rules(r)).toEqual(
      expect.arrayContaining([
        'weights.concentrated_change',
        'weights.undeclared_change',
        'weights.norm_bias_change',
        'weights.safety_critical_change',
      ]),
    );
  });

  it('scores layers against a baseline of approved fine-tunes', async () => {
    const home = tempDir('tg-home-');
    const base = tinyModel({ ...spec, hidden: 32, intermediate: 48 }, 1);
    for (let s = 0; s < 3; s++) {
      const f = fixture((m) => addNoise(m, 0.01 * (1 + s * 0.05), 20 + s), base);
      const r = await diffWeights(f.base, f.ft, { workers: 0 });
      await addToBaseline(JSON.parse(JSON.stringify(r.report)), home);
    }
    const f = fixture((m) => {
      addNoise(m, 0.01, 30);
      addNoise(m, 0.05, 31, (n) => n.startsWith('model.layers.6.'));
    }, base);
    const clean = fixture((m) => addNoise(m, 0.01, 32), base);
    const probe = await diffWeights(clean.base, clean.ft, { workers: 0 });
    const baseline = findBaseline(probe.baseFingerprint, home);
    expect(baseline?.fine_tunes).toHaveLength(3);
    expect(rules(await diffWeights(clean.base, clean.ft, { workers: 0, baseline }))).toEqual([]);
    const policy = parseWeightsPolicy({ safety_critical: { layers: [6] } });
    const r = await diffWeights(f.base, f.ft, { workers: 0, baseline, policy });
    const hit = r.report.findings.find((x) => x.rule === 'weights.baseline_safety_layer');
    expect(hit?.field).toBe('layer 6');
    expect(hit?.severity).toBe('high');
  });

  it('reports structural differences and refuses malformed inputs', async () => {
    const f = fixture((m) => {
      m.delete('model.layers.0.mlp.up_proj.weight');
      m.set('model.layers.0.mlp.extra.weight', { shape: [2, 2], values: new Float32Array(4) });
    });
    expect(rules(await diffWeights(f.base, f.ft, { workers: 0 }))).toEqual([
      'weights.tensor_added',
      'weights.tensor_removed',
    ]);
    await expect(diffWeights(join(f.dir, 'nope'), f.ft)).rejects.toMatchObject({
      code: 'artifact.input_not_found',
    });
  });

  it('computes robust z with a MAD floor', () => {
    const z = robustZ([1, 1, 1, 1, 10]);
    expect(z.median).toBe(1);
    expect(z.score(1)).toBe(0);
    expect(z.score(10)).toBeGreaterThan(50);
  });
});
