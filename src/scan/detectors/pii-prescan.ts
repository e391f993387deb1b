import { isJsWhitespace } from '../text/whitespace.js';

/**
 * Where the PII patterns can start, found with native searches so that each pattern runs
 * (sticky) at a handful of positions instead of being tried at every position of the text. A
 * character loop in JavaScript costs more per character than a native search (`indexOf`, or a
 * one-class regular expression) here, so none of this walks the text by hand:
 *
 * - the maximal runs of ASCII digits (`\d`): every digit-led pattern starts at a run start (each
 *   forbids a digit right before it) or a fixed distance before one (`+`, `(`, IBAN and NINO
 *   letters);
 * - the literal cues of the person-name patterns (titles, "name:", sign-offs before a line
 *   break), from which the possible match starts follow.
 */

/** Digit runs found by `digitRuns`; the arrays are reused by the next call (findPii is synchronous). */
export interface DigitRuns {
  /** Number of runs. */
  runs: number;
  /** Run `r` is `[runStarts[r], runEnds[r])`, in text order. */
  runStarts: Int32Array;
  runEnds: Int32Array;
}

const result: DigitRuns = { runs: 0, runStarts: new Int32Array(1024), runEnds: new Int32Array(1024) };

/** `text.charCodeAt(i)`, or -1 outside the text: out-of-range reads (NaN) deoptimise the hot loops. */
export function codeAt(text: string, i: number): number {
  return i >= 0 && i < text.length ? text.charCodeAt(i) : -1;
}

function grow(a: Int32Array): Int32Array {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

const DIGIT_RE = /\d/g;

/** The maximal runs of `\d` in `text`. */
export function digitRuns(text: string): DigitRuns {
  let runs = 0;
  let { runStarts, runEnds } = result;
  const len = text.length;
  DIGIT_RE.lastIndex = 0;
  while (DIGIT_RE.test(text)) {
    let i = DIGIT_RE.lastIndex;
    for (; i < len; i++) {
      const d = text.charCodeAt(i);
      if (d > 57 || d < 48) break;
    }
    if (runs === runStarts.length) {
      runStarts = grow(runStarts);
      runEnds = grow(runEnds);
    }
    runStarts[runs] = DIGIT_RE.lastIndex - 1;
    runEnds[runs] = i;
    runs++;
    DIGIT_RE.lastIndex = i;
  }
  result.runs = runs;
  result.runStarts = runStarts;
  result.runEnds = runEnds;
  return result;
}

/**
 * NAME_CUE_RE cues that end in a colon (`[Nn]ame:`, `[Ff]ull name:`, `[Pp]atient:`, …), each as
 * the literal that ends it and the offsets, from that literal, where a match starts.
 */
const COLON_CUES: ReadonlyArray<readonly [string, readonly number[]]> = [
  ['ame:', [-6, -1]],
  ['atient:', [-1]],
  ['ustomer:', [-1]],
  ['mployee:', [-1]],
  ['ontact:', [-1]],
];
/** The other NAME_CUE_RE cues (`[Nn]amed`, `[Cc]alled`, `[Mm]y name is`) before their whitespace. */
const WORD_CUE_RE = /am(?:ed|e is)\s|alled\s/g;
/** HONORIFIC_RE titles (Mr also starts Mrs); short literals with a capital first are the cheapest searches. */
const TITLES = ['Mr', 'Ms', 'Miss', 'Dr', 'Prof'];
/** SIGNOFF_RE closings. */
const SIGNOFFS = [
  'Regards',
  'Sincerely',
  'Best wishes',
  'Best',
  'Thanks',
  'Thank you',
  'Cheers',
  'Yours truly',
  'Cordially',
];

/** Candidate match starts of the three person-name patterns, each ascending (duplicates possible); reused by the next call. */
export interface NameStarts {
  cue: number[];
  honorific: number[];
  signoff: number[];
}

const NAME_STARTS: NameStarts = { cue: [], honorific: [], signoff: [] };

const isBlank = (c: number): boolean => c === 32 || c === 9;
const ascending = (a: number, b: number): number => a - b;

/**
 * Every position where NAME_CUE_RE (`cue\s{1,3}Name`), HONORIFIC_RE (`\b(?:Mr|Mrs|Ms|Miss|Dr|Prof)…`)
 * or SIGNOFF_RE (`Closing,?[ \t]{0,3}\n[ \t]{0,3}Name`) can match: where its literal cue occurs,
 * with the cheap parts of what must follow checked.
 */
export function nameStarts(text: string): NameStarts {
  const { cue, honorific, signoff } = NAME_STARTS;
  // Reused lists (fewer allocations per text); setting a length is a runtime call, so only when needed.
  if (cue.length !== 0) cue.length = 0;
  if (honorific.length !== 0) honorific.length = 0;
  if (signoff.length !== 0) signoff.length = 0;
  // One function per search, so a first-seen branch deoptimises only its own loop.
  colonCues(text, cue);
  wordCues(text, cue);
  titles(text, honorific);
  signoffs(text, signoff);
  if (cue.length > 1) cue.sort(ascending);
  if (honorific.length > 1) honorific.sort(ascending);
  if (signoff.length > 1) signoff.sort(ascending);
  return NAME_STARTS;
}

/** `[Nn]ame:`, `[Ff]ull name:`, `[Pp]atient:`, … followed by whitespace. */
function colonCues(text: string, cue: number[]): void {
  for (let i = text.indexOf(':'); i >= 0; i = text.indexOf(':', i + 1)) {
    const last = codeAt(text, i - 1);
    // e (name:, employee:), t (patient:, contact:), r (customer:); whitespace must follow.
    if ((last !== 101 && last !== 116 && last !== 114) || !isJsWhitespace(codeAt(text, i + 1))) continue;
    for (const [literal, offsets] of COLON_CUES) {
      const at = i + 1 - literal.length;
      if (!text.startsWith(literal, at)) continue;
      for (const o of offsets) if (at + o >= 0) cue.push(at + o);
    }
  }
}

/** `[Nn]amed`, `[Cc]alled`, `[Mm]y name is` followed by whitespace. */
function wordCues(text: string, cue: number[]): void {
  WORD_CUE_RE.lastIndex = 0;
  for (let m = WORD_CUE_RE.exec(text); m; m = WORD_CUE_RE.exec(text)) {
    const at = m.index - (m[0].startsWith('ame is') ? 4 : 1);
    if (at >= 0) cue.push(at);
    WORD_CUE_RE.lastIndex = m.index + 1;
  }
}

/** Titles: Mr (and Mrs), Ms, Miss, Dr, Prof. */
function titles(text: string, honorific: number[]): void {
  for (const title of TITLES)
    for (let at = text.indexOf(title); at >= 0; at = text.indexOf(title, at + 1)) honorific.push(at);
}

/** Sign-offs: a closing, optional comma and blanks, a line break, blanks, a capital. */
function signoffs(text: string, signoff: number[]): void {
  for (let line = text.indexOf('\n'); line >= 0; line = text.indexOf('\n', line + 1)) {
    let j = line + 1;
    while (j < line + 4 && isBlank(codeAt(text, j))) j++;
    const cap = codeAt(text, j);
    if (cap < 65 || cap > 90) continue;
    let k = line - 1;
    while (k > line - 4 && isBlank(codeAt(text, k))) k--;
    const end = codeAt(text, k) === 44 ? k : k + 1;
    // Closings end in s, y, t or u.
    const last = codeAt(text, end - 1);
    if (last !== 115 && last !== 121 && last !== 116 && last !== 117) continue;
    for (const s of SIGNOFFS)
      if (end - s.length >= 0 && text.startsWith(s, end - s.length)) signoff.push(end - s.length);
  }
}
