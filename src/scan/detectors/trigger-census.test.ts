import { describe, expect, it } from 'vitest';
import { TokenPool } from './gram-census.js';
import {
  type TriggerCensus,
  type TriggerRecords,
  type TriggerThresholds,
  triggerCensus,
  triggerCensusThreaded,
} from './trigger-census.js';

/** Random records over a small vocabulary (so grams repeat), with labels or outcomes. */
function dataset(
  count: number,
  seed: number,
  classification: boolean,
): { pool: TokenPool; records: TriggerRecords } {
  let s = seed;
  const rnd = () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) | 0;
    return (s >>> 0) / 4294967296;
  };
  const pool = new TokenPool();
  const labels: number[] = [];
  const outcomes: number[] = [];
  const outcomeStarts = [0];
  const outcomeTotals = [0, 0, 0, 0];
  for (let r = 0; r < count; r++) {
    const len = 1 + Math.floor(rnd() * 60);
    const hashes = Uint32Array.from({ length: len }, () => Math.floor(rnd() * 300) * 0x9e3779b1 + 7);
    const breaks: number[] = [];
    for (let i = 1; i < len; i++) if (rnd() < 0.02) breaks.push(i);
    for (const b of breaks) hashes[b] = 0;
    pool.append(hashes, breaks);
    // A token tied to an outcome, so some grams are pure enough to be tested.
    const tied = hashes.includes(7);
    const mine: number[] = [];
    if (classification) {
      // Label -1: beyond the labels the model tells apart.
      const label = rnd() < 0.02 ? -1 : tied || rnd() < 0.4 ? 1 : 0;
      labels.push(label);
      mine.push(label < 0 ? 2 : label);
    } else {
      labels.push(-2);
      if (tied || rnd() < 0.3) mine.push(3);
      if (rnd() < 0.5) mine.push(Math.floor(rnd() * 3));
    }
    for (const o of mine) {
      outcomes.push(o);
      outcomeTotals[o] = (outcomeTotals[o] as number) + 1;
    }
    outcomeStarts.push(outcomes.length);
  }
  return {
    pool,
    records: {
      count,
      labelCount: classification ? 2 : 0,
      classification,
      labels: Int32Array.from(labels),
      outcomes: Uint32Array.from(outcomes),
      outcomeStarts: Uint32Array.from(outcomeStarts),
      outcomeTotals: Uint32Array.from(outcomeTotals),
    },
  };
}

const thresholds = (count: number): TriggerThresholds => ({
  minSupport: 3,
  maxDf: Math.floor(0.15 * count),
  minPurity: 0.6,
  logFdr: Math.log(0.01),
});

/** Everything a census holds, as plain arrays. */
function plain(c: TriggerCensus) {
  const n = c.tested.length;
  const col = (a: ArrayLike<number> & { slice(a: number, b: number): ArrayLike<number> }) =>
    Array.from(a.slice(0, n));
  const t = c.tested;
  return {
    pairs: [t.first, t.order, t.textAt, t.support, t.outcome, t.hits, t.logP, t.postStart, t.postEnd].map(
      col,
    ),
    postings: Array.from(c.postings.values()),
    tests: c.tests,
    uniAt: Array.from(c.uniAt),
    uniIds: Array.from(c.uniIds.values()),
    uniCounts: Array.from(c.uniCounts.values()),
    irregular: Array.from(c.irregular),
  };
}

describe('trigger census', () => {
  for (const classification of [true, false]) {
    it(`gives the same census on threads, on this thread and after a thread failed (${classification ? 'labels' : 'outcomes'})`, async () => {
      const { pool, records } = dataset(1_500, classification ? 3 : 4, classification);
      const th = thresholds(records.count);
      // One partition: no unigram renumbering; the others must come to the same numbers.
      const reference = plain(triggerCensus(pool, records, th, 1));
      expect(reference.pairs[0]?.length).toBeGreaterThan(50);
      expect(reference.postings.length).toBeGreaterThan(100);
      if (classification) {
        expect(reference.uniIds.length).toBeGreaterThan(200);
        expect(reference.uniAt.filter((u) => u > 0).length).toBeGreaterThan(10_000);
      }
      expect(plain(triggerCensus(pool, records, th, 8))).toEqual(reference);
      for (const [partitions, threads, group] of [
        [8, 2, undefined],
        [8, 3, 1],
        [4, 2, 2],
      ] as const)
        expect(plain(await triggerCensusThreaded(pool, records, th, { partitions, threads, group }))).toEqual(
          reference,
        );
      const failing = new URL('./test-support/failing-trigger-census.ts', import.meta.url).href;
      for (const group of [1, 4])
        expect(
          plain(
            await triggerCensusThreaded(pool, records, th, {
              partitions: 8,
              threads: 2,
              group,
              module: failing,
            }),
          ),
        ).toEqual(reference);
    });
  }
});
