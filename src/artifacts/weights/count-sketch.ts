/**
 * CountSketch maps for the streaming spectral sketch of weight deltas.
 *
 * A delta matrix D (m x n) is compressed to Z = R D S (at most 128 x 128)
 * in the same single pass that computes the per-tensor statistics: each
 * element is added, with a random sign, to one bucket of its row and column.
 * That costs one scatter-add per element, where a dense Gaussian test matrix
 * would cost k multiply-adds and miss the 2 GB/s target by an order of
 * magnitude. CountSketch is a subspace embedding, so the top singular values
 * and vectors of Z approximate those of D; the randomized SVD then runs on Z.
 * Maps depend only on (dimension, seed), so vectors of different tensors that
 * share a dimension (the residual stream) live in the same sketch space and
 * can be compared across layers.
 */

/** Sketch width; dimensions at or below it are kept exactly (identity map). */
export const SKETCH_SIZE = 128;

/** Bucket and sign of every index of one dimension. */
export interface SketchMap {
  dim: number;
  /** Number of buckets (min(dim, SKETCH_SIZE)). */
  size: number;
  bucket: Int32Array;
  sign: Float32Array;
}

/** 32-bit integer mix (murmur3 finalizer): deterministic and well spread. */
function mix(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const cache = new Map<string, SketchMap>();

/** The sketch map of a dimension (cached). */
export function sketchMap(dim: number, seed = 1): SketchMap {
  const key = `${dim}:${seed}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const size = Math.min(dim, SKETCH_SIZE);
  const bucket = new Int32Array(dim);
  const sign = new Float32Array(dim);
  for (let i = 0; i < dim; i++) {
    if (dim <= SKETCH_SIZE) {
      bucket[i] = i;
      sign[i] = 1;
    } else {
      const h = mix(i * 0x9e3779b1 + mix(dim ^ (seed * 0x27d4eb2f)));
      bucket[i] = h % size;
      sign[i] = h & 0x80000000 ? -1 : 1;
    }
  }
  const map = { dim, size, bucket, sign };
  if (cache.size > 64) cache.clear();
  cache.set(key, map);
  return map;
}
