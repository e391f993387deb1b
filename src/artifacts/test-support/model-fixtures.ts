import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSafetensors } from '../safetensors/safetensors-writer.js';
import { type DiffDtype, encodeFloats } from '../weights/float-codec.js';
import { gaussian } from '../weights/small-linalg.js';

/** Shape of a tiny Llama-style model. */
export interface TinyModelSpec {
  layers: number;
  hidden: number;
  intermediate: number;
  vocab: number;
  dtype?: DiffDtype;
}

/** Tensors of a model as name -> {shape, values}. */
export type ModelTensors = Map<string, { shape: number[]; values: Float32Array }>;

/** A random Llama-style model (weights ~ N(0, 0.02), norms ~ 1). */
export function tinyModel(spec: TinyModelSpec, seed = 1): ModelTensors {
  const rand = gaussian(seed);
  const m: ModelTensors = new Map();
  const mat = (name: string, rows: number, cols: number) => {
    const v = new Float32Array(rows * cols);
    for (let i = 0; i < v.length; i++) v[i] = rand() * 0.02;
    m.set(name, { shape: [rows, cols], values: v });
  };
  const norm = (name: string, n: number) =>
    m.set(name, { shape: [n], values: Float32Array.from({ length: n }, () => 1 + rand() * 0.01) });
  const { hidden: h, intermediate: f, vocab } = spec;
  mat('model.embed_tokens.weight', vocab, h);
  for (let l = 0; l < spec.layers; l++) {
    const p = `model.layers.${l}`;
    for (const x of ['q_proj', 'k_proj', 'v_proj', 'o_proj']) mat(`${p}.self_attn.${x}.weight`, h, h);
    mat(`${p}.mlp.gate_proj.weight`, f, h);
    mat(`${p}.mlp.up_proj.weight`, f, h);
    mat(`${p}.mlp.down_proj.weight`, h, f);
    norm(`${p}.input_layernorm.weight`, h);
    norm(`${p}.post_attention_layernorm.weight`, h);
  }
  norm('model.norm.weight', h);
  mat('lm_head.weight', vocab, h);
  return m;
}

/** Deep copy. */
export function cloneModel(m: ModelTensors): ModelTensors {
  return new Map([...m].map(([k, v]) => [k, { shape: [...v.shape], values: Float32Array.from(v.values) }]));
}

/** A clean full fine-tune: every weight matrix gets independent small noise (relative ~`scale`). */
export function addNoise(
  m: ModelTensors,
  scale: number,
  seed: number,
  filter: (name: string) => boolean = () => true,
): void {
  const rand = gaussian(seed);
  for (const [name, t] of m) {
    if (!filter(name)) continue;
    for (let i = 0; i < t.values.length; i++) t.values[i] = (t.values[i] as number) + rand() * 0.02 * scale;
  }
}

/** Writes a model to `dir/model.safetensors` (and an optional tokenizer.json). */
export function writeModel(
  dir: string,
  m: ModelTensors,
  dtype: DiffDtype = 'BF16',
  tokens?: string[],
  added: number[] = [],
): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'model.safetensors');
  writeSafetensors(
    path,
    [...m].map(([name, t]) => ({ name, dtype, shape: t.shape, data: encodeFloats(t.values, dtype) })),
  );
  if (tokens) {
    const vocab = Object.fromEntries(
      tokens.map((t, i) => [t, i]).filter(([, i]) => !added.includes(i as number)),
    );
    writeFileSync(
      join(dir, 'tokenizer.json'),
      JSON.stringify({
        model: { type: 'BPE', vocab },
        added_tokens: added.map((id) => ({ id, content: tokens[id], special: false })),
      }),
    );
  }
  return path;
}
