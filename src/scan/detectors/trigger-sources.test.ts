import { describe, expect, it } from 'vitest';
import { TriggerSources } from './trigger-sources.js';

describe('TriggerSources', () => {
  it('gives back every source as pushed: ASCII, other Unicode, lone surrogates, empty, across blocks', () => {
    const store = new TriggerSources();
    const want: string[] = [];
    const samples = [
      '',
      'plain ascii text',
      'caf\u00e9 na\u00efve',
      '\u65e5\u672c\u8a9e',
      '\ud83d\ude00 and \ud83d alone',
      'x\u0000y\u007f',
    ];
    for (let i = 0; i < 2_000; i++) {
      const s = `${samples[i % samples.length]} ${'abcdefghij'.repeat(i % 50)}`;
      want.push(s);
      store.push(s);
    }
    // Sources long enough to fill a 16 MB block several times over.
    const big = 'w'.repeat(6 << 20);
    for (let i = 0; i < 6; i++) {
      want.push(`${i}${big}`);
      store.push(`${i}${big}`);
    }
    expect(store.size).toBe(want.length);
    for (let i = 0; i < want.length; i++) expect(store.get(i) === want[i]).toBe(true);
    expect(() => store.get(want.length)).toThrow(RangeError);
  });
});
