import { zForConfidence } from './normal.js';

/** A proportion with its confidence interval. */
export interface RateInterval {
  successes: number;
  trials: number;
  /** Point estimate successes / trials (0 when trials is 0). */
  rate: number;
  lower: number;
  upper: number;
}

/**
 * Wilson score interval: keeps sane bounds at 0/n and n/n and for small n,
 * where the normal (Wald) interval collapses to zero width.
 */
export function wilsonInterval(successes: number, trials: number, confidence = 0.95): RateInterval {
  if (trials === 0) return { successes, trials, rate: 0, lower: 0, upper: 1 };
  if (successes < 0 || successes > trials) throw new RangeError(`wilsonInterval: ${successes}/${trials}`);
  const z = zForConfidence(confidence);
  const p = successes / trials;
  const z2 = z * z;
  const denom = 1 + z2 / trials;
  const centre = (p + z2 / (2 * trials)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / denom;
  return {
    successes,
    trials,
    rate: p,
    lower: successes === 0 ? 0 : Math.max(0, centre - half),
    upper: successes === trials ? 1 : Math.min(1, centre + half),
  };
}
