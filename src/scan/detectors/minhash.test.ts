import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../seeded-random.js';
import {
  JaccardProbe,
  jaccard,
  MinHasher,
  setMinHashSimd,
  shingleHashes,
  shingleList,
  shingleSet,
  wordHashes,
} from './minhash.js';
import { SimdSignatureKernel, WordHashKernel } from './minhash-kernel.js';

const rnd = mulberry32(5);
const vocab = Array.from({ length: 400 }, (_, i) => `w${i.toString(36)}`);
const text = (n: number) => Array.from({ length: n }, () => vocab[rnd() % vocab.length]).join(' ');

describe('MinHasher', () => {
  it('has its WebAssembly kernels on this runtime (the equality tests below would pass on the scalar fallback alone)', () => {
    expect(
      SimdSignatureKernel.create(new Int32Array(128).fill(3), new Int32Array(128).fill(5)),
    ).toBeDefined();
    expect(WordHashKernel.create(new Uint16Array(65536))).toBeDefined();
  });

  it('computes the same signatures with the WebAssembly SIMD kernel as with the scalar loop', () => {
    for (const perms of [128, 130, 12, 7]) {
      const simd = new MinHasher(perms, 17);
      setMinHashSimd(false);
      const scalar = new MinHasher(perms, 17);
      setMinHashSimd(true);
      for (const n of [0, 1, 5, 300, 20_000]) {
        const set = shingleSet(text(n), { unit: 'word', n: 3 });
        expect(Array.from(simd.signature(set))).toEqual(Array.from(scalar.signature(set)));
      }
    }
  });
});

describe('shingle sets', () => {
  it('holds the same values as the sorted shingle hashes, once each, in a deterministic order', () => {
    for (const unit of ['word', 'char'] as const) {
      const t = text(500);
      const set = shingleSet(t, { unit, n: unit === 'word' ? 3 : 5 });
      const sorted = shingleHashes(t, { unit, n: unit === 'word' ? 3 : 5 });
      expect(Array.from(set).sort((a, b) => a - b)).toEqual(Array.from(sorted));
      expect(Array.from(shingleSet(t, { unit, n: unit === 'word' ? 3 : 5 }))).toEqual(Array.from(set));
    }
  });

  it('measures exact Jaccard of unsorted sets like the merge walk of sorted ones', () => {
    const probe = new JaccardProbe();
    const base = text(300);
    const a = shingleSet(base, { unit: 'word', n: 3 });
    probe.load(Int32Array.from([...a, ...a]));
    for (const other of [
      base,
      `${base} ${text(40)}`,
      text(300),
      `${text(20)} ${base.slice(200)}`,
      `${base} ${base}`,
    ]) {
      const b = shingleSet(other, { unit: 'word', n: 3 });
      const list = shingleList(other, { unit: 'word', n: 3 });
      const sa = shingleHashes(base, { unit: 'word', n: 3 });
      const sb = shingleHashes(other, { unit: 'word', n: 3 });
      expect(probe.similarity(b)).toBe(jaccard(sa, sb));
      // Duplicates in either set do not count.
      expect(probe.similarity(list)).toBe(jaccard(sa, sb));
    }
  });

  it('hashes words and word 3-grams the same with the WebAssembly kernel and the scalar loops', () => {
    const rnd2 = mulberry32(8);
    const pieces = [
      'Straße',
      'İSTANBUL',
      'ÉCOLE',
      '日本語',
      '😀',
      '\ud800',
      '\udc00',
      ' ',
      '\u00a0',
      '\u3000',
      '-',
      'ABC',
      'x1',
    ];
    const texts = Array.from({ length: 50 }, () =>
      Array.from({ length: 20 + (rnd2() % 400) }, () => pieces[rnd2() % pieces.length]).join(''),
    );
    const both = (t: string) => [
      Array.from(wordHashes(t)),
      Array.from(shingleList(t, { unit: 'word', n: 3 })),
    ];
    const fast = texts.map(both);
    setMinHashSimd(false);
    const slow = texts.map(both);
    setMinHashSimd(true);
    expect(fast).toEqual(slow);
    expect(fast.some(([w]) => (w?.length ?? 0) > 10)).toBe(true);
  });

  it('remembers the word hashes of the last text without changing them', () => {
    const t = text(50);
    const first = Array.from(wordHashes(t));
    wordHashes(text(60));
    expect(Array.from(wordHashes(t))).toEqual(first);
    expect(Array.from(wordHashes(t))).toEqual(first);
  });
});
