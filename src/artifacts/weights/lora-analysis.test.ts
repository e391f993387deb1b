import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeSafetensors } from '../safetensors/safetensors-writer.js';
import { tinyModel, writeModel } from '../test-support/model-fixtures.js';
import { tempDir } from '../test-support/temp-dir.js';
import { encodeFloats } from './float-codec.js';
import { analyzeLora, type LoraModule, loraSpectrum } from './lora-analysis.js';
import { gaussian, smallSvd } from './small-linalg.js';

const H = 48;
const LAYERS = 6;

interface AdapterSpec {
  config: Record<string, unknown>;
  factors: {
    module: string;
    A: Float32Array;
    B: Float32Array;
    r: number;
    inDim: number;
    outDim: number;
    magnitude?: Float32Array;
  }[];
  extra?: { name: string; shape: number[]; values: Float32Array }[];
}

function writeAdapter(spec: AdapterSpec): string {
  const dir = tempDir('tg-lora-');
  writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ peft_type: 'LORA', ...spec.config }));
  const tensors = spec.factors.flatMap((f) => [
    {
      name: `base_model.model.${f.module}.lora_A.weight`,
      dtype: 'F32',
      shape: [f.r, f.inDim],
      data: encodeFloats(f.A, 'F32'),
    },
    {
      name: `base_model.model.${f.module}.lora_B.weight`,
      dtype: 'F32',
      shape: [f.outDim, f.r],
      data: encodeFloats(f.B, 'F32'),
    },
    ...(f.magnitude
      ? [
          {
            name: `base_model.model.${f.module}.lora_magnitude_vector`,
            dtype: 'F32',
            shape: [f.outDim],
            data: encodeFloats(f.magnitude, 'F32'),
          },
        ]
      : []),
  ]);
  for (const e of spec.extra ?? [])
    tensors.push({ name: e.name, dtype: 'F32', shape: e.shape, data: encodeFloats(e.values, 'F32') });
  writeSafetensors(join(dir, 'adapter_model.safetensors'), tensors);
  return dir;
}

function factors(modules: string[], r: number, seed: number, shared?: Float32Array) {
  const rand = gaussian(seed);
  return modules.map((module) => {
    const A = Float32Array.from({ length: r * H }, () => rand() * 0.1);
    const B = Float32Array.from({ length: H * r }, (_, i) =>
      shared ? (shared[Math.floor(i / r)] as number) * (i % r === 0 ? 1 : 0) : rand() * 0.01,
    );
    return { module, A, B, r, inDim: H, outDim: H };
  });
}

const mods = (proj: string) =>
  Array.from({ length: LAYERS }, (_, l) => `model.layers.${l}.self_attn.${proj}`);
const rules = (dir: string, base?: string) =>
  analyzeLora(dir, base ? { base } : {}).report.findings.map((f) => f.rule);

describe('LoRA spectrum', () => {
  it('equals the SVD of the dense update scaling * B * A', () => {
    const [f] = factors(['m'], 5, 3);
    if (!f) throw new Error('no factor');
    const A = Float64Array.from(f.A);
    const B = Float64Array.from(f.B);
    const dense = new Float64Array(H * H);
    for (let i = 0; i < H; i++)
      for (let j = 0; j < H; j++)
        for (let k = 0; k < 5; k++)
          dense[i * H + j] =
            (dense[i * H + j] as number) + 2 * (B[i * 5 + k] as number) * (A[k * H + j] as number);
    const exact = smallSvd(dense, H, H).values;
    const got = loraSpectrum(A, B, 5, H, H, 2).spectrum.singular_values;
    for (const [i, s] of got.entries()) expect(s).toBeCloseTo(exact[i] as number, 8);
  });
});

describe('LoRA adapters', () => {
  it('passes a clean adapter and reports the scaled spectrum', () => {
    const dir = writeAdapter({
      config: { r: 4, lora_alpha: 8, target_modules: ['q_proj', 'v_proj'] },
      factors: factors([...mods('q_proj'), ...mods('v_proj')], 4, 1),
    });
    const { report } = analyzeLora(dir);
    expect(report.findings).toEqual([]);
    const m = report.artifact?.modules as LoraModule[];
    expect(m).toHaveLength(12);
    expect(m[0]?.scaling).toBe(2);
    expect(m[0]?.spectral.effective_rank).toBeGreaterThan(1.5);
  });

  it('uses alpha/sqrt(r) for rsLoRA', () => {
    const f = factors(mods('q_proj'), 4, 2);
    const plain = analyzeLora(
      writeAdapter({ config: { r: 4, lora_alpha: 8, target_modules: ['q_proj'] }, factors: f }),
    ).report.artifact?.modules as LoraModule[];
    const rs = analyzeLora(
      writeAdapter({
        config: { r: 4, lora_alpha: 8, target_modules: ['q_proj'], use_rslora: true },
        factors: f,
      }),
    ).report.artifact?.modules as LoraModule[];
    expect(rs[0]?.scaling).toBe(4);
    expect((rs[0]?.update_norm ?? 0) / (plain[0]?.update_norm ?? 1)).toBeCloseTo(2, 9);
  });

  it('flags untargeted modules, rank mismatches and unpaired factors', () => {
    const f = factors([...mods('q_proj'), 'model.layers.0.mlp.down_proj'], 4, 3);
    const dir = writeAdapter({ config: { r: 8, lora_alpha: 8, target_modules: ['q_proj'] }, factors: f });
    expect(rules(dir)).toEqual(expect.arrayContaining(['lora.rank_mismatch', 'lora.untargeted_module']));
    const lone = writeAdapter({
      config: { r: 4, lora_alpha: 8, target_modules: ['q_proj'] },
      factors: [],
      extra: [
        {
          name: 'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight',
          shape: [4, H],
          values: new Float32Array(4 * H),
        },
      ],
    });
    expect(rules(lone)).toContain('lora.unpaired');
  });

  it('flags embedding training through modules_to_save, trainable tokens and smuggled full weights', () => {
    const dir = writeAdapter({
      config: {
        r: 4,
        lora_alpha: 8,
        target_modules: ['q_proj'],
        modules_to_save: ['lm_head'],
        trainable_token_indices: [5, 7],
      },
      factors: factors(mods('q_proj'), 4, 4),
      extra: [
        { name: 'base_model.model.lm_head.weight', shape: [10, H], values: new Float32Array(10 * H) },
        {
          name: 'base_model.model.model.layers.1.mlp.up_proj.weight',
          shape: [H, H],
          values: new Float32Array(H * H),
        },
      ],
    });
    expect(rules(dir)).toEqual([
      'lora.full_weights',
      'lora.modules_to_save_embeddings',
      'lora.trainable_tokens',
    ]);
  });

  it('flags a rank-1 update sharing one direction across layers', () => {
    const u = Float32Array.from({ length: H }, (_, i) => Math.sin(i * 0.7 + 0.3));
    const dir = writeAdapter({
      config: { r: 4, lora_alpha: 8, target_modules: ['o_proj'] },
      factors: factors(mods('o_proj'), 4, 5, u),
    });
    const f = analyzeLora(dir).report.findings.find((x) => x.rule === 'lora.shared_direction');
    expect(f?.evidence.layers).toHaveLength(LAYERS);
  });

  it('measures updates against the base, and DoRA rescaling', () => {
    const root = tempDir('tg-lora-base-');
    const base = tinyModel({ layers: LAYERS, hidden: H, intermediate: 64, vocab: 32 }, 7);
    writeModel(join(root, 'base'), base, 'F32');
    const f: (ReturnType<typeof factors>[number] & { magnitude?: Float32Array })[] = factors(
      mods('q_proj'),
      4,
      6,
    );
    // DoRA magnitude initialised to the row norms of W + s B A: no rescaling.
    for (const x of f) {
      const w = base.get(`${x.module}.weight`)?.values as Float32Array;
      x.magnitude = Float32Array.from({ length: H }, (_, i) => {
        let s = 0;
        for (let j = 0; j < H; j++) {
          let d = 0;
          for (let k = 0; k < 4; k++) d += (x.B[i * 4 + k] as number) * (x.A[k * H + j] as number);
          s += ((w[i * H + j] as number) + 2 * d) ** 2;
        }
        return Math.sqrt(s);
      });
    }
    const dir = writeAdapter({
      config: { r: 4, lora_alpha: 8, target_modules: ['q_proj'], use_dora: true },
      factors: f,
    });
    const m = analyzeLora(dir, { base: join(root, 'base') }).report.artifact?.modules as LoraModule[];
    expect(m[0]?.relative_change).toBeGreaterThan(0);
    expect(m[0]?.dora?.max_rescale).toBeLessThan(1e-5);
  });

  it('names the field of a bad config', () => {
    const dir = writeAdapter({ config: { r: 'four', target_modules: ['q_proj'] }, factors: [] });
    expect(() => analyzeLora(dir)).toThrow(/field "r"/);
  });
});
