import { gaussian, qrInPlace, smallSvd } from './small-linalg.js';

/** Spectral summary of a delta matrix. */
export interface Spectrum {
  /** Largest singular value. */
  top_singular_value: number;
  /** sigma_1^2 / ||D||_F^2: 1 for a rank-1 change, ~1/min(m,n) for noise. */
  top1_energy: number;
  /** exp(entropy of the energy distribution over singular directions) (Roy & Vetterli). */
  effective_rank: number;
  /** ||D||_F^2 / sigma_1^2. */
  stable_rank: number;
  /** Leading singular values found (descending). */
  singular_values: number[];
}

/** Result of {@link randomizedSvd}: the spectrum plus the top singular vectors (unit length). */
export interface SpectrumWithVectors {
  spectrum: Spectrum;
  u1: Float64Array;
  v1: Float64Array;
}

/**
 * Randomized SVD (Halko, Martinsson & Tropp 2011): Gaussian range finder with
 * `k` columns, `powerIterations` rounds of subspace iteration (re-orthonormalised
 * each time), then an exact SVD of the small projected matrix. `a` is m x n,
 * row-major. Energy outside the k found directions is spread evenly over the
 * remaining min(m,n)-k directions for the effective rank.
 */
export function randomizedSvd(
  a: Float64Array,
  m: number,
  n: number,
  k = 16,
  powerIterations = 2,
  seed = 7,
): SpectrumWithVectors {
  let frob2 = 0;
  for (let i = 0; i < m * n; i++) frob2 += (a[i] as number) ** 2;
  const p = Math.min(m, n);
  const kk = Math.min(k, p);
  const rand = gaussian(seed);
  // Y = A Omega (m x kk)
  const omega = new Float64Array(n * kk);
  for (let i = 0; i < omega.length; i++) omega[i] = rand();
  const y = mul(a, m, n, omega, kk);
  qrInPlace(y, m, kk);
  for (let q = 0; q < powerIterations; q++) {
    const w = mulT(a, m, n, y, kk); // n x kk
    qrInPlace(w, n, kk);
    const y2 = mul(a, m, n, w, kk);
    qrInPlace(y2, m, kk);
    y.set(y2);
  }
  // B = Q^T A (kk x n)
  const b = new Float64Array(kk * n);
  for (let i = 0; i < m; i++) {
    for (let c = 0; c < kk; c++) {
      const q = y[i * kk + c] as number;
      if (q === 0) continue;
      for (let j = 0; j < n; j++) b[c * n + j] = (b[c * n + j] as number) + q * (a[i * n + j] as number);
    }
  }
  const svd = smallSvd(b, kk, n);
  // Left vector of A = Q * (left vector of B).
  const u1 = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let c = 0; c < kk; c++) s += (y[i * kk + c] as number) * (svd.u1[c] as number);
    u1[i] = s;
  }
  return { spectrum: summarize(Array.from(svd.values), frob2, p), u1, v1: svd.v1 };
}

/** Spectrum summary from leading singular values, the total energy and the full rank bound. */
export function summarize(values: number[], frob2: number, fullRank: number): Spectrum {
  const s1 = values[0] ?? 0;
  let found = 0;
  for (const s of values) found += s * s;
  let entropy = 0;
  if (frob2 > 0) {
    for (const s of values) {
      const pr = (s * s) / frob2;
      if (pr > 0) entropy -= pr * Math.log(pr);
    }
    const rest = fullRank - values.length;
    const tail = Math.max(0, frob2 - found) / frob2;
    if (rest > 0 && tail > 0) entropy -= tail * Math.log(tail / rest);
  }
  return {
    top_singular_value: s1,
    top1_energy: frob2 > 0 ? Math.min(1, (s1 * s1) / frob2) : 0,
    effective_rank: frob2 > 0 ? Math.exp(entropy) : 0,
    stable_rank: s1 > 0 ? frob2 / (s1 * s1) : 0,
    singular_values: values.slice(0, 8),
  };
}

function mul(a: Float64Array, m: number, n: number, x: Float64Array, k: number): Float64Array {
  const out = new Float64Array(m * k);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const v = a[i * n + j] as number;
      if (v === 0) continue;
      for (let c = 0; c < k; c++) out[i * k + c] = (out[i * k + c] as number) + v * (x[j * k + c] as number);
    }
  }
  return out;
}

function mulT(a: Float64Array, m: number, n: number, y: Float64Array, k: number): Float64Array {
  const out = new Float64Array(n * k);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const v = a[i * n + j] as number;
      if (v === 0) continue;
      for (let c = 0; c < k; c++) out[j * k + c] = (out[j * k + c] as number) + v * (y[i * k + c] as number);
    }
  }
  return out;
}
