import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ScanError } from '../scan-error.js';
import { foldText } from '../text/normalization.js';

/**
 * A logistic-regression text classifier over hashed features: character
 * 4-grams of the folded text and word 1-2-grams conjoined with the text's role
 * (`R` request/system, `D` data/answer). The role conjunction lets one linear
 * model learn that "Explain relativity." is a normal request but an
 * instruction planted in an e-mail or tool output. Training lives in
 * `scripts/train-injection-model.ts`; the same featuriser is used there.
 */

export type TextRole = 'R' | 'D';

export const LinearModelSchema = z
  .object({
    version: z.literal(1),
    kind: z.literal('hashed-logistic-regression'),
    name: z.string(),
    bits: z.number().int().min(10).max(22),
    bias: z.number(),
    threshold: z.number().min(0).max(1),
    /** Lower threshold for segments that are also off-topic for the data around them. */
    contextThreshold: z.number().min(0).max(1).optional(),
    indices: z.array(z.number().int().nonnegative()),
    weights: z.array(z.number()),
    training: z.record(z.string(), z.unknown()),
  })
  .strict()
  .refine((m) => m.indices.length === m.weights.length, 'indices and weights differ in length');
export type LinearModelFile = z.output<typeof LinearModelSchema>;

/** A loaded model: dense weight table for fast scoring. */
export interface LinearTextModel {
  readonly name: string;
  readonly bits: number;
  readonly bias: number;
  /** Probability at or above which a segment counts as positive. */
  readonly threshold: number;
  /** Lower threshold for off-topic segments inside data (defaults to `threshold`). */
  readonly contextThreshold: number;
  readonly weights: Float32Array;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const ROLE_SALT: Readonly<Record<TextRole, number>> = { R: 0x9e3779b1, D: 0x85ebca77 };

/** Word characters of the featuriser (folded text): ASCII letters and digits, and non-ASCII letters outside punctuation blocks. */
export function isWordChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) ||
    (c >= 48 && c <= 57) ||
    (c > 0x7f && c !== 0x3000 && c !== 0xa0 && !(c >= 0x2000 && c <= 0x206f) && !(c >= 0x3001 && c <= 0x303f))
  );
}

/**
 * Appends the hashed feature ids of `text` (already folded) to `out`, masked to
 * `bits`. Returns the number of features appended. `scoreFolded` computes the same features
 * inline: keep the two in step.
 */
export function hashFeatures(folded: string, role: TextRole, bits: number, out: number[]): number {
  const mask = (1 << bits) - 1;
  const before = out.length;
  const n = folded.length;
  // Character 4-grams over the text with whitespace runs collapsed to one space.
  let c0 = 32;
  let c1 = 32;
  let c2 = 32;
  let prevSpace = true;
  for (let i = 0; i < n; i++) {
    let c = folded.charCodeAt(i);
    const space = c === 32 || c === 10 || c === 13 || c === 9;
    if (space) {
      if (prevSpace) continue;
      c = 32;
    }
    prevSpace = space;
    let h = FNV_OFFSET;
    h = Math.imul(h ^ c0, FNV_PRIME);
    h = Math.imul(h ^ c1, FNV_PRIME);
    h = Math.imul(h ^ c2, FNV_PRIME);
    h = Math.imul(h ^ c, FNV_PRIME);
    out.push((h >>> 0) & mask);
    c0 = c1;
    c1 = c2;
    c2 = c;
  }
  // Word unigrams and bigrams, conjoined with the role.
  const salt = ROLE_SALT[role];
  let prevWord = 0;
  let h = FNV_OFFSET;
  let inWord = false;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? folded.charCodeAt(i) : 32;
    if (isWordChar(c)) {
      h = Math.imul(h ^ c, FNV_PRIME);
      inWord = true;
    } else if (inWord) {
      const uni = Math.imul(h ^ salt, FNV_PRIME);
      out.push((uni >>> 0) & mask);
      if (prevWord !== 0) out.push((Math.imul(prevWord ^ (h >>> 3), FNV_PRIME) ^ salt) & mask);
      prevWord = h | 1;
      h = FNV_OFFSET;
      inWord = false;
    }
  }
  return out.length - before;
}

/**
 * Feature scaling: 1/sqrt(n), floored at 80 features so that a three-word
 * fragment cannot reach a confident score from a handful of n-grams.
 */
export function featureScale(count: number): number {
  return 1 / Math.sqrt(Math.max(count, 80));
}

/** Logistic function. */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** ASCII code units: bit 1 whitespace the 4-grams collapse (space, tab, CR, LF), bit 2 word character. */
const ASCII_CLASS = new Uint8Array(128);
for (const c of [32, 9, 10, 13]) ASCII_CLASS[c] = 1;
for (let c = 0; c < 128; c++) if (isWordChar(c)) ASCII_CLASS[c] = 2;

/**
 * Probability that a (folded) segment is positive. Hashes the features of `hashFeatures` and
 * sums their weights in one pass over the text (character 4-grams and words together, no
 * feature array; the sum's order differs from `hashFeatures`, which only moves the last bits of
 * the float). `scratch` is unused, kept for callers that pass one.
 */
export function scoreFolded(
  model: LinearTextModel,
  folded: string,
  role: TextRole,
  _scratch?: number[],
): number {
  return scoreFoldedRange(model, folded, 0, folded.length, role);
}

/**
 * `scoreFolded(model, folded.slice(start, end), role)`, bit for bit, without the slice: a field's
 * segments are scored in place in its folded text.
 */
export function scoreFoldedRange(
  model: LinearTextModel,
  folded: string,
  start: number,
  end: number,
  role: TextRole,
): number {
  const mask = (1 << model.bits) - 1;
  const w = model.weights;
  const salt = ROLE_SALT[role];
  let z = 0;
  let count = 0;
  let c0 = 32;
  let c1 = 32;
  let c2 = 32;
  let prevSpace = true;
  let prevWord = 0;
  let hw = FNV_OFFSET;
  let inWord = false;
  for (let i = start; i < end; i++) {
    const raw = folded.charCodeAt(i);
    const cls = raw < 128 ? (ASCII_CLASS[raw] as number) : isWordChar(raw) ? 2 : 0;
    // Character 4-grams over the text with whitespace runs collapsed to one space.
    const space = cls === 1;
    if (!space || !prevSpace) {
      const c = space ? 32 : raw;
      let h = FNV_OFFSET;
      h = Math.imul(h ^ c0, FNV_PRIME);
      h = Math.imul(h ^ c1, FNV_PRIME);
      h = Math.imul(h ^ c2, FNV_PRIME);
      h = Math.imul(h ^ c, FNV_PRIME);
      z += w[(h >>> 0) & mask] as number;
      count++;
      c0 = c1;
      c1 = c2;
      c2 = c;
    }
    prevSpace = space;
    // Word unigrams and bigrams, conjoined with the role.
    if (cls === 2) {
      hw = Math.imul(hw ^ raw, FNV_PRIME);
      inWord = true;
    } else if (inWord) {
      z += w[(Math.imul(hw ^ salt, FNV_PRIME) >>> 0) & mask] as number;
      count++;
      if (prevWord !== 0) {
        z += w[(Math.imul(prevWord ^ (hw >>> 3), FNV_PRIME) ^ salt) & mask] as number;
        count++;
      }
      prevWord = hw | 1;
      hw = FNV_OFFSET;
      inWord = false;
    }
  }
  if (inWord) {
    z += w[(Math.imul(hw ^ salt, FNV_PRIME) >>> 0) & mask] as number;
    count++;
    if (prevWord !== 0) {
      z += w[(Math.imul(prevWord ^ (hw >>> 3), FNV_PRIME) ^ salt) & mask] as number;
      count++;
    }
  }
  if (count === 0) return sigmoid(model.bias);
  return sigmoid(model.bias + z * featureScale(count));
}

/** Probability that raw text is positive (folds it first). */
export function scoreText(model: LinearTextModel, text: string, role: TextRole): number {
  return scoreFolded(model, foldText(text), role);
}

/** Builds the dense model from its JSON form. */
export function modelFromFile(file: LinearModelFile): LinearTextModel {
  const weights = new Float32Array(1 << file.bits);
  for (let i = 0; i < file.indices.length; i++) {
    weights[file.indices[i] as number] = file.weights[i] as number;
  }
  return {
    name: file.name,
    bits: file.bits,
    bias: file.bias,
    threshold: file.threshold,
    contextThreshold: file.contextThreshold ?? file.threshold,
    weights,
  };
}

const cache = new Map<string, LinearTextModel>();

/**
 * Loads a shipped model from `models/<name>.json` (resolved from this module,
 * so it works from `src/` under tsx and from `dist/` after the build). Cached
 * per thread; the cache only ever holds immutable models.
 */
export function loadShippedModel(name: string): LinearTextModel {
  const hit = cache.get(name);
  if (hit) return hit;
  const url = new URL(`../../../models/${name}.json`, import.meta.url);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(url, 'utf8'));
  } catch (cause) {
    throw new ScanError('scan.invalid_config', `cannot read model file ${url.pathname}`, { cause });
  }
  const parsed = LinearModelSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ScanError(
      'scan.invalid_config',
      `model file ${url.pathname} is invalid at ${issue?.path.join('.') ?? '(root)'}: ${issue?.message ?? 'unknown'}`,
    );
  }
  const model = modelFromFile(parsed.data);
  cache.set(name, model);
  return model;
}
