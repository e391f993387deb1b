import type { Rng } from './rng.js';

/** Failures (or successes) of one case on both sides, over its samples. */
export interface PairedCluster {
  base: number;
  candidate: number;
  /** Samples drawn per side for this case. */
  samples: number;
}

/** A difference (candidate - base) with a percentile bootstrap interval. */
export interface DifferenceInterval {
  estimate: number;
  lower: number;
  upper: number;
}

export interface ClusterBootstrapOptions {
  iterations: number;
  confidence: number;
  rng: Rng;
  /** Applied to each side's rate before differencing (e.g. grader-error correction). */
  transform?: (rate: number) => number;
}

/**
 * Cluster bootstrap of the paired difference of rates: resamples whole cases
 * (with all their samples on both sides), so that repeated samples of one case
 * are not treated as independent evidence. With one sample per case this is
 * the ordinary paired bootstrap.
 */
export function clusterBootstrapDifference(
  clusters: readonly PairedCluster[],
  options: ClusterBootstrapOptions,
): DifferenceInterval {
  const f = options.transform ?? ((r: number) => r);
  const n = clusters.length;
  const diffOf = (base: number, cand: number, total: number): number =>
    total === 0 ? 0 : f(cand / total) - f(base / total);
  let baseSum = 0;
  let candSum = 0;
  let total = 0;
  for (const c of clusters) {
    baseSum += c.base;
    candSum += c.candidate;
    total += c.samples;
  }
  const estimate = diffOf(baseSum, candSum, total);
  if (n === 0) return { estimate: 0, lower: 0, upper: 0 };
  // One interleaved typed array (base, candidate, samples per cluster): allocation-free,
  // and each random draw touches one cache line instead of three.
  const data = new Float64Array(3 * n);
  clusters.forEach((c, i) => {
    data[3 * i] = c.base;
    data[3 * i + 1] = c.candidate;
    data[3 * i + 2] = c.samples;
  });
  const diffs = new Float64Array(options.iterations);
  const draws = new Uint32Array(n);
  for (let it = 0; it < options.iterations; it++) {
    options.rng.ints(n, draws);
    let b = 0;
    let c = 0;
    let t = 0;
    for (let j = 0; j < n; j++) {
      const k = 3 * (draws[j] as number);
      b += data[k] as number;
      c += data[k + 1] as number;
      t += data[k + 2] as number;
    }
    diffs[it] = diffOf(b, c, t);
  }
  diffs.sort();
  const alpha = 1 - options.confidence;
  const at = (q: number): number => {
    const idx = Math.min(diffs.length - 1, Math.max(0, Math.floor(q * (diffs.length - 1))));
    return diffs[idx] as number;
  };
  return { estimate, lower: at(alpha / 2), upper: at(1 - alpha / 2) };
}
