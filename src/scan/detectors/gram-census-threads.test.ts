import { describe, expect, it } from 'vitest';
import { MAX_RECORD_TOKENS, type PartitionVisitor, sortedPartitions, TokenPool } from './gram-census.js';
import { sortedPartitionsThreaded } from './gram-census-threads.js';

/** Each visited partition as plain copies, in visiting order. */
function recorder(): { visit: PartitionVisitor; seen: { ids: number[]; occ: number[] }[] } {
  const seen: { ids: number[]; occ: number[] }[] = [];
  return {
    seen,
    visit: (ids, occ, len) => {
      seen.push({ ids: Array.from(ids.subarray(0, len)), occ: Array.from(occ.subarray(0, len)) });
    },
  };
}

function pool(records: number, seed: number): TokenPool {
  let s = seed;
  const rnd = () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) | 0;
    return (s >>> 0) / 4294967296;
  };
  const p = new TokenPool();
  for (let r = 0; r < records; r++) {
    const len = Math.floor(rnd() * (rnd() < 0.3 ? MAX_RECORD_TOKENS + 1 : 40));
    const hashes = Uint32Array.from({ length: len }, () => Math.floor(rnd() * 500) * 0x9e3779b1);
    const breaks: number[] = [];
    for (let i = 0; i < len; i++) if (rnd() < 0.02) breaks.push(i);
    for (const b of breaks) hashes[b] = 0;
    p.append(hashes, breaks);
  }
  return p;
}

describe('gram census on threads', () => {
  it('visits the same partitions, in order, with the same sorted occurrences as the single-threaded census', async () => {
    const p = pool(2_000, 5);
    for (const [partitions, threads] of [
      [4, 2],
      [8, 3],
      [16, 2],
      [2, 1],
      [1, 2],
    ] as const) {
      const one = recorder();
      sortedPartitions(p, one.visit, partitions);
      const many = recorder();
      await sortedPartitionsThreaded(p, many.visit, { partitions, threads });
      expect(many.seen.length).toBe(partitions);
      expect(many.seen).toEqual(one.seen);
      expect(many.seen.some((x) => x.ids.length > 500)).toBe(true);
    }
  });
});
