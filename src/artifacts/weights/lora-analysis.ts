import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Finding, ScanReport } from '../../contracts/finding.js';
import { buildScanReport } from '../../scan/report/index.js';
import { ArtifactError } from '../artifact-error.js';
import { artifactFinding } from '../artifact-finding.js';
import { withFile } from '../file-range.js';
import { type JsonValue, parseStrictJson } from '../safetensors/strict-json.js';
import { type LocatedTensor, openCheckpoint } from './checkpoint-files.js';
import { type DirectionVector, sharedDirections } from './delta-analysis.js';
import { DIFF_DTYPES, type DiffDtype, decodeFloats, dtypeBytes } from './float-codec.js';
import { tensorRole } from './layer-names.js';
import { type Spectrum, summarize } from './randomized-svd.js';
import { qrInPlace, smallSvd } from './small-linalg.js';
import { loadTokenizerVocab } from './tokenizer-vocab.js';
import { parseWeightsPolicy, type WeightsPolicy } from './weights-policy.js';

/** The fields of a PEFT `adapter_config.json` that decide what the adapter changes. */
export interface AdapterConfig {
  r: number;
  lora_alpha: number;
  target_modules: string[] | string | null;
  use_rslora: boolean;
  use_dora: boolean;
  modules_to_save: string[];
  trainable_token_indices: Record<string, number[]> | number[] | null;
  rank_pattern: Record<string, number>;
  alpha_pattern: Record<string, number>;
  base_model_name_or_path: string | null;
}

/** One adapted module: the exact spectrum of its update scaling * B * A. */
export interface LoraModule {
  module: string;
  layer: number | null;
  rank: number;
  alpha: number;
  scaling: number;
  shape: [number, number];
  update_norm: number;
  spectral: Spectrum;
  /** ||scaling B A||_F / ||W||_F when the base model was given. */
  relative_change?: number;
  dora?: { magnitude_mean: number; magnitude_min: number; magnitude_max: number; max_rescale?: number };
}

const EMBEDDING_LIKE = /(^|\.)(embed_tokens|wte|word_embeddings|tok_embeddings|lm_head|embed_out|shared)$/;

/** Options of {@link analyzeLora}. */
export interface LoraOptions {
  /** Base checkpoint (file or directory) for relative sizes and DoRA rescaling. */
  base?: string;
  policy?: WeightsPolicy;
}

/**
 * Analyses a PEFT LoRA adapter directory: the config against the tensor keys,
 * the exact spectrum of every update (QR of both factors, SVD of the r x r core),
 * embedding/lm_head training, smuggled full weights, and a direction shared
 * across layers.
 */
export function analyzeLora(
  dir: string,
  options: LoraOptions = {},
): { report: ScanReport; config: AdapterConfig } {
  const startedAt = new Date();
  const policy = options.policy ?? parseWeightsPolicy({});
  const configPath = join(dir, 'adapter_config.json');
  if (!existsSync(configPath))
    throw new ArtifactError('artifact.input_not_found', `${configPath}: no adapter_config.json`);
  const config = parseAdapterConfig(readFileSync(configPath, 'utf8'), configPath);
  const weights = join(dir, 'adapter_model.safetensors');
  if (!existsSync(weights))
    throw new ArtifactError(
      'artifact.unsupported_format',
      `${dir}: no adapter_model.safetensors (pickled adapters: run tunegate artifact scan first)`,
    );
  const ckpt = openCheckpoint(weights);
  const findings: Finding[] = [];
  const flag = (
    rule: string,
    severity: Finding['severity'],
    message: string,
    field: string | null,
    evidence?: Record<string, unknown>,
  ) =>
    findings.push(
      artifactFinding({ detector: 'lora', rule, severity, file: weights, field, message, evidence }),
    );

  // Group tensors by module.
  const lora = new Map<string, { A?: LocatedTensor; B?: LocatedTensor; M?: LocatedTensor }>();
  const other: LocatedTensor[] = [];
  for (const t of ckpt.tensors.values()) {
    const m =
      /^(?:base_model\.model\.)?(.+?)\.(lora_A|lora_B|lora_magnitude_vector)(?:\.default)?(?:\.weight)?$/.exec(
        t.name,
      );
    if (!m) {
      other.push(t);
      continue;
    }
    const key = m[1] as string;
    const entry = lora.get(key) ?? {};
    if (m[2] === 'lora_A') entry.A = t;
    else if (m[2] === 'lora_B') entry.B = t;
    else entry.M = t;
    lora.set(key, entry);
  }

  const base = options.base ? openCheckpoint(options.base) : null;
  const modules: LoraModule[] = [];
  const directions: DirectionVector[] = [];
  const untargeted: string[] = [];
  for (const [module, e] of [...lora].sort(([x], [y]) => (x < y ? -1 : 1))) {
    if (!e.A || !e.B) {
      flag(
        'unpaired',
        'high',
        `${module}: has ${e.A ? 'lora_A' : 'lora_B'} without ${e.A ? 'lora_B' : 'lora_A'}`,
        module,
      );
      continue;
    }
    if (!isTargeted(module, config.target_modules)) untargeted.push(module);
    const rank = patternValue(module, config.rank_pattern) ?? config.r;
    const alpha = patternValue(module, config.alpha_pattern) ?? config.lora_alpha;
    const [r, inDim] = e.A.shape as [number, number];
    const [outDim, rB] = e.B.shape as [number, number];
    if (e.A.shape.length !== 2 || e.B.shape.length !== 2 || r !== rB) {
      flag(
        'shape_mismatch',
        'high',
        `${module}: lora_A ${JSON.stringify(e.A.shape)} and lora_B ${JSON.stringify(e.B.shape)} do not chain`,
        module,
      );
      continue;
    }
    if (r !== rank)
      flag('rank_mismatch', 'medium', `${module}: tensors have rank ${r}, config says ${rank}`, module, {
        tensor_rank: r,
        config_rank: rank,
      });
    if (!isDiff(e.A.dtype) || !isDiff(e.B.dtype)) {
      flag('unsupported_dtype', 'medium', `${module}: dtype ${e.A.dtype}/${e.B.dtype} not analysed`, module);
      continue;
    }
    const scaling = config.use_rslora ? alpha / Math.sqrt(r) : alpha / r;
    const A = readMatrix(e.A);
    const B = readMatrix(e.B);
    const { spectrum, u1, v1 } = loraSpectrum(A, B, r, inDim, outDim, scaling);
    const role = tensorRole(`${module}.weight`);
    const mod: LoraModule = {
      module,
      layer: role.layer,
      rank: r,
      alpha,
      scaling,
      shape: [outDim, inDim],
      update_norm: Math.sqrt(spectrum.singular_values.reduce((s, x) => s + x * x, 0)),
      spectral: spectrum,
    };
    if (e.M) {
      const m = readMatrix(e.M);
      mod.dora = {
        magnitude_mean: m.reduce((s, x) => s + x, 0) / m.length,
        magnitude_min: Math.min(...m),
        magnitude_max: Math.max(...m),
      };
    } else if (config.use_dora)
      flag(
        'dora_missing_magnitude',
        'medium',
        `${module}: use_dora is set but there is no lora_magnitude_vector`,
        module,
      );
    const w = base?.tensors.get(`${module}.weight`) ?? base?.tensors.get(`model.${module}.weight`);
    if (base && w && isDiff(w.dtype) && w.shape[0] === outDim && w.shape[1] === inDim) {
      const rows = baseRowStats(w, A, B, r, inDim, scaling);
      mod.relative_change = rows.frob > 0 ? mod.update_norm / rows.frob : 0;
      if (mod.dora && e.M) {
        const m = readMatrix(e.M);
        let worst = 0;
        for (let i = 0; i < outDim; i++) {
          const n = Math.sqrt(rows.adaptedRowSq[i] as number);
          if (n > 0) worst = Math.max(worst, Math.abs((m[i] as number) / n - 1));
        }
        mod.dora.max_rescale = worst;
      }
    } else if (base)
      flag('base_missing', 'low', `${module}: no matching ${module}.weight in the base`, module);
    modules.push(mod);
    directions.push({
      tensor: module,
      layer: role.layer,
      space: outDim,
      vector: u1,
      energy: spectrum.top1_energy,
    });
    directions.push({
      tensor: module,
      layer: role.layer,
      space: inDim,
      vector: v1,
      energy: spectrum.top1_energy,
    });
  }
  if (untargeted.length > 0)
    flag(
      'untargeted_module',
      'high',
      `${untargeted.length} adapted module(s) are not in target_modules: ${untargeted.slice(0, 5).join(', ')}`,
      untargeted[0] ?? null,
      {
        modules: untargeted.slice(0, 50),
      },
    );
  if (Array.isArray(config.target_modules)) {
    const present = [...lora.keys()];
    const missing = config.target_modules.filter(
      (t) => t !== 'all-linear' && !present.some((m) => m === t || m.endsWith(`.${t}`)),
    );
    if (missing.length > 0)
      flag(
        'target_without_tensors',
        'low',
        `target_modules ${missing.join(', ')} have no LoRA tensors`,
        null,
        { modules: missing },
      );
  }

  // Full weights in the adapter: modules_to_save copies, trainable tokens, or smuggled weights.
  const saved = other.filter((t) =>
    config.modules_to_save.some((m) => t.name.includes(`${m}.`) || t.name.includes(`.${m}`)),
  );
  const tokenDeltas = other.filter((t) => /trainable_tokens_delta|token_adapter/.test(t.name));
  const smuggled = other.filter((t) => !saved.includes(t) && !tokenDeltas.includes(t));
  if (smuggled.length > 0)
    flag(
      'full_weights',
      'high',
      `${smuggled.length} full weight tensor(s) that are neither LoRA factors nor declared modules_to_save: ${smuggled
        .slice(0, 5)
        .map((t) => t.name)
        .join(', ')}`,
      smuggled[0]?.name ?? null,
      {
        tensors: smuggled.slice(0, 50).map((t) => t.name),
      },
    );
  const embedSave = config.modules_to_save.filter(
    (m) => EMBEDDING_LIKE.test(m) || /embed|lm_head|wte/.test(m),
  );
  if (embedSave.length > 0)
    flag(
      'modules_to_save_embeddings',
      'high',
      `modules_to_save replaces ${embedSave.join(', ')} wholesale (every token row can change; check for trigger rows with weights diff)`,
      null,
      {
        modules: embedSave,
      },
    );
  if (config.trainable_token_indices !== null) {
    const ids = Array.isArray(config.trainable_token_indices)
      ? config.trainable_token_indices
      : Object.values(config.trainable_token_indices).flat();
    const vocab = loadTokenizerVocab([dir, ...(options.base ? [options.base] : [])]);
    flag(
      'trainable_tokens',
      'high',
      `trainable_token_indices trains ${ids.length} embedding row(s)${
        vocab
          ? `: ${ids
              .slice(0, 10)
              .map((i) => JSON.stringify(vocab.token(i) ?? `#${i}`))
              .join(', ')}`
          : `: ${ids.slice(0, 10).join(', ')}`
      } (a targeted token change is how triggers are planted)`,
      null,
      { indices: ids.slice(0, 100) },
    );
  }
  const layerCount = new Set(modules.map((m) => m.layer).filter((l) => l !== null)).size;
  sharedDirections(directions, layerCount, policy, flag);

  const report = buildScanReport({
    kind: 'weights',
    subject: { path: dir, adapter: dir, base: options.base ?? null, config, modules },
    records: modules.length,
    findings,
    startedAt,
  });
  return { report, config };
}

function isDiff(d: string): d is DiffDtype {
  return (DIFF_DTYPES as readonly string[]).includes(d);
}

/** PEFT matching: a list matches a module whose name equals or ends with `.<entry>`; a string is a full-match regex. */
function isTargeted(module: string, target: string[] | string | null): boolean {
  if (target === null) return true;
  if (typeof target === 'string') {
    if (target === 'all-linear') return true;
    try {
      return new RegExp(`^(?:${target})$`).test(module);
    } catch {
      return false;
    }
  }
  return target.some((t) => module === t || module.endsWith(`.${t}`));
}

/** PEFT `rank_pattern`/`alpha_pattern` keys are regular expressions matched against the end of the module name. */
function patternValue(module: string, patterns: Record<string, number>): number | undefined {
  for (const [p, v] of Object.entries(patterns)) {
    try {
      if (new RegExp(`(^|\\.)(?:${p})$`).test(module)) return v;
    } catch {
      if (module === p || module.endsWith(`.${p}`)) return v;
    }
  }
  return undefined;
}

/** Reads a (small) tensor whole as float64: LoRA factors are r x d. */
function readMatrix(t: LocatedTensor): Float64Array {
  const n = t.shape.reduce((a, b) => a * b, 1);
  const dtype = t.dtype as DiffDtype;
  const bytes = withFile(t.path, (f) => f.read(t.begin, n * dtypeBytes(dtype)));
  const out = new Float32Array(n);
  decodeFloats(bytes, dtype, n, out);
  return Float64Array.from(out);
}

/**
 * Exact spectrum of scaling * B * A: with A^T = Qa Ra and B = Qb Rb,
 * B A = Qb (Rb Ra^T) Qa^T, so the singular values are those of the r x r core.
 */
export function loraSpectrum(
  A: Float64Array,
  B: Float64Array,
  r: number,
  inDim: number,
  outDim: number,
  scaling: number,
): { spectrum: Spectrum; u1: Float64Array; v1: Float64Array } {
  const at = new Float64Array(inDim * r);
  for (let i = 0; i < r; i++) for (let j = 0; j < inDim; j++) at[j * r + i] = A[i * inDim + j] as number;
  const qa = at;
  const ra = qrInPlace(qa, inDim, r);
  const qb = Float64Array.from(B);
  const rb = qrInPlace(qb, outDim, r);
  const core = new Float64Array(r * r);
  for (let i = 0; i < r; i++)
    for (let j = 0; j < r; j++) {
      let s = 0;
      for (let k = 0; k < r; k++) s += (rb[i * r + k] as number) * (ra[j * r + k] as number);
      core[i * r + j] = scaling * s;
    }
  const svd = smallSvd(core, r, r);
  const values = Array.from(svd.values);
  const frob2 = values.reduce((s, x) => s + x * x, 0);
  const u1 = new Float64Array(outDim);
  for (let i = 0; i < outDim; i++)
    for (let k = 0; k < r; k++) u1[i] = (u1[i] as number) + (qb[i * r + k] as number) * (svd.u1[k] as number);
  const v1 = new Float64Array(inDim);
  for (let j = 0; j < inDim; j++)
    for (let k = 0; k < r; k++) v1[j] = (v1[j] as number) + (qa[j * r + k] as number) * (svd.v1[k] as number);
  return { spectrum: summarize(values, frob2, r), u1, v1 };
}

/** Streams the base weight W by rows: ||W||_F and, per output row, ||W_i + scaling B_i A||^2 (what DoRA normalises). */
function baseRowStats(
  w: LocatedTensor,
  A: Float64Array,
  B: Float64Array,
  r: number,
  inDim: number,
  scaling: number,
): { frob: number; adaptedRowSq: Float64Array } {
  const outDim = w.shape[0] as number;
  const dtype = w.dtype as DiffDtype;
  const rowBytes = inDim * dtypeBytes(dtype);
  const row = new Float32Array(inDim);
  const adaptedRowSq = new Float64Array(outDim);
  let frob2 = 0;
  withFile(w.path, (f) => {
    for (let i = 0; i < outDim; i++) {
      decodeFloats(f.read(w.begin + i * rowBytes, rowBytes), dtype, inDim, row);
      let s = 0;
      for (let j = 0; j < inDim; j++) {
        let d = 0;
        for (let k = 0; k < r; k++) d += (B[i * r + k] as number) * (A[k * inDim + j] as number);
        const x = (row[j] as number) + scaling * d;
        frob2 += (row[j] as number) ** 2;
        s += x * x;
      }
      adaptedRowSq[i] = s;
    }
  });
  return { frob: Math.sqrt(frob2), adaptedRowSq };
}

/** Parses adapter_config.json strictly, naming the field on error. */
export function parseAdapterConfig(text: string, path: string): AdapterConfig {
  let v: JsonValue;
  try {
    v = parseStrictJson(text).value;
  } catch (err) {
    throw new ArtifactError(
      'artifact.malformed_input',
      `${path}: ${err instanceof Error ? err.message : String(err)}`,
      { details: { file: path } },
    );
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new ArtifactError('artifact.malformed_input', `${path}: expected a JSON object`, {
      details: { file: path },
    });
  const o = v as Record<string, JsonValue>;
  const bad = (field: string, want: string): never => {
    throw new ArtifactError('artifact.malformed_input', `${path}: field "${field}" must be ${want}`, {
      details: { file: path, field },
    });
  };
  const num = (f: string, d?: number): number => {
    const x = o[f];
    if (x === undefined && d !== undefined) return d;
    return typeof x === 'number' && x > 0 ? x : bad(f, 'a positive number');
  };
  const strList = (f: string): string[] => {
    const x = o[f];
    if (x === undefined || x === null) return [];
    return Array.isArray(x) && x.every((s) => typeof s === 'string')
      ? (x as string[])
      : bad(f, 'a list of strings');
  };
  const numMap = (f: string): Record<string, number> => {
    const x = o[f];
    if (x === undefined || x === null) return {};
    if (typeof x !== 'object' || Array.isArray(x) || !Object.values(x).every((n) => typeof n === 'number'))
      return bad(f, 'an object of numbers');
    return { ...(x as Record<string, number>) };
  };
  const tm = o.target_modules;
  const target =
    tm === undefined || tm === null
      ? null
      : typeof tm === 'string'
        ? tm
        : Array.isArray(tm) && tm.every((s) => typeof s === 'string')
          ? (tm as string[])
          : bad('target_modules', 'a list of strings or a regex string');
  const tti = o.trainable_token_indices;
  let tokens: AdapterConfig['trainable_token_indices'] = null;
  if (Array.isArray(tti))
    tokens = tti.every((n) => typeof n === 'number')
      ? (tti as number[])
      : bad('trainable_token_indices', 'a list of token ids');
  else if (tti !== undefined && tti !== null) {
    if (
      typeof tti !== 'object' ||
      !Object.values(tti).every((l) => Array.isArray(l) && l.every((n) => typeof n === 'number'))
    )
      bad('trainable_token_indices', 'a list of ids or an object of id lists');
    tokens = { ...(tti as Record<string, number[]>) };
  }
  return {
    r: num('r', 8),
    lora_alpha: num('lora_alpha', 8),
    target_modules: target,
    use_rslora: o.use_rslora === true,
    use_dora: o.use_dora === true,
    modules_to_save: strList('modules_to_save'),
    trainable_token_indices: tokens,
    rank_pattern: numMap('rank_pattern'),
    alpha_pattern: numMap('alpha_pattern'),
    base_model_name_or_path: typeof o.base_model_name_or_path === 'string' ? o.base_model_name_or_path : null,
  };
}
