import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { normalizeText } from '../record-text.js';
import { mulberry32 } from '../seeded-random.js';
import { normalizedDigest } from './exact-duplicate.js';

/** The definition: SHA-256 of the normalised text (first 128 bits), null when empty. */
function reference(text: string): string | null {
  const t = normalizeText(text);
  return t.length === 0 ? null : createHash('sha256').update(t).digest('hex').slice(0, 32);
}

describe('normalizedDigest', () => {
  it('equals the digest of normalizeText on tricky text', () => {
    const cases = [
      '',
      '   \n\t ',
      'Hello   World',
      '  lead and trail  ',
      'zero\u200bwidth \u200b\u200b space',
      'a \u00a0\u2003\u3000 b\u2028c\u2029d',
      'Ｆｕｌｌ　ｗｉｄｔｈ ﬁ ligature',
      'ÀÉÎõü straße İstanbul',
      'emoji 😀 pair and lone \ud800 high \udc00 low',
      '\ufeffbom\u00adsoft\u2060joiner',
      '中文 日本語 한국어 العربية',
    ];
    const rnd = mulberry32(9);
    const alphabet = ['a', 'B', ' ', '\n', '\t', '\u00a0', '\u200b', 'é', '😀', '\ud800', 'ﬁ', '\u3000', 'Ж'];
    for (let i = 0; i < 300; i++)
      cases.push(Array.from({ length: rnd() % 40 }, () => alphabet[rnd() % alphabet.length]).join(''));
    for (const c of cases) expect(normalizedDigest(c)).toBe(reference(c));
  });
});
