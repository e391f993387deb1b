import { isJsWhitespace } from './whitespace.js';

/**
 * Splits text into sentence-sized segments with offsets: sentence ends, line
 * breaks and code fences are boundaries; very long sentences are cut into
 * windows so per-segment work stays bounded.
 */
export interface TextSegment {
  start: number;
  end: number;
  text: string;
}

/**
 * The boundary rule, as a regex: sentence ends, blank lines, a line break before a capital
 * (hard-wrapped prose continues in lower case), and BIPIA-style `|FIELD:` separators. The
 * reference for `boundaries`, which finds the same match ends by hand.
 */
export const BOUNDARY_RE = /[.!?。！？]+(?=\s|$)|\n\s*\n\s*|\n(?=\s*[\p{Lu}\d#>*`-])|\|(?=[A-Z_ ]{3,20}:)/gu;
/**
 * A capitalised word glued to the end of a lower-case one ("chaWhat are the"): a sentence pasted
 * into the middle of a word; the glue point is two characters into the match. Also found by hand
 * in `boundaries`.
 */
export const GLUE_RE = /[a-z]{2}[A-Z][a-z]{1,20} [a-z]/g;

const UPPER_RE = /\p{Lu}/u;

function isSentenceEnd(c: number): boolean {
  return c === 46 || c === 33 || c === 63 || c === 0x3002 || c === 0xff01 || c === 0xff1f;
}

function isLower(c: number): boolean {
  return c >= 97 && c <= 122;
}

/** ASCII code units that can start a boundary or a glue point ('.', '!', '?', '\n', '|', 'A'-'Z'). */
const STARTS = new Uint8Array(128);
for (const ch of '.!?\n|ABCDEFGHIJKLMNOPQRSTUVWXYZ') STARTS[ch.charCodeAt(0)] = 1;

/** `[\p{Lu}\d#>*`-]` at `i` (a code point: astral capitals count). */
function startsLine(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c < 128)
    return (
      (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 35 || c === 62 || c === 42 || c === 96 || c === 45
    );
  return UPPER_RE.test(String.fromCodePoint(text.codePointAt(i) as number));
}

/**
 * Segment ends, ascending: the ends of the `BOUNDARY_RE` matches merged with the `GLUE_RE` glue
 * points, in one pass over the text. Each regex alternative reduces to a test at its first
 * character: a run of sentence ends counts when whitespace or the end follows it; a line break
 * starts a blank-line match when its whitespace run holds another line break (the match ends
 * with the run), else counts alone when the run is followed by a capital, digit or list mark;
 * `|` counts before 3 to 20 of `[A-Z_ ]` and a colon. None of these matches holds a letter, so
 * the glue points (at capitals) fall between them in order.
 */
function boundaries(text: string): number[] {
  const ends: number[] = [];
  const n = text.length;
  let glueFrom = 0;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c < 128 ? STARTS[c] === 0 : !isSentenceEnd(c)) {
      i++;
      continue;
    }
    if (isSentenceEnd(c)) {
      let j = i + 1;
      while (j < n && isSentenceEnd(text.charCodeAt(j))) j++;
      if (j === n || isJsWhitespace(text.charCodeAt(j))) ends.push(j);
      i = j;
    } else if (c === 10) {
      let j = i + 1;
      let blank = false;
      for (; j < n; j++) {
        const d = text.charCodeAt(j);
        if (!isJsWhitespace(d)) break;
        if (d === 10) blank = true;
      }
      if (blank) ends.push(j);
      else if (j < n && startsLine(text, j)) ends.push(i + 1);
      i = j;
    } else if (c === 124) {
      let j = i + 1;
      while (j < n && j - i <= 21) {
        const d = text.charCodeAt(j);
        if (!((d >= 65 && d <= 90) || d === 95 || d === 32)) break;
        j++;
      }
      const run = j - i - 1;
      if (run >= 3 && run <= 20 && text.charCodeAt(j) === 58) ends.push(i + 1);
      i++;
    } else {
      // A capital: a glue point when two lower-case letters precede it and 1-20 more plus " x" follow.
      if (i >= 2 && i - 2 >= glueFrom && isLower(text.charCodeAt(i - 1)) && isLower(text.charCodeAt(i - 2))) {
        let j = i + 1;
        while (j < n && j - i <= 21 && isLower(text.charCodeAt(j))) j++;
        const run = j - i - 1;
        if (run >= 1 && run <= 20 && text.charCodeAt(j) === 32 && isLower(text.charCodeAt(j + 1))) {
          ends.push(i);
          glueFrom = j + 2;
        }
      }
      i++;
    }
  }
  return ends;
}

/**
 * Sentence segments of `text` as flat `[start, end, start, end, ...]` offsets (at most
 * `maxSegments`, each at most `maxLength` characters, trimmed; whitespace-only pieces and
 * single characters dropped): `splitSegments` without the strings.
 */
export function segmentBounds(text: string, maxLength = 400, maxSegments = 400): number[] {
  const out: number[] = [];
  let start = 0;
  const emit = (s: number, e: number): void => {
    for (let a = s; a < e && out.length < 2 * maxSegments; a += maxLength) {
      const b = Math.min(e, a + maxLength);
      let x = a;
      while (x < b && isJsWhitespace(text.charCodeAt(x))) x++;
      let y = b;
      while (y > x && isJsWhitespace(text.charCodeAt(y - 1))) y--;
      if (y - x >= 2) out.push(x, y);
    }
  };
  for (const end of boundaries(text)) {
    if (end <= start) continue;
    emit(start, end);
    start = end;
    if (out.length >= 2 * maxSegments) return out;
  }
  emit(start, text.length);
  return out;
}

/**
 * Sentence segments of `text` (at most `maxSegments`, each at most `maxLength`
 * characters; whitespace-only pieces dropped).
 */
export function splitSegments(text: string, maxLength = 400, maxSegments = 400): TextSegment[] {
  const b = segmentBounds(text, maxLength, maxSegments);
  const out: TextSegment[] = [];
  for (let k = 0; k < b.length; k += 2) {
    const start = b[k] as number;
    const end = b[k + 1] as number;
    out.push({ start, end, text: text.slice(start, end) });
  }
  return out;
}

// Scripts written without spaces between words (CJK, Thai): count characters instead.
const NO_SPACE_SCRIPT_RE = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}]/u;

/**
 * `scorableSegments` as flat offsets. `ascii` is true when `text` is all ASCII (then no segment
 * can hold a script written without spaces, and the script test is skipped).
 */
export function scorableBounds(text: string, ascii: boolean, maxLength = 400, maxSegments = 400): number[] {
  const b = segmentBounds(text, maxLength, maxSegments);
  const out: number[] = [];
  const noSpaceScript = (s: number, e: number): boolean =>
    !ascii && NO_SPACE_SCRIPT_RE.test(text.slice(s, e));
  for (let k = 0; k < b.length; k += 2) {
    const s = b[k] as number;
    const e = b[k + 1] as number;
    let keep: boolean;
    if (e - s < 12) keep = e - s >= 6 && noSpaceScript(s, e);
    else {
      let words = 1;
      for (let i = s; i < e && words < 3; i++) if (text.charCodeAt(i) === 32) words++;
      keep = words >= 3 || noSpaceScript(s, e);
    }
    if (keep) out.push(s, e);
  }
  return out;
}

/**
 * Segments long enough to carry an instruction (at least three words, or six
 * characters of a script written without spaces); one-word fragments give a
 * linear model too little evidence and only add false positives.
 */
export function scorableSegments(text: string, maxLength = 400, maxSegments = 400): TextSegment[] {
  const b = scorableBounds(text, !/[\u0080-\uffff]/.test(text), maxLength, maxSegments);
  const out: TextSegment[] = [];
  for (let k = 0; k < b.length; k += 2) {
    const start = b[k] as number;
    const end = b[k + 1] as number;
    out.push({ start, end, text: text.slice(start, end) });
  }
  return out;
}
