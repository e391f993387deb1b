import { Buffer } from 'node:buffer';
import { AnchorAutomaton } from './anchor-automaton.js';
import { hasConfusable, toSkeleton } from './confusables.js';

/**
 * Text normalisation shared by the content detectors, so that a rule written
 * once in plain lower-case text also matches its evasive spellings: NFKC
 * (full-width, ligatures, math letters), case folding, removal of invisible
 * format characters, Latin diacritics stripped, confusable skeletons,
 * de-spaced letters ("i g n o r e") and leetspeak ("1gn0r3").
 */

/**
 * Invisible characters an attacker can sprinkle inside words: format controls
 * (zero-width, bidi, tags, soft hyphen, BOM), variation selectors, the
 * combining grapheme joiner and Hangul fillers.
 */
export const INVISIBLE_RE = /[\p{Cf}\u115f\u1160\u3164\uffa0]|\p{Variation_Selector}|\u034f/gu;

// Combining accents on a Latin base letter only: on Cyrillic (й = и + breve) they are part of the letter.
const LATIN_MARKS_RE = /(?<=[a-zA-Z])[\u0300-\u036f]+/g;

/** True when every code unit is ASCII (the fast path: no Unicode folding needed). */
export function isAscii(text: string): boolean {
  // Every code unit above 0x7f (lone surrogates too) takes two or more UTF-8 bytes, so the
  // UTF-8 length equals the length exactly for ASCII. Node counts it natively (SIMD): on the
  // corpus' fields about four times as fast as a `/[\u0080-\uffff]/` test, itself twice a charCodeAt loop.
  return Buffer.byteLength(text, 'utf8') === text.length;
}

/**
 * Case-folded, NFKC-normalised text with invisible characters removed and Latin
 * diacritics stripped ("précédentes" -> "precedentes"); other scripts keep
 * their marks (Devanagari vowel signs are letters, not decoration).
 */
export function foldText(text: string): string {
  if (isAscii(text)) return text.toLowerCase();
  const visible = text.replace(INVISIBLE_RE, '');
  // NFKD then NFC: decomposing exposes Latin accents as U+0300..U+036F marks,
  // recomposing restores Hangul syllables and other scripts.
  return visible.normalize('NFKD').replace(LATIN_MARKS_RE, '').normalize('NFC').toLowerCase();
}

/**
 * `foldText` of each code unit below U+0100 when that is one code unit (-1 for the few that fold
 * to none or several: the soft hyphen, spacing accents, vulgar fractions).
 */
export const LATIN1_FOLDS: Int32Array = Int32Array.from({ length: 256 }, (_, c) => {
  const f = foldText(String.fromCharCode(c));
  return f.length === 1 ? f.charCodeAt(0) : -1;
});

const NOT_BY_CHARACTER_RE = new RegExp(
  `[^\\x00-\\xff]|[${[...LATIN1_FOLDS.keys()]
    .filter((c) => (LATIN1_FOLDS[c] as number) < 0)
    .map((c) => `\\x${c.toString(16).padStart(2, '0')}`)
    .join('')}]`,
);

/**
 * True when every code unit of `text` is below U+0100 and folds to one code unit
 * (`LATIN1_FOLDS`). Such text folds character by character: `foldText(text)` has the text's
 * length and holds `LATIN1_FOLDS` of each of its characters, so the fold of any slice is the
 * same slice of the fold (Latin-1 decompositions start with their base character, so no accent
 * is left to join a neighbour, and no character there changes case by context).
 */
export function foldsByCharacter(text: string): boolean {
  return !NOT_BY_CHARACTER_RE.test(text);
}

const LEET_MAP: Readonly<Record<string, string>> = {
  '0': 'o',
  '1': 'i',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '8': 'b',
  '9': 'g',
  '@': 'a',
  $: 's',
  '!': 'i',
  '|': 'l',
  '+': 't',
};

function isLeetClass(c: number): boolean {
  // [a-z0-9@$!|+]
  return (
    (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 64 || c === 36 || c === 33 || c === 124 || c === 43
  );
}

/**
 * Rewrites leetspeak tokens (letters mixed with 0/1/3/4/5/7/@/$...) to letters; other tokens stay.
 * Tokens as `/[a-z0-9@$!|+]{3,40}/g` would find them (maximal runs of `[a-z0-9@$!|+]` cut into 40-character
 * chunks, chunks under 3 characters ignored); a linear scan, and only changed tokens allocate.
 */
export function deLeet(folded: string): string {
  const n = folded.length;
  let out = '';
  let copied = 0;
  let i = 0;
  while (i < n) {
    if (!isLeetClass(folded.charCodeAt(i))) {
      i++;
      continue;
    }
    let runEnd = i + 1;
    while (runEnd < n && isLeetClass(folded.charCodeAt(runEnd))) runEnd++;
    for (let a = i; runEnd - a >= 3; a += 40) {
      const b = Math.min(runEnd, a + 40);
      let letter = false;
      let leet = false;
      for (let k = a; k < b; k++) {
        const c = folded.charCodeAt(k);
        if (c >= 97 && c <= 122) letter = true;
        else leet = true;
      }
      if (!letter || !leet) continue;
      out += folded.slice(copied, a);
      for (let k = a; k < b; k++) {
        const ch = folded[k] as string;
        out += LEET_MAP[ch] ?? ch;
      }
      copied = b;
    }
    i = runEnd;
  }
  return copied === 0 ? folded : out + folded.slice(copied);
}

// Four or more single letters separated by spaces or light punctuation: "i g n o r e", "i.g.n.o.r.e".
const SPACED_RUN_RE = /(?:^|(?<=[\s"'(]))(?:\p{L}[ .\-_*·]{1,3}){3,200}\p{L}(?=$|[\s"'),.!?:;])/gu;
const SPACED_SEP_RE = /[ .\-_*·]/g;

/**
 * Joins letters an attacker spaced out ("i g n o r e  a l l" -> "ignore all"): a
 * run of single letters collapses; a wider gap (two or more spaces, or a
 * separator run) inside the run keeps one space as the word break.
 */
export function despace(folded: string): string {
  return folded.replace(SPACED_RUN_RE, (run) =>
    run
      .replace(/[ .\-_*·]{2,3}/g, '\ue000')
      .replace(SPACED_SEP_RE, '')
      .replace(/\ue000/g, ' '),
  );
}

// Cheap ASCII pre-check: four single characters separated by separators.
const SPACED_HINT_RE = /(?:^|\s)\S[ .\-_*·]{1,3}\S[ .\-_*·]{1,3}\S[ .\-_*·]{1,3}\S(?:$|[\s.\-_*·])/;

/** True when the text contains a spaced-out letter run worth collapsing. */
export function hasSpacedLetters(folded: string): boolean {
  if (!SPACED_HINT_RE.test(folded)) return false;
  SPACED_RUN_RE.lastIndex = 0;
  const hit = SPACED_RUN_RE.test(folded);
  SPACED_RUN_RE.lastIndex = 0;
  return hit;
}

/** The spellings of one text a rule should be matched against, each tagged with how it was derived. */
export interface TextVariant {
  via: 'plain' | 'skeleton' | 'leet' | 'despaced';
  text: string;
}

// Words an evasion would be hiding; an evasion variant is kept only when it reveals more of them
// (e-mail digits, version strings and spaced tables otherwise double the rule work for nothing).
const EVASION_KEYWORDS_RE =
  /ignor|instruc|previous|prior|system|prompt|disregard|forget|jailbr|rules|polic|reveal|bypass|overrid|password|secret|obey|restrict|developer|anything now/g;

function keywordCount(text: string): number {
  EVASION_KEYWORDS_RE.lastIndex = 0;
  let n = 0;
  while (EVASION_KEYWORDS_RE.exec(text) !== null) n++;
  return n;
}

/** Characters either side of a rewritten run within which a keyword count can change ("anything now"). */
const KEYWORD_MARGIN = 12;
const EVASION_KEYWORDS = EVASION_KEYWORDS_RE.source.split('|');
const escapeClass = (ch: string): string => (/[\\\]^-]/.test(ch) ? `\\${ch}` : ch);

// Every way `deLeet` can spell a keyword letter: the letter, or a leet character mapped to it.
function leetClass(letter: string): string {
  const chars = [letter, ...Object.keys(LEET_MAP).filter((k) => LEET_MAP[k] === letter)];
  return chars.length === 1 ? escapeClass(letter) : `[${chars.map(escapeClass).join('')}]`;
}

/**
 * Keywords as leetspeak could spell them ("1gn0r", "pr3v10us"; plain spellings match too). A
 * leet variant can only reveal a keyword where this matches with a non-letter in it, so only
 * the runs around such matches are rewritten.
 */
const LEET_KEYWORD_RE = new RegExp(
  EVASION_KEYWORDS.map((k) => [...k].map((ch) => (ch === ' ' ? ' ' : leetClass(ch))).join('')).join('|'),
  'g',
);

/**
 * Keywords spelled out letter by letter ("i g n o r e", "p.r.o.m.p.t"); the first four letters are
 * enough to gate the de-spacing, which can only reveal a keyword spelled out like this.
 */
const SPACED_KEYWORD_RE = new RegExp(
  [...new Set(EVASION_KEYWORDS.map((k) => k.replace(/ /g, '').slice(0, 4)))]
    .map((k) => [...k].join('[ .\\-_*·]{1,3}'))
    .join('|'),
);

const SPACED_PREFIXES = [...new Set(EVASION_KEYWORDS.map((k) => k.replace(/ /g, '').slice(0, 4)))];
const SPACED_SEPARATORS = ' .-_*\u00b7';

/** Each prefix of `SPACED_PREFIXES` with every run length (1 to 3) of separators between its letters. */
function spacedSpellings(prefix: string): string[] {
  let out = [prefix[0] as string];
  for (const ch of prefix.slice(1)) out = out.flatMap((s) => [`${s} ${ch}`, `${s}  ${ch}`, `${s}   ${ch}`]);
  return out;
}

/**
 * One automaton for both evasion gates, over an alphabet where each leet character stands for
 * its letter and every separator of a spaced-out word for a space: the keywords (for the leet
 * gate) and the spaced-out keyword prefixes (for the de-spacing gate).
 */
export const EVASION_WORDS: readonly string[] = [
  ...EVASION_KEYWORDS,
  ...SPACED_PREFIXES.flatMap(spacedSpellings),
];
/** The alphabet of `EVASION_WORDS`: leet characters stand for their letters, separators for a space. */
export const EVASION_ALIASES: Readonly<Record<string, string>> = {
  ...LEET_MAP,
  ...Object.fromEntries([...SPACED_SEPARATORS.slice(1)].map((c) => [c, ' '])),
};
const EVASION_AUTOMATON = new AnchorAutomaton(EVASION_WORDS, EVASION_ALIASES);

/** Which evasion rewrites can matter for a text (see `evasionHints`). */
export interface EvasionHints {
  leet: boolean;
  spaced: boolean;
}

/**
 * Which evasion rewrites can matter for a (folded) text, from one automaton pass. `leet`: some
 * spelling of a keyword that `LEET_KEYWORD_RE` matches holds a leet character (every spelling
 * is found, overlapping ones included: a superset of the regex's matches). `spaced`: a keyword
 * prefix may be spelled out letter by letter (a superset of `SPACED_KEYWORD_RE`'s matches, which
 * the caller still tests). Both are necessary conditions, several times cheaper than the two
 * regex scans they spare on nearly every text.
 */
export function evasionHints(folded: string): EvasionHints {
  const { pairs, count } = EVASION_AUTOMATON.scan(folded);
  return evasionHintsOf(folded, pairs, count);
}

/**
 * `evasionHints` from the occurrences of `EVASION_WORDS` in `folded` (over their alphabet) that
 * an automaton holding them found: `count` pairs (index into `EVASION_WORDS`, start; larger
 * indices, other words found in the same pass, are ignored).
 */
export function evasionHintsOf(folded: string, pairs: ArrayLike<number>, count: number): EvasionHints {
  let leet = false;
  let spaced = false;
  for (let k = 0; k < count && !(leet && spaced); k++) {
    const w = pairs[2 * k] as number;
    if (w >= EVASION_WORDS.length) continue;
    if (w >= EVASION_KEYWORDS.length) {
      spaced = true;
      continue;
    }
    if (leet) continue;
    const from = pairs[2 * k + 1] as number;
    const to = from + (EVASION_WORDS[w] as string).length;
    for (let i = from; i < to && !leet; i++) {
      const c = folded.charCodeAt(i);
      if (c !== 32 && !(c >= 97 && c <= 122)) leet = true;
    }
  }
  return { leet, spaced };
}

/**
 * True when rewriting leetspeak can reveal an instruction keyword: some match of
 * `LEET_KEYWORD_RE` holding a leet character gains a keyword once the leet runs under it are
 * rewritten (counted within a margin, since the rewrite keeps lengths). A necessary condition
 * for the whole-text test in `matchVariants`; rewriting and recounting every e-mail (hex ids and
 * attachments put leet-looking tokens in nearly all of them) cost more than the rules did.
 */
export function leetMayReveal(folded: string): boolean {
  const n = folded.length;
  LEET_KEYWORD_RE.lastIndex = 0;
  for (let m = LEET_KEYWORD_RE.exec(folded); m !== null; m = LEET_KEYWORD_RE.exec(folded)) {
    // A plain spelling (letters only) reveals nothing new.
    if (!/[^a-z ]/.test(m[0])) continue;
    let a = m.index;
    while (a > 0 && isLeetClass(folded.charCodeAt(a - 1))) a--;
    let b = m.index + m[0].length;
    while (b < n && isLeetClass(folded.charCodeAt(b))) b++;
    const wa = Math.max(0, a - KEYWORD_MARGIN);
    const wb = Math.min(n, b + KEYWORD_MARGIN);
    const after = folded.slice(wa, a) + deLeet(folded.slice(a, b)) + folded.slice(b, wb);
    if (keywordCount(after) > keywordCount(folded.slice(wa, wb))) return true;
  }
  return false;
}

/** True when a keyword prefix is spelled out letter by letter (`SPACED_KEYWORD_RE`). */
export function spacedKeywordPresent(folded: string): boolean {
  return SPACED_KEYWORD_RE.test(folded);
}

/**
 * Folded text plus the evasion-undoing variants that differ from it and reveal
 * more instruction keywords: the confusable skeleton (only when look-alikes
 * are present), leetspeak rewrite (only when leet tokens are present) and
 * de-spaced letters. Cheap on plain ASCII prose: only the fold is computed. `folded`
 * is `foldText(text)` when the caller already has it; `textAscii` true when the caller knows
 * `text` is ASCII (saves a scan); `hints` are `evasionHints(folded)` when the caller has them.
 */
export function matchVariants(
  text: string,
  folded = foldText(text),
  textAscii = false,
  hints?: EvasionHints,
): TextVariant[] {
  const out: TextVariant[] = [{ via: 'plain', text: folded }];
  let base = -1;
  const keep = (via: TextVariant['via'], variant: string): void => {
    if (variant === folded) return;
    if (base < 0) base = keywordCount(folded);
    if (keywordCount(variant) > base) out.push({ via, text: variant });
  };
  // ASCII text folds to ASCII, which holds no look-alikes.
  if (!textAscii && !isAscii(folded) && hasConfusable(folded)) keep('skeleton', toSkeleton(folded));
  hints ??= evasionHints(folded);
  if (hints.leet && leetMayReveal(folded)) keep('leet', deLeet(folded));
  if (hints.spaced && spacedKeywordPresent(folded) && hasSpacedLetters(folded))
    keep('despaced', despace(folded));
  return out;
}
