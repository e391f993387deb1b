/**
 * Exact tail probabilities and multiple-testing control for trigger mining,
 * in log space (p-values of planted triggers underflow doubles).
 */

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; |error| < 1e-13). */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const xm = x - 1;
  let a = c[0] as number;
  const t = xm + 7.5;
  for (let i = 1; i < 9; i++) a += (c[i] as number) / (xm + i);
  return 0.5 * Math.log(2 * Math.PI) + (xm + 0.5) * Math.log(t) - t + Math.log(a);
}

/** ln C(n, k). */
export function logChoose(n: number, k: number): number {
  if (k < 0 || k > n) return Number.NEGATIVE_INFINITY;
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
}

function logSumExp(a: number, b: number): number {
  if (a === Number.NEGATIVE_INFINITY) return b;
  if (b === Number.NEGATIVE_INFINITY) return a;
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

/**
 * ln P(X >= k) for X ~ Hypergeometric(population N, successes K, draws n): the
 * one-sided Fisher exact test of "records carrying the gram have the outcome
 * more often than the rest".
 */
export function logHypergeometricUpperTail(N: number, K: number, n: number, k: number): number {
  const hi = Math.min(n, K);
  if (k > hi) return Number.NEGATIVE_INFINITY;
  const lo = Math.max(k, n - (N - K), 0);
  const denom = logChoose(N, n);
  let acc = Number.NEGATIVE_INFINITY;
  for (let x = lo; x <= hi; x++) {
    const term = logChoose(K, x) + logChoose(N - K, n - x) - denom;
    acc = logSumExp(acc, term);
    // Terms shrink fast past the mode; stop when they no longer matter.
    if (x > lo + 5 && term < acc - 40) break;
  }
  return Math.min(0, acc);
}

/** ln P(X >= k) for X ~ Binomial(n, p). */
export function logBinomialUpperTail(n: number, p: number, k: number): number {
  if (k <= 0) return 0;
  if (k > n) return Number.NEGATIVE_INFINITY;
  const lp = Math.log(p);
  const lq = Math.log1p(-p);
  let acc = Number.NEGATIVE_INFINITY;
  for (let x = k; x <= n; x++) {
    const term = logChoose(n, x) + x * lp + (n - x) * lq;
    acc = logSumExp(acc, term);
    if (x > k + 5 && term < acc - 40) break;
  }
  return Math.min(0, acc);
}

/**
 * Benjamini–Hochberg: given ln p-values of `m` tests (only the smallest need be
 * passed; `m` counts all tests run), returns ln q-values (adjusted p) for the
 * passed ones, in input order.
 */
export function benjaminiHochberg(logP: readonly number[], m: number): number[] {
  const order = logP.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0]);
  const q = new Array<number>(logP.length);
  let running = 0;
  for (let r = order.length - 1; r >= 0; r--) {
    const [p, i] = order[r] as readonly [number, number];
    const adjusted = Math.min(0, p + Math.log(m / (r + 1)));
    running = r === order.length - 1 ? adjusted : Math.min(running, adjusted);
    q[i] = running;
  }
  return q;
}
