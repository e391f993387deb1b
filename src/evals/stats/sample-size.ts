import { normalQuantile } from './normal.js';

/** Inputs of the paired sample-size hint. */
export interface PairedSampleSizeInput {
  /** Minimum difference in rates to detect, as a proportion (0.02 = 2 points). */
  minDetectableDifference: number;
  /**
   * Expected share of discordant pairs (cases where exactly one model fails).
   * Use the observed share when available; it must be at least the difference.
   */
  discordance: number;
  /** Two-sided significance level. */
  alpha?: number;
  /** Desired power. */
  power?: number;
}

/**
 * Cases needed to detect a paired difference with McNemar's test
 * (Connor 1987): n = (z_a sqrt(psi) + z_b sqrt(psi - delta^2))^2 / delta^2.
 */
export function pairedSampleSize(input: PairedSampleSizeInput): number {
  const delta = Math.abs(input.minDetectableDifference);
  if (!(delta > 0 && delta < 1)) throw new RangeError('minDetectableDifference must be in (0, 1)');
  const psi = Math.min(1, Math.max(input.discordance, delta));
  const za = normalQuantile(1 - (input.alpha ?? 0.05) / 2);
  const zb = normalQuantile(input.power ?? 0.8);
  const n = (za * Math.sqrt(psi) + zb * Math.sqrt(Math.max(0, psi - delta * delta))) ** 2 / (delta * delta);
  return Math.ceil(n);
}
