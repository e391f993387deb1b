import { describe, expect, it } from 'vitest';
import { StampedIntSet } from './stamped-int-set.js';

describe('StampedIntSet', () => {
  it('behaves like a Set of int32 bit patterns across resets and growth', () => {
    const set = new StampedIntSet();
    let seed = 7;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % 3 === 0 ? seed : seed % 500; // wide hashes and small, colliding ids
    };
    for (const n of [10, 5_000, 3, 20_000]) {
      set.reset(n);
      const reference = new Set<number>();
      for (let i = 0; i < n; i++) {
        const v = next();
        expect(set.add(v)).toBe(!reference.has(v | 0));
        reference.add(v | 0);
      }
      for (let v = 0; v < 600; v++) expect(set.has(v)).toBe(reference.has(v));
    }
  });

  it('treats an unsigned value and its signed twin as the same element', () => {
    const set = new StampedIntSet();
    set.reset(4);
    expect(set.add(0xffffffff)).toBe(true);
    expect(set.add(-1)).toBe(false);
    expect(set.has(0xffffffff)).toBe(true);
  });
});
