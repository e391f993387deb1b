/**
 * A compact confusable-skeleton table (after Unicode TR39 `confusables.txt`):
 * the Cyrillic, Greek, Armenian and letter-like symbols that render like Latin
 * letters and are what homoglyph attacks use in practice. The full TR39 table
 * has ~6,000 rows (mostly CJK and math variants that NFKC already folds); this
 * subset keeps worker start-up and memory tiny.
 */
const PAIRS: ReadonlyArray<readonly [string, string]> = [
  // Cyrillic lower case
  ['а', 'a'],
  ['в', 'b'],
  ['е', 'e'],
  ['ё', 'e'],
  ['һ', 'h'],
  ['і', 'i'],
  ['ї', 'i'],
  ['ј', 'j'],
  ['к', 'k'],
  ['м', 'm'],
  ['н', 'h'],
  ['о', 'o'],
  ['р', 'p'],
  ['с', 'c'],
  ['т', 't'],
  ['у', 'y'],
  ['х', 'x'],
  ['ѕ', 's'],
  ['ԁ', 'd'],
  ['ԛ', 'q'],
  ['ԝ', 'w'],
  ['ɡ', 'g'],
  ['ӏ', 'l'],
  ['ѵ', 'v'],
  ['ь', 'b'],
  // Cyrillic upper case
  ['А', 'a'],
  ['В', 'b'],
  ['Е', 'e'],
  ['К', 'k'],
  ['М', 'm'],
  ['Н', 'h'],
  ['О', 'o'],
  ['Р', 'p'],
  ['С', 'c'],
  ['Т', 't'],
  ['У', 'y'],
  ['Х', 'x'],
  ['І', 'i'],
  ['Ј', 'j'],
  ['Ѕ', 's'],
  // Greek
  ['α', 'a'],
  ['β', 'b'],
  ['ε', 'e'],
  ['η', 'n'],
  ['ι', 'i'],
  ['κ', 'k'],
  ['ν', 'v'],
  ['ο', 'o'],
  ['ρ', 'p'],
  ['τ', 't'],
  ['υ', 'u'],
  ['χ', 'x'],
  ['ω', 'w'],
  ['Α', 'a'],
  ['Β', 'b'],
  ['Ε', 'e'],
  ['Ζ', 'z'],
  ['Η', 'h'],
  ['Ι', 'i'],
  ['Κ', 'k'],
  ['Μ', 'm'],
  ['Ν', 'n'],
  ['Ο', 'o'],
  ['Ρ', 'p'],
  ['Τ', 't'],
  ['Υ', 'y'],
  ['Χ', 'x'],
  // Armenian and Latin look-alikes
  ['օ', 'o'],
  ['ս', 'u'],
  ['ց', 'g'],
  ['ı', 'i'],
  ['ȷ', 'j'],
  ['ℓ', 'l'],
  ['ƅ', 'b'],
];

/** Confusable code point -> Latin skeleton letter. */
export const CONFUSABLE_SKELETON: ReadonlyMap<number, string> = new Map(
  PAIRS.map(([from, to]) => [from.codePointAt(0) as number, to]),
);

const CONFUSABLE_CLASS = new RegExp(`[${PAIRS.map(([f]) => f).join('')}]`, 'gu');

/** Replaces every confusable look-alike with its Latin skeleton letter. */
export function toSkeleton(text: string): string {
  return text.replace(CONFUSABLE_CLASS, (ch) => CONFUSABLE_SKELETON.get(ch.codePointAt(0) as number) ?? ch);
}

/** True when the text holds at least one confusable look-alike. */
export function hasConfusable(text: string): boolean {
  CONFUSABLE_CLASS.lastIndex = 0;
  const found = CONFUSABLE_CLASS.test(text);
  CONFUSABLE_CLASS.lastIndex = 0;
  return found;
}
