import { describe, expect, it } from 'vitest';
import { isJsWhitespace } from './whitespace.js';

describe('isJsWhitespace', () => {
  it('agrees with /\\s/ on every UTF-16 code unit', () => {
    for (let c = 0; c <= 0xffff; c++) {
      expect(isJsWhitespace(c), `U+${c.toString(16)}`).toBe(/\s/.test(String.fromCharCode(c)));
    }
  });
});
