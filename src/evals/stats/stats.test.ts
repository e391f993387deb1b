import { describe, expect, it } from 'vitest';
import { clusterBootstrapDifference } from './bootstrap.js';
import { correctRate } from './error-correction.js';
import { mcnemarExact } from './mcnemar.js';
import { normalQuantile, zForConfidence } from './normal.js';
import { createRng } from './rng.js';
import { pairedSampleSize } from './sample-size.js';
import { wilsonInterval } from './wilson.js';

// Reference values computed with scipy 1.17 (norm.ppf, binomtest) and the closed-form Wilson formula.
describe('wilsonInterval', () => {
  it('matches 8/10 at 95%', () => {
    const r = wilsonInterval(8, 10);
    expect(r.lower).toBeCloseTo(0.4901625, 6);
    expect(r.upper).toBeCloseTo(0.9433178, 6);
  });
  it('matches 37/120 at 90% and 0/20 at 95%', () => {
    const r = wilsonInterval(37, 120, 0.9);
    expect(r.lower).toBeCloseTo(0.2438562, 6);
    expect(r.upper).toBeCloseTo(0.3812626, 6);
    const z = wilsonInterval(0, 20);
    expect(z.lower).toBe(0);
    expect(z.upper).toBeCloseTo(0.1611252, 6);
  });
  it('returns the uninformative interval for no trials', () => {
    expect(wilsonInterval(0, 0)).toMatchObject({ lower: 0, upper: 1 });
  });
});

describe('mcnemarExact', () => {
  it('matches scipy binomtest two-sided values', () => {
    expect(mcnemarExact(10, 2).p).toBeCloseTo(0.03857421875, 10);
    expect(mcnemarExact(70, 30).p).toBeCloseTo(7.85013964559367e-5, 12);
    expect(mcnemarExact(5, 0).p).toBeCloseTo(0.0625, 10);
    expect(mcnemarExact(800, 700).p).toBeCloseTo(0.010559255466711506, 8);
  });
  it('is 1 without discordant pairs and symmetric', () => {
    expect(mcnemarExact(0, 0).p).toBe(1);
    expect(mcnemarExact(3, 9).p).toBe(mcnemarExact(9, 3).p);
  });
});

describe('normalQuantile', () => {
  it('matches scipy norm.ppf', () => {
    expect(zForConfidence(0.95)).toBeCloseTo(1.959963984540054, 8);
    expect(normalQuantile(0.8)).toBeCloseTo(0.8416212335729143, 8);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306167813, 7);
  });
});

describe('pairedSampleSize', () => {
  it('follows Connor (1987)', () => {
    expect(pairedSampleSize({ minDetectableDifference: 0.05, discordance: 0.1 })).toBe(312);
    expect(pairedSampleSize({ minDetectableDifference: 0.02, discordance: 0.05 })).toBe(979);
  });
  it('rejects impossible differences', () => {
    expect(() => pairedSampleSize({ minDetectableDifference: 0, discordance: 0.1 })).toThrow(RangeError);
  });
});

describe('correctRate', () => {
  it('applies Rogan-Gladen and clamps', () => {
    expect(correctRate(0.3, { sensitivity: 0.9, specificity: 0.95 })).toBeCloseTo(0.25 / 0.85, 12);
    expect(correctRate(0.01, { sensitivity: 0.9, specificity: 0.95 })).toBe(0);
    expect(correctRate(1, { sensitivity: 0.9, specificity: 0.95 })).toBe(1);
    expect(correctRate(0.4, { sensitivity: 1, specificity: 1 })).toBeCloseTo(0.4, 12);
  });
});

describe('clusterBootstrapDifference', () => {
  it('is reproducible for a seed and brackets the estimate', () => {
    const clusters = Array.from({ length: 200 }, (_, i) => ({
      base: i % 10 === 0 ? 1 : 0,
      candidate: i % 4 === 0 ? 1 : 0,
      samples: 1,
    }));
    const a = clusterBootstrapDifference(clusters, { iterations: 2000, confidence: 0.95, rng: createRng(7) });
    const b = clusterBootstrapDifference(clusters, { iterations: 2000, confidence: 0.95, rng: createRng(7) });
    expect(a).toEqual(b);
    expect(a.estimate).toBeCloseTo(0.25 - 0.1, 12);
    expect(a.lower).toBeLessThan(a.estimate);
    expect(a.upper).toBeGreaterThan(a.estimate);
    // Paired normal approximation: sd(d)/sqrt(n) = sqrt(0.2275/200) ~ 0.0337, width ~ 0.132.
    expect(a.upper - a.lower).toBeGreaterThan(0.1);
    expect(a.upper - a.lower).toBeLessThan(0.17);
  });
  it('widens when samples within a case are correlated', () => {
    // 5 samples per case, all identical within a case: effective n is the case count.
    const clustered = Array.from({ length: 40 }, (_, i) => ({
      base: 0,
      candidate: i % 4 === 0 ? 5 : 0,
      samples: 5,
    }));
    const flat = Array.from({ length: 200 }, (_, i) => ({
      base: 0,
      candidate: i % 4 === 0 ? 1 : 0,
      samples: 1,
    }));
    const opts = { iterations: 2000, confidence: 0.95 };
    const wc = clusterBootstrapDifference(clustered, { ...opts, rng: createRng(1) });
    const wf = clusterBootstrapDifference(flat, { ...opts, rng: createRng(1) });
    expect(wc.upper - wc.lower).toBeGreaterThan(1.8 * (wf.upper - wf.lower));
  });
  it('is zero-width when models agree on every case', () => {
    const same = Array.from({ length: 50 }, (_, i) => ({ base: i % 3, candidate: i % 3, samples: 2 }));
    expect(
      clusterBootstrapDifference(same, { iterations: 500, confidence: 0.95, rng: createRng(3) }),
    ).toEqual({
      estimate: 0,
      lower: 0,
      upper: 0,
    });
  });
});

describe('createRng().ints', () => {
  it('gives exactly the values of repeated int() calls and leaves the generator in the same state', () => {
    for (const n of [1, 2, 7, 100_000, 2 ** 31]) {
      const one = createRng(42);
      const bulk = createRng(42);
      const expected = Array.from({ length: 1000 }, () => one.int(n));
      const out = new Uint32Array(1000);
      bulk.ints(n, out);
      expect([...out]).toEqual(expected);
      expect(bulk.next()).toBe(one.next());
    }
  });
});
