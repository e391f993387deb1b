import { seededRandom } from '../seeded-random.js';
import { foldText } from '../text/normalization.js';
import {
  featureScale,
  hashFeatures,
  type LinearModelFile,
  sigmoid,
  type TextRole,
} from './linear-text-model.js';

/**
 * Reproducible training of the hashed logistic-regression models shipped in
 * `models/` (used by `scripts/train-*.ts`): deterministic shuffling from a
 * seed, class-balanced SGD with L2, weights pruned and rounded so the JSON
 * stays small.
 */

export interface TrainingExample {
  text: string;
  role: TextRole;
  label: 0 | 1;
}

export interface TrainOptions {
  name: string;
  bits: number;
  seed: number;
  epochs: number;
  learningRate: number;
  l2: number;
  /** Weights below this magnitude are dropped from the shipped file. */
  prune: number;
}

/** In-place Fisher-Yates shuffle driven by `rand`. */
export function shuffle<T>(items: T[], rand: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const tmp = items[i] as T;
    items[i] = items[j] as T;
    items[j] = tmp;
  }
  return items;
}

interface Encoded {
  ids: Int32Array;
  label: 0 | 1;
}

function encode(examples: readonly TrainingExample[], bits: number): Encoded[] {
  const scratch: number[] = [];
  return examples.map((e) => {
    scratch.length = 0;
    hashFeatures(foldText(e.text), e.role, bits, scratch);
    return { ids: Int32Array.from(scratch), label: e.label };
  });
}

/** Trains a model; returns the shipped-file form (threshold set later by the caller). */
export function trainLinearModel(
  examples: readonly TrainingExample[],
  opts: TrainOptions,
): { file: LinearModelFile; predict: (text: string, role: TextRole) => number } {
  const rand = seededRandom(opts.seed);
  const data = encode(examples, opts.bits);
  const positives = data.filter((d) => d.label === 1).length;
  const negatives = data.length - positives;
  // Class-balanced loss: both classes weigh the same in total.
  const wPos = data.length / (2 * Math.max(1, positives));
  const wNeg = data.length / (2 * Math.max(1, negatives));
  const weights = new Float64Array(1 << opts.bits);
  let bias = 0;
  const order = data.map((_, i) => i);
  let step = 0;
  const total = opts.epochs * data.length;
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    shuffle(order, rand);
    for (const i of order) {
      const ex = data[i] as Encoded;
      const n = ex.ids.length;
      if (n === 0) continue;
      const scale = featureScale(n);
      let z = bias;
      for (let k = 0; k < n; k++) z += (weights[ex.ids[k] as number] as number) * scale;
      const p = sigmoid(z);
      const lr = opts.learningRate * (1 - step / total) + 1e-4;
      step++;
      const g = (p - ex.label) * (ex.label === 1 ? wPos : wNeg);
      bias -= lr * g;
      for (let k = 0; k < n; k++) {
        const id = ex.ids[k] as number;
        const w = weights[id] as number;
        weights[id] = w - lr * (g * scale + opts.l2 * w);
      }
    }
  }
  const indices: number[] = [];
  const kept: number[] = [];
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i] as number;
    if (Math.abs(w) >= opts.prune) {
      indices.push(i);
      kept.push(Math.round(w * 1000) / 1000);
    }
  }
  const dense = new Float32Array(1 << opts.bits);
  for (let i = 0; i < indices.length; i++) dense[indices[i] as number] = kept[i] as number;
  const predict = (text: string, role: TextRole): number => {
    const ids: number[] = [];
    const n = hashFeatures(foldText(text), role, opts.bits, ids);
    if (n === 0) return sigmoid(bias);
    let z = 0;
    for (const id of ids) z += dense[id] as number;
    return sigmoid(bias + z * featureScale(n));
  };
  return {
    file: {
      version: 1,
      kind: 'hashed-logistic-regression',
      name: opts.name,
      bits: opts.bits,
      bias: Math.round(bias * 10000) / 10000,
      threshold: 0.5,
      indices,
      weights: kept,
      training: { seed: opts.seed, epochs: opts.epochs, examples: data.length, positives, negatives },
    },
    predict,
  };
}

/** Smallest threshold whose false-positive rate on `negativeScores` is at most `maxFpr`. */
export function thresholdForFpr(negativeScores: readonly number[], maxFpr: number): number {
  const sorted = [...negativeScores].sort((a, b) => b - a);
  const allowed = Math.floor(sorted.length * maxFpr);
  const at = sorted[allowed];
  return at === undefined ? 0.5 : Math.min(0.99, Math.max(0.05, at + 1e-6));
}
