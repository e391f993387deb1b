import { describe, expect, it } from 'vitest';
import { ArrayPool } from './array-pool.js';

describe('ArrayPool', () => {
  it('returns every array with gaps, across chunks, and frees chunks read to the end', () => {
    const pool = new ArrayPool((n) => new Int32Array(n), 100);
    const arrays: (number[] | undefined)[] = [];
    for (let i = 0; i < 500; i++) {
      const a = i % 7 === 3 ? undefined : Array.from({ length: (i * 13) % 45 }, (_, j) => i * 1000 + j);
      arrays.push(a);
      expect(pool.push(a)).toBe(i);
    }
    arrays.push(Array.from({ length: 250 }, (_, j) => j)); // larger than a chunk
    pool.push(arrays[500]);
    for (let i = 0; i < arrays.length; i++) {
      const got = pool.get(i);
      expect(got ? Array.from(got) : undefined).toEqual(arrays[i]);
    }
    pool.releaseBefore(300);
    for (let i = 300; i < arrays.length; i++) {
      const got = pool.get(i);
      expect(got ? Array.from(got) : undefined).toEqual(arrays[i]);
    }
    expect(pool.get(0)).toBeUndefined();
  });
});
