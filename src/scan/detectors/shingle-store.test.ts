import { describe, expect, it } from 'vitest';
import { ShingleStore } from './shingle-store.js';

describe('ShingleStore', () => {
  it('returns every stored set, from memory and after spilling to disk', () => {
    const store = new ShingleStore(0); // no memory budget: every full chunk goes to disk
    const sets: Int32Array[] = [];
    // ~12 MB of sets: more than one 8 MB chunk, so early ones are read back from the file.
    for (let i = 0; i < 3000; i++) {
      const s = Int32Array.from({ length: 1000 }, (_, j) => (i * 7919 + j * 104729) | 0);
      sets.push(s);
      expect(store.add(s)).toBe(i);
    }
    for (const i of [0, 1, 1500, 2999])
      expect(Array.from(store.get(i))).toEqual(Array.from(sets[i] as Int32Array));
    store.close();
  });

  it('keeps sets in memory up to its budget and spills the rest', () => {
    const store = new ShingleStore(10 << 20); // one 8 MB chunk in memory, the rest on disk
    const sets: Int32Array[] = [];
    for (let i = 0; i < 6000; i++) {
      const s = Int32Array.from({ length: 700 + (i % 300) }, (_, j) => (i * 31 + j * 7) | 0);
      sets.push(s);
      store.add(s);
    }
    for (const i of [0, 1, 2500, 2999, 3000, 4100, 5999, 17])
      expect(Array.from(store.get(i))).toEqual(Array.from(sets[i] as Int32Array));
    store.close();
  });
});
