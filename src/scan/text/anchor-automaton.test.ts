import { describe, expect, it } from 'vitest';
import { seededRandom } from '../seeded-random.js';
import { AnchorAutomaton } from './anchor-automaton.js';

/** Every (word, start) occurrence by `indexOf`, sorted by end then word order of the automaton. */
function naive(words: readonly string[], text: string): [number, number][] {
  const out: [number, number][] = [];
  words.forEach((w, wi) => {
    if (words.indexOf(w) !== wi) return;
    for (let p = text.indexOf(w); p >= 0; p = text.indexOf(w, p + 1)) out.push([wi, p]);
  });
  return out.sort(
    (a, b) => a[1] + (words[a[0]] as string).length - (b[1] + (words[b[0]] as string).length) || a[0] - b[0],
  );
}

function occurrences(a: AnchorAutomaton, text: string): [number, number][] {
  const { pairs, count } = a.scan(text);
  const out: [number, number][] = [];
  for (let k = 0; k < count; k++) out.push([pairs[2 * k] as number, pairs[2 * k + 1] as number]);
  return out.sort(
    (x, y) =>
      x[1] + (a.words[x[0]] as string).length - (y[1] + (a.words[y[0]] as string).length) || x[0] - y[0],
  );
}

describe('AnchorAutomaton', () => {
  it('finds overlapping, nested and repeated words', () => {
    const a = new AnchorAutomaton(['he', 'she', 'his', 'hers', 'anything now', 'игнорируй', '忽略']);
    expect(occurrences(a, 'ushers')).toEqual([
      [0, 2],
      [1, 1],
      [3, 2],
    ]);
    expect(occurrences(a, 'do anything now! игнорируй 忽略')).toEqual([
      [4, 3],
      [5, 17],
      [6, 27],
    ]);
    expect(a.scan('').count).toBe(0);
  });

  it('agrees with indexOf on random texts over a small alphabet (many overlaps)', () => {
    const rnd = seededRandom(7);
    const alphabet = 'abc d\u00e9\u4e00';
    const pick = (n: number) =>
      Array.from({ length: n }, () => alphabet[Math.floor(rnd() * alphabet.length)] as string).join('');
    for (let round = 0; round < 40; round++) {
      const words = Array.from({ length: 1 + Math.floor(rnd() * 12) }, () => pick(1 + Math.floor(rnd() * 4)));
      const a = new AnchorAutomaton(words);
      for (let t = 0; t < 10; t++) {
        const text = pick(Math.floor(rnd() * 300));
        expect(occurrences(a, text)).toEqual(naive(words, text));
      }
    }
  });

  it('gives the pairs of the JavaScript walk, in the same order, from its WebAssembly kernel (chunked texts)', () => {
    const rnd = seededRandom(11);
    const alphabet = 'abc d\u00e9\u4e00';
    const pick = (n: number) =>
      Array.from({ length: n }, () => alphabet[Math.floor(rnd() * alphabet.length)] as string).join('');
    for (let round = 0; round < 60; round++) {
      // Long words too: a chunk's walk starts that far before the chunk.
      const words = Array.from({ length: 1 + Math.floor(rnd() * 12) }, () =>
        pick(1 + Math.floor(rnd() * (round % 3 === 0 ? 40 : 4))),
      );
      const a = new AnchorAutomaton(words, round % 2 === 0 ? { x: 'a', y: ' ' } : {});
      for (let t = 0; t < 6; t++) {
        // Short texts walk as one chunk, long ones as four; 'x' and 'y' stand for aliased letters.
        const text = pick(Math.floor(rnd() * (t % 2 === 0 ? 300 : 6000))).replace(/b/g, () =>
          rnd() < 0.1 ? 'x' : 'b',
        );
        const got = a.scan(text);
        const wasm = Array.from(got.pairs.subarray(0, 2 * got.count));
        const js = a.scanJs(text);
        expect(wasm).toEqual(Array.from(js.pairs.subarray(0, 2 * js.count)));
      }
    }
    // A text with more occurrences than the kernel's regions hold is walked in JavaScript.
    const dense = new AnchorAutomaton(['a', 'aa', 'aaa']);
    expect(dense.scan('a'.repeat(5000)).count).toBe(3 * 5000 - 3);
  });

  it('rejects an empty word', () => {
    expect(() => new AnchorAutomaton(['a', ''])).toThrow(/empty/);
  });
});
