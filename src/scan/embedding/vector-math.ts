import { mulberry32 } from '../seeded-random.js';

/**
 * Squared Euclidean distance of two vectors of the same length. Four running
 * sums: one sum is a chain of dependent additions that stalls on their latency.
 */
export function dist2(a: Float32Array, b: Float32Array): number {
  return dist2Below(a, b, Number.POSITIVE_INFINITY);
}

/**
 * Squared distance, or some value >= `bound` as soon as the partial sum
 * reaches it. Partial sums of squares only grow, so whenever the result is
 * < `bound` it is exactly `dist2(a, b)`: nearest-centroid searches skip most
 * of the work for far centroids and still pick the same one.
 */
export function dist2Below(a: Float32Array, b: Float32Array, bound: number): number {
  const n = a.length;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  const n4 = n & ~3;
  while (i < n4) {
    const end = Math.min(n4, i + 32);
    for (; i < end; i += 4) {
      const d0 = (a[i] as number) - (b[i] as number);
      const d1 = (a[i + 1] as number) - (b[i + 1] as number);
      const d2 = (a[i + 2] as number) - (b[i + 2] as number);
      const d3 = (a[i + 3] as number) - (b[i + 3] as number);
      s0 += d0 * d0;
      s1 += d1 * d1;
      s2 += d2 * d2;
      s3 += d3 * d3;
    }
    if (s0 + s1 + (s2 + s3) >= bound) return s0 + s1 + (s2 + s3);
  }
  for (; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    s0 += d * d;
  }
  return s0 + s1 + (s2 + s3);
}

/**
 * Index of the nearest centroid (the first of equally near ones, as a scan
 * in index order finds it). The search starts at `guess` (the previous
 * assignment, usually still the nearest), so the bound that prunes the other
 * distances is tight from the start; ties still go to the smaller index.
 */
function nearest(p: Float32Array, centroids: readonly Float32Array[], guess = 0): number {
  let best = guess;
  let bestD = dist2(p, centroids[guess] as Float32Array);
  for (let c = 0; c < centroids.length; c++) {
    if (c === guess) continue;
    const cen = centroids[c] as Float32Array;
    let d = dist2Below(p, cen, bestD);
    // A pruned value equal to the bound may be partial: a tie needs the full distance.
    if (d === bestD && c < best) d = dist2(p, cen);
    if (d < bestD || (d === bestD && c < best)) {
      best = c;
      bestD = d;
    }
  }
  return best;
}

/**
 * k-means with k-means++ seeding, best of `restarts` seeded runs by inertia
 * (reproducible); returns centroids and assignments.
 */
export function kmeans(
  points: readonly Float32Array[],
  k: number,
  seed: number,
  iterations = 15,
  restarts = 3,
): { centroids: Float32Array[]; assign: Int32Array } {
  // Fit on an even sample (k-means cost is n*k*dim per iteration), then assign every point.
  const step = Math.max(1, Math.floor(points.length / 4000));
  const sample = step === 1 ? points : points.filter((_, i) => i % step === 0);
  let best: { centroids: Float32Array[]; assign: Int32Array } | undefined;
  let bestInertia = Number.POSITIVE_INFINITY;
  for (let r = 0; r < restarts; r++) {
    const run = kmeansOnce(sample, k, seed + r * 7919, iterations);
    let inertia = 0;
    for (let i = 0; i < sample.length; i++) {
      inertia += dist2(sample[i] as Float32Array, run.centroids[run.assign[i] as number] as Float32Array);
    }
    if (inertia < bestInertia) [best, bestInertia] = [run, inertia];
  }
  const centroids = (best as { centroids: Float32Array[] }).centroids;
  if (step === 1) return best as { centroids: Float32Array[]; assign: Int32Array };
  const assign = new Int32Array(points.length);
  for (let i = 0; i < points.length; i++) assign[i] = nearest(points[i] as Float32Array, centroids);
  return { centroids, assign };
}

function kmeansOnce(
  points: readonly Float32Array[],
  k: number,
  seed: number,
  iterations = 15,
): { centroids: Float32Array[]; assign: Int32Array } {
  const n = points.length;
  const dim = points[0]?.length ?? 0;
  const rnd = mulberry32(seed);
  const uniform = () => rnd() / 4294967296;
  const kk = Math.max(1, Math.min(k, n));
  const centroids: Float32Array[] = [Float32Array.from(points[Math.floor(uniform() * n)] ?? [])];
  const d2 = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  while (centroids.length < kk) {
    const last = centroids[centroids.length - 1] as Float32Array;
    let total = 0;
    for (let i = 0; i < n; i++) {
      d2[i] = Math.min(d2[i] as number, dist2(points[i] as Float32Array, last));
      total += d2[i] as number;
    }
    let r = uniform() * total;
    let pick = n - 1;
    for (let i = 0; i < n; i++) {
      r -= d2[i] as number;
      if (r <= 0) {
        pick = i;
        break;
      }
    }
    centroids.push(Float32Array.from(points[pick] as Float32Array));
  }
  const assign = new Int32Array(n);
  for (let it = 0; it < iterations; it++) {
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const best = nearest(points[i] as Float32Array, centroids, assign[i] as number);
      if (assign[i] !== best || it === 0) changed++;
      assign[i] = best;
    }
    const sums = centroids.map(() => new Float64Array(dim));
    const counts = new Int32Array(centroids.length);
    for (let i = 0; i < n; i++) {
      const c = assign[i] as number;
      counts[c] = (counts[c] as number) + 1;
      const s = sums[c] as Float64Array;
      const p = points[i] as Float32Array;
      for (let d = 0; d < dim; d++) s[d] = (s[d] as number) + (p[d] as number);
    }
    for (let c = 0; c < centroids.length; c++) {
      if ((counts[c] as number) === 0) continue;
      const cen = centroids[c] as Float32Array;
      for (let d = 0; d < dim; d++) cen[d] = ((sums[c] as Float64Array)[d] as number) / (counts[c] as number);
    }
    if (changed === 0) break;
  }
  return { centroids, assign };
}

/** Median of values (copying). */
export function median(values: ArrayLike<number>): number {
  const s = Float64Array.from(values).sort();
  if (s.length === 0) return 0;
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Robust z-scores: (x - median) / (1.4826 * MAD); 0 when the MAD is 0. */
export function robustZ(values: ArrayLike<number>): Float64Array {
  const med = median(values);
  const dev = Float64Array.from(values, (v) => Math.abs(v - med));
  const mad = median(dev) * 1.4826;
  return Float64Array.from(values, (v) => (mad > 0 ? (v - med) / mad : 0));
}

/**
 * Top eigenvectors of the covariance of centred vectors (power iteration with
 * deflation on the dim x dim covariance: dim is small, n may be large).
 */
export function topEigen(
  vectors: readonly Float32Array[],
  count: number,
  seed: number,
): { vectors: Float64Array[]; values: number[]; mean: Float64Array } {
  const n = vectors.length;
  const dim = vectors[0]?.length ?? 0;
  const mean = new Float64Array(dim);
  for (const v of vectors) for (let d = 0; d < dim; d++) mean[d] = (mean[d] as number) + (v[d] as number) / n;
  const cov = new Float64Array(dim * dim);
  // Centred rows four at a time: each pass over the upper triangle of `cov`
  // adds four outer products, so the matrix is loaded and stored a quarter as often.
  const c = new Float64Array(4 * dim);
  for (let r = 0; r < n; r += 4) {
    const rows = Math.min(4, n - r);
    c.fill(0);
    for (let k = 0; k < rows; k++) {
      const v = vectors[r + k] as Float32Array;
      for (let d = 0; d < dim; d++) c[k * dim + d] = (v[d] as number) - (mean[d] as number);
    }
    for (let a = 0; a < dim; a++) {
      const c0 = c[a] as number;
      const c1 = c[dim + a] as number;
      const c2 = c[2 * dim + a] as number;
      const c3 = c[3 * dim + a] as number;
      const row = a * dim;
      for (let b = a; b < dim; b++) {
        cov[row + b] =
          (cov[row + b] as number) +
          (c0 * (c[b] as number) +
            c1 * (c[dim + b] as number) +
            (c2 * (c[2 * dim + b] as number) + c3 * (c[3 * dim + b] as number)));
      }
    }
  }
  for (let a = 0; a < dim; a++) for (let b = 0; b < a; b++) cov[a * dim + b] = cov[b * dim + a] as number;
  const rnd = mulberry32(seed);
  const vecs: Float64Array[] = [];
  const vals: number[] = [];
  for (let e = 0; e < Math.min(count, dim); e++) {
    let v = Float64Array.from({ length: dim }, () => rnd() / 4294967296 - 0.5);
    let lambda = 0;
    for (let it = 0; it < 100; it++) {
      const w = new Float64Array(dim);
      for (let a = 0; a < dim; a++) {
        let s = 0;
        for (let b = 0; b < dim; b++) s += (cov[a * dim + b] as number) * (v[b] as number);
        w[a] = s;
      }
      for (const u of vecs) {
        let dot = 0;
        for (let d = 0; d < dim; d++) dot += (w[d] as number) * (u[d] as number);
        for (let d = 0; d < dim; d++) w[d] = (w[d] as number) - dot * (u[d] as number);
      }
      const norm = Math.sqrt(w.reduce((s, x) => s + x * x, 0));
      if (norm === 0) break;
      for (let d = 0; d < dim; d++) w[d] = (w[d] as number) / norm;
      const diff = w.reduce((s, x, d) => s + Math.abs(x - (v[d] as number)), 0);
      v = w;
      lambda = norm / n;
      if (diff < 1e-9) break;
    }
    vecs.push(v);
    vals.push(lambda);
  }
  return { vectors: vecs, values: vals, mean };
}

/** Projection of a vector (minus `mean`) on a direction. */
export function project(v: Float32Array, direction: Float64Array, mean: Float64Array): number {
  let s = 0;
  for (let d = 0; d < v.length; d++) s += ((v[d] as number) - (mean[d] as number)) * (direction[d] as number);
  return s;
}
