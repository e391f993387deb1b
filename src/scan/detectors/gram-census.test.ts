import { describe, expect, it } from 'vitest';
import {
  gramId,
  LOCAL_BITS,
  localIndex,
  localIsPrefix,
  localIsUnigram,
  localLength,
  localToken,
  MAX_RECORD_TOKENS,
  PartitionBuffers,
  partitionsFor,
  poolArrays,
  sortedPartitions,
  sortPartitionGroup,
  TokenPool,
  unigramId,
} from './gram-census.js';

interface Rec {
  hashes: number[];
  breaks: number[];
}

/** Every gram occurrence by id, in dataset order, the slow way (the miner's original loop). */
function reference(records: Rec[]): Map<number, number[]> {
  const out = new Map<number, number[]>();
  const emit = (id: number, occ: number) => {
    const list = out.get(id) ?? [];
    list.push(occ >>> 0);
    out.set(id, list);
  };
  records.forEach((rec, r) => {
    const isBreak = (i: number) => rec.breaks.includes(i);
    for (let i = 0; i < rec.hashes.length; i++) {
      if (isBreak(i)) continue;
      for (let n = 1; n <= 4 && i + n <= rec.hashes.length; n++) {
        if (isBreak(i + n - 1)) break;
        const toks = rec.hashes.slice(i, i + n);
        emit(gramId(toks, false), (r << LOCAL_BITS) | localIndex(i, n, false));
        if (i === 0) emit(gramId(toks, true), (r << LOCAL_BITS) | localIndex(0, n, true));
      }
    }
  });
  return out;
}

function census(pool: TokenPool, partitions: number): { byId: Map<number, number[]>; order: number[] } {
  const byId = new Map<number, number[]>();
  const order: number[] = [];
  sortedPartitions(
    pool,
    (ids, occ, len) => {
      for (let k = 0; k < len; k++) {
        const id = (ids[k] as number) >>> 0;
        if (order.at(-1) !== id) order.push(id);
        const list = byId.get(id) ?? [];
        list.push((occ[k] as number) >>> 0);
        byId.set(id, list);
      }
    },
    partitions,
  );
  return { byId, order };
}

function randomRecords(count: number, vocab: number, seed: number): Rec[] {
  let s = seed;
  const rnd = () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) | 0;
    return (s >>> 0) / 4294967296;
  };
  return Array.from({ length: count }, () => {
    const len = Math.floor(rnd() * (rnd() < 0.2 ? MAX_RECORD_TOKENS + 1 : 30));
    const hashes = Array.from({ length: len }, () => Math.floor(rnd() * vocab) * 0x9e3779b1);
    const breaks = hashes.flatMap((_, i) => (rnd() < 0.03 || (len > 200 && i === 192) ? [i] : []));
    for (const b of breaks) hashes[b] = 0;
    return { hashes: hashes.map((h) => h >>> 0), breaks };
  });
}

describe('gram census', () => {
  it('round-trips local indices in generation order', () => {
    let last = -1;
    for (let i = 0; i < MAX_RECORD_TOKENS; i++)
      for (let n = 1; n <= 4; n++)
        for (const prefix of i === 0 ? [false, true] : [false]) {
          const local = localIndex(i, n, prefix);
          expect(local).toBeGreaterThan(last);
          expect(local).toBeLessThan(1 << LOCAL_BITS);
          last = local;
          expect([localToken(local), localLength(local), localIsPrefix(local)]).toEqual([i, n, prefix]);
          expect(localIsUnigram(local)).toBe(n === 1 && !prefix);
        }
  });

  it('finds every occurrence of every gram, ids ascending, occurrences in dataset order, for any partitioning', () => {
    // A small vocabulary makes many repeated grams; breaks split them.
    const records = randomRecords(300, 40, 3);
    const pool = new TokenPool();
    for (const r of records) pool.append(Uint32Array.from(r.hashes), r.breaks);
    const want = reference(records);
    for (const partitions of [1, 2, 8, partitionsFor(pool, 500)]) {
      const { byId, order } = census(pool, partitions);
      expect(order.length).toBe(want.size);
      expect(order).toEqual([...order].sort((a, b) => a - b));
      for (const [id, occ] of want) expect(byId.get(id)).toEqual(occ);
    }
  });

  it('sorts sparse partitions (buckets of the first radix pass with one occurrence or none)', () => {
    for (const seed of [1, 2, 3, 4]) {
      const records = randomRecords(6, 1_000_000, seed);
      const pool = new TokenPool();
      for (const r of records) pool.append(Uint32Array.from(r.hashes), r.breaks);
      const want = reference(records);
      // 1 and 2 partitions sort in three in-bucket passes, 8 and 4096 in two.
      for (const partitions of [1, 2, 8, 4096]) {
        const { byId, order } = census(pool, partitions);
        expect(order).toEqual([...want.keys()].sort((a, b) => a - b));
        for (const [id, occ] of want) expect(byId.get(id)).toEqual(occ);
      }
    }
  });

  it('sorts a group of partitions from one pass like the partitions one by one, also when the buffers must grow', () => {
    const records = randomRecords(200, 60, 11);
    const pool = new TokenPool();
    for (const r of records) pool.append(Uint32Array.from(r.hashes), r.breaks);
    const want = reference(records);
    const arrays = poolArrays(pool);
    const partitions = 8;
    for (const count of [1, 2, 4, 8]) {
      // 64 occurrences per region: every pass grows them several times.
      const buffers = new PartitionBuffers(64, count);
      const byId = new Map<number, number[]>();
      const parts: number[] = [];
      for (let first = 0; first < partitions; first += count)
        sortPartitionGroup(arrays, first, count, partitions, buffers, (part, sorted) => {
          parts.push(part);
          for (let k = 0; k < sorted.length; k++) {
            const id = (sorted.ids[k] as number) >>> 0;
            expect(id >>> 29).toBe(part);
            const list = byId.get(id) ?? [];
            list.push((sorted.occ[k] as number) >>> 0);
            byId.set(id, list);
          }
        });
      expect(parts).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(buffers.capacity).toBeGreaterThan(64);
      expect(byId.size).toBe(want.size);
      for (const [id, occ] of want) expect(byId.get(id)).toEqual(occ);
    }
    expect(() => sortPartitionGroup(arrays, 1, 2, partitions, new PartitionBuffers(64, 2), () => {})).toThrow(
      RangeError,
    );
  });

  it('gives unigram ids of single tokens', () => {
    expect(unigramId(12345)).toBe(gramId([12345], false));
  });

  it('sorts with the WebAssembly kernel exactly as with the JavaScript passes, also sparse, tiny and grown buffers', () => {
    expect(new PartitionBuffers(16).kernel).toBeDefined();
    expect(new PartitionBuffers(16, 1, false).kernel).toBeUndefined();
    const cases: [number, number, number][] = [
      [0, 10, 1],
      [1, 10, 1],
      [5, 1_000_000, 2],
      [300, 40, 3],
      [400, 5000, 4],
      [250, 1 << 30, 5],
    ];
    for (const [count, vocab, seed] of cases) {
      const pool = new TokenPool();
      for (const r of randomRecords(count, vocab, seed)) pool.append(Uint32Array.from(r.hashes), r.breaks);
      const arrays = poolArrays(pool);
      // 1 partition: three in-bucket passes; 8: two; 4096: sparse buckets.
      for (const partitions of [1, 2, 8, 4096]) {
        const group = Math.min(2, partitions);
        const run = (wasm: boolean) => {
          const out: number[][] = [];
          const buffers = new PartitionBuffers(32, group, wasm);
          for (let first = 0; first < partitions; first += group)
            sortPartitionGroup(arrays, first, group, partitions, buffers, (_, p) => {
              out.push(Array.from(p.ids.subarray(0, p.length)), Array.from(p.occ.subarray(0, p.length)));
            });
          return out;
        };
        expect(run(true)).toEqual(run(false));
      }
    }
  });
});
