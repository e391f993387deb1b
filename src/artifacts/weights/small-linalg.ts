/**
 * Dense linear algebra for small matrices (sketches of at most 128 x 128,
 * LoRA factors with r columns): Householder-free modified Gram-Schmidt QR,
 * cyclic Jacobi eigendecomposition of symmetric matrices, and a seeded
 * Gaussian generator. Hand-written because these run on tiny matrices where a
 * dependency (and its native build) would cost more than the arithmetic.
 * Matrices are row-major Float64Array.
 */

/** Deterministic standard normal generator (xorshift32 + Box-Muller). */
export function gaussian(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  const uni = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uni())) * Math.cos(2 * Math.PI * uni());
}

/**
 * Orthonormalises the columns of `a` (m x k) in place by modified Gram-Schmidt
 * with one re-orthogonalisation pass; returns R (k x k, upper triangular).
 * Columns that vanish are left zero (their R diagonal is 0).
 */
export function qrInPlace(a: Float64Array, m: number, k: number): Float64Array {
  const r = new Float64Array(k * k);
  for (let j = 0; j < k; j++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < j; i++) {
        let dot = 0;
        for (let t = 0; t < m; t++) dot += (a[t * k + i] as number) * (a[t * k + j] as number);
        r[i * k + j] = (r[i * k + j] as number) + dot;
        for (let t = 0; t < m; t++) a[t * k + j] = (a[t * k + j] as number) - dot * (a[t * k + i] as number);
      }
    }
    let norm = 0;
    for (let t = 0; t < m; t++) norm += (a[t * k + j] as number) ** 2;
    norm = Math.sqrt(norm);
    r[j * k + j] = norm;
    const inv = norm > 1e-300 ? 1 / norm : 0;
    for (let t = 0; t < m; t++) a[t * k + j] = (a[t * k + j] as number) * inv;
  }
  return r;
}

/** Eigen-decomposition of a symmetric n x n matrix by cyclic Jacobi: values descending, vectors as columns. */
export function symmetricEigen(
  input: Float64Array,
  n: number,
): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(input);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += (a[p * n + q] as number) ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q] as number;
        if (Math.abs(apq) < 1e-300) continue;
        const app = a[p * n + p] as number;
        const aqq = a[q * n + q] as number;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p] as number;
          const akq = a[k * n + q] as number;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k] as number;
          const aqk = a[q * n + k] as number;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p] as number;
          const vkq = v[k * n + q] as number;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (x, y) => (a[y * n + y] as number) - (a[x * n + x] as number),
  );
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    values[dst] = a[src * n + src] as number;
    for (let k = 0; k < n; k++) vectors[k * n + dst] = v[k * n + src] as number;
  });
  return { values, vectors };
}

/** Singular values and top singular vectors of a small dense m x n matrix, via the eigen-decomposition of its Gram matrix. */
export function smallSvd(
  a: Float64Array,
  m: number,
  n: number,
): { values: Float64Array; u1: Float64Array; v1: Float64Array } {
  // Work on the smaller Gram matrix.
  const wide = n > m;
  const d = wide ? m : n;
  const g = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      let s = 0;
      if (wide) for (let t = 0; t < n; t++) s += (a[i * n + t] as number) * (a[j * n + t] as number);
      else for (let t = 0; t < m; t++) s += (a[t * n + i] as number) * (a[t * n + j] as number);
      g[i * d + j] = s;
      g[j * d + i] = s;
    }
  }
  const { values, vectors } = symmetricEigen(g, d);
  const sv = values.map((x) => Math.sqrt(Math.max(0, x)));
  const top = new Float64Array(d);
  for (let k = 0; k < d; k++) top[k] = vectors[k * d] as number;
  // The other side's vector: A^T u / s (or A v / s).
  const s1 = sv[0] ?? 0;
  const other = new Float64Array(wide ? n : m);
  if (s1 > 0) {
    if (wide)
      for (let t = 0; t < n; t++)
        for (let i = 0; i < m; i++)
          other[t] = (other[t] as number) + ((a[i * n + t] as number) * (top[i] as number)) / s1;
    else
      for (let i = 0; i < m; i++)
        for (let t = 0; t < n; t++)
          other[i] = (other[i] as number) + ((a[i * n + t] as number) * (top[t] as number)) / s1;
  }
  return wide ? { values: sv, u1: top, v1: other } : { values: sv, u1: other, v1: top };
}
