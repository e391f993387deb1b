/**
 * A small language identifier for dataset statistics: the writing system
 * decides non-Latin languages, and stop-word hits decide among common
 * Latin-script ones. Good enough for a language *mix*; not for single words.
 */
const STOP_WORDS: Record<string, readonly string[]> = {
  en: ['the', 'and', 'is', 'of', 'to', 'in', 'that', 'it', 'you', 'for', 'with', 'this', 'are', 'was', 'be'],
  es: ['el', 'la', 'de', 'que', 'y', 'en', 'los', 'las', 'por', 'con', 'para', 'una', 'es', 'del', 'se'],
  fr: ['le', 'la', 'les', 'de', 'et', 'est', 'des', 'une', 'que', 'pour', 'dans', 'pas', 'qui', 'sur', 'du'],
  de: [
    'der',
    'die',
    'und',
    'ist',
    'das',
    'nicht',
    'ein',
    'eine',
    'zu',
    'mit',
    'ich',
    'sie',
    'den',
    'von',
    'auf',
  ],
  it: ['il', 'di', 'che', 'e', 'la', 'per', 'non', 'una', 'sono', 'del', 'della', 'con', 'gli', 'le', 'è'],
  pt: ['o', 'de', 'que', 'e', 'do', 'da', 'em', 'um', 'para', 'com', 'não', 'uma', 'os', 'no', 'se'],
  nl: ['de', 'het', 'een', 'en', 'van', 'is', 'dat', 'niet', 'op', 'te', 'zijn', 'voor', 'met', 'ik', 'je'],
};

/**
 * Stop words keyed by their code units packed into one number (8 bits per
 * unit, up to 6 units: exact in a double). Every stop word is Latin-1, so a
 * word with a unit above 0xff cannot be one; packing while scanning avoids
 * making a string per word.
 */
const WORD_LANGS = new Map<number, string[]>();
function packWord(w: string): number {
  let key = 0;
  let mult = 1;
  for (let i = 0; i < w.length; i++) {
    key += w.charCodeAt(i) * mult;
    mult *= 256;
  }
  return key + mult; // the final multiplier marks the length
}
for (const [lang, words] of Object.entries(STOP_WORDS)) {
  for (const w of words) {
    const key = packWord(w);
    WORD_LANGS.set(key, [...(WORD_LANGS.get(key) ?? []), lang]);
  }
}

/** Script of a code unit, for the non-Latin languages a script decides. */
function scriptOf(c: number): string | undefined {
  if (c < 0x370) return undefined;
  if (c <= 0x3ff) return 'el';
  if (c <= 0x4ff) return 'ru';
  if (c >= 0x590 && c <= 0x5ff) return 'he';
  if (c >= 0x600 && c <= 0x6ff) return 'ar';
  if (c >= 0x900 && c <= 0x97f) return 'hi';
  if (c >= 0xe00 && c <= 0xe7f) return 'th';
  if (c >= 0x3040 && c <= 0x30ff) return 'ja';
  if (c >= 0x4e00 && c <= 0x9fff) return 'zh';
  if (c >= 0xac00 && c <= 0xd7af) return 'ko';
  return undefined;
}

/** Characters of a text `identifyLanguage` reads (a prefix this long gives the same answer). */
export const LANGUAGE_ID_SAMPLE = 1000;

function countStopWord(packed: number, scores: Map<string, number>): void {
  const langs = WORD_LANGS.get(packed);
  if (langs) for (const lang of langs) scores.set(lang, (scores.get(lang) ?? 0) + 1);
}

/** Guesses the language of a text as an ISO 639-1 code, or `und` when unsure. */
export function identifyLanguage(text: string): string {
  // One pass over a bounded sample: this runs for every record of every scan.
  const n = Math.min(text.length, LANGUAGE_ID_SAMPLE);
  const scripts = new Map<string, number>();
  let letters = 0;
  const scores = new Map<string, number>();
  // The current word packed as in packWord (valid while every unit is <= 0xff).
  // Plain locals, no closure over them: captured variables live in a heap
  // context, and this loop runs over every sampled record.
  let key = 0;
  let mult = 1;
  let latin1 = true;
  let len = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    const isAsciiLetter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    const isLetter =
      isAsciiLetter ||
      (c >= 0xc0 &&
        c !== 0xd7 &&
        c !== 0xf7 &&
        !(c >= 0x2000 && c <= 0x206f) &&
        !(c >= 0x3000 && c <= 0x303f));
    if (isLetter) {
      letters++;
      if (c >= 0x370) {
        const script = scriptOf(c);
        if (script) scripts.set(script, (scripts.get(script) ?? 0) + 1);
      }
      if (len < 6) {
        const lower = c >= 65 && c <= 90 ? c | 0x20 : c;
        if (lower > 0xff) latin1 = false;
        key += lower * mult;
        mult *= 256;
      }
      if (len <= 6) len++;
    } else if (len > 0) {
      if (len <= 6 && latin1) countStopWord(key + mult, scores);
      key = 0;
      mult = 1;
      latin1 = true;
      len = 0;
    }
  }
  if (len > 0 && len <= 6 && latin1) countStopWord(key + mult, scores);
  if (letters === 0) return 'und';
  // Japanese mixes kana and Han; any real share of kana decides it.
  if ((scripts.get('ja') ?? 0) / letters > 0.05) return 'ja';
  for (const [lang, count] of scripts) if (count / letters > 0.3) return lang;
  let best = 'und';
  let bestScore = 0;
  for (const [lang, sc] of scores) {
    if (sc > bestScore) {
      best = lang;
      bestScore = sc;
    }
  }
  return bestScore >= 2 ? best : 'und';
}
