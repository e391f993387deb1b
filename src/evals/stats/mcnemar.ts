/** Result of an exact McNemar test on paired binary outcomes. */
export interface McNemarResult {
  /** Pairs where only the base failed. */
  b: number;
  /** Pairs where only the candidate failed. */
  c: number;
  /** Two-sided exact p-value (1 when there are no discordant pairs). */
  p: number;
}

/**
 * Exact McNemar test: under H0 the discordant pairs split Binomial(b + c, 1/2);
 * the two-sided p doubles the smaller tail (as statsmodels `mcnemar(exact=True)`).
 */
export function mcnemarExact(b: number, c: number): McNemarResult {
  const n = b + c;
  if (n === 0) return { b, c, p: 1 };
  const k = Math.min(b, c);
  // Walk the pmf in log space (0.5^n underflows beyond n ~ 1074).
  let logPmf = n * Math.log(0.5);
  let tail = Math.exp(logPmf);
  for (let i = 1; i <= k; i++) {
    logPmf += Math.log(n - i + 1) - Math.log(i);
    tail += Math.exp(logPmf);
  }
  return { b, c, p: Math.min(1, 2 * tail) };
}
