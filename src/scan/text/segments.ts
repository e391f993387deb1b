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

// Sentence ends, blank lines, a line break before a capital (hard-wrapped
// prose continues in lower case), and BIPIA-style `|FIELD:` separators.
const BOUNDARY_RE = /[.!?。！？]+(?=\s|$)|\n\s*\n\s*|\n(?=\s*[\p{Lu}\d#>*`-])|\|(?=[A-Z_ ]{3,20}:)/gu;
// A capitalised word glued to the end of a lower-case one ("chaWhat are the"): a sentence pasted
// into the middle of a word. A separate, ASCII-only pass: as an alternative of BOUNDARY_RE it
// was tried at every position and tripled the cost of splitting.
const GLUE_RE = /[a-z]{2}[A-Z][a-z]{1,20} [a-z]/g;

/** Segment ends: sentence boundaries merged with glue points, ascending. */
function boundaries(text: string): number[] {
  const ends: number[] = [];
  for (const m of text.matchAll(BOUNDARY_RE)) ends.push(m.index + m[0].length);
  const glue: number[] = [];
  for (const m of text.matchAll(GLUE_RE)) glue.push(m.index + 2);
  if (glue.length === 0) return ends;
  return [...ends, ...glue].sort((a, b) => a - b);
}

/**
 * Sentence segments of `text` (at most `maxSegments`, each at most `maxLength`
 * characters; whitespace-only pieces dropped).
 */
export function splitSegments(text: string, maxLength = 400, maxSegments = 400): TextSegment[] {
  const out: TextSegment[] = [];
  let start = 0;
  const emit = (s: number, e: number): void => {
    for (let a = s; a < e && out.length < maxSegments; a += maxLength) {
      const b = Math.min(e, a + maxLength);
      const piece = text.slice(a, b);
      const trimmed = piece.trim();
      if (trimmed.length >= 2) {
        const lead = piece.indexOf(trimmed);
        out.push({ start: a + lead, end: a + lead + trimmed.length, text: trimmed });
      }
    }
  };
  for (const end of boundaries(text)) {
    if (end <= start) continue;
    emit(start, end);
    start = end;
    if (out.length >= maxSegments) return out;
  }
  emit(start, text.length);
  return out;
}

// Scripts written without spaces between words (CJK, Thai): count characters instead.
const NO_SPACE_SCRIPT_RE = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}]/u;

/**
 * Segments long enough to carry an instruction (at least three words, or six
 * characters of a script written without spaces); one-word fragments give a
 * linear model too little evidence and only add false positives.
 */
export function scorableSegments(text: string, maxLength = 400, maxSegments = 400): TextSegment[] {
  return splitSegments(text, maxLength, maxSegments).filter((s) => {
    if (s.text.length < 12) return NO_SPACE_SCRIPT_RE.test(s.text) && s.text.length >= 6;
    let words = 1;
    for (let i = 0; i < s.text.length && words < 3; i++) if (s.text.charCodeAt(i) === 32) words++;
    return words >= 3 || NO_SPACE_SCRIPT_RE.test(s.text);
  });
}
