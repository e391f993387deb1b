import { describe, expect, it } from 'vitest';
import { fmix32, wordHashes } from '../detectors/minhash.js';
import { mulberry32 } from '../seeded-random.js';
import { sparseTf } from './hashed-embedder.js';

/** The definition, written plainly: count terms in a Map, most frequent first, ties by smaller id. */
function reference(text: string, max = 128): { idx: number[]; tf: number[] } {
  const words = Array.from(wordHashes(text));
  const n = Math.min(words.length, 5000);
  const counts = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const h = words[i] as number;
    const terms = [h & 0xfffff];
    if (i > 0) terms.push(fmix32(Math.imul(words[i - 1] as number, 31) ^ h) & 0xfffff);
    for (const t of terms) counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  let ids = [...counts.keys()].sort((a, b) => a - b);
  if (ids.length > max)
    ids = ids.sort((a, b) => (counts.get(b) as number) - (counts.get(a) as number) || a - b).slice(0, max);
  return { idx: ids, tf: ids.map((i) => Math.fround(1 + Math.log(counts.get(i) as number))) };
}

describe('sparseTf', () => {
  it('keeps the most frequent hashed uni/bigrams, ties by term id, like the plain definition', () => {
    const rnd = mulberry32(11);
    const vocab = Array.from({ length: 600 }, (_, i) => `t${i.toString(36)}`);
    for (const n of [0, 1, 3, 60, 400, 3000, 7000]) {
      // Skewed word frequencies, so counts tie and differ.
      const text = Array.from({ length: n }, () => vocab[(rnd() % 600) % (1 + (rnd() % 600))]).join(' ');
      const got = sparseTf(text);
      const want = reference(text);
      expect(Array.from(got.idx)).toEqual(want.idx);
      expect(Array.from(got.tf)).toEqual(want.tf);
    }
  });
});
