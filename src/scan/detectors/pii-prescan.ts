import { isJsWhitespace } from '../text/whitespace.js';
import {
  lazyWasmModule,
  memarg,
  name,
  section,
  sleb,
  uleb,
  WASM_HEADER,
  type WasmInstance,
  type WasmMemory,
} from './wasm-encoding.js';
import {
  BLOCK,
  BR,
  BR_IF,
  ELSE,
  END,
  get,
  I8X16_BITMASK,
  I8X16_EQ,
  I8X16_GT_U,
  I8X16_LT_U,
  I8X16_NARROW_U,
  I8X16_SUB,
  I32,
  I32_ADD,
  I32_AND,
  I32_CONST,
  I32_CTZ,
  I32_EQ,
  I32_EQZ,
  I32_GE_S,
  I32_LE_S,
  I32_LOAD,
  I32_LOAD8_U,
  I32_LOAD16_U,
  I32_LT_S,
  I32_LT_U,
  I32_MUL,
  I32_NE,
  I32_OR,
  I32_SHL,
  I32_SHR_S,
  I32_SHR_U,
  I32_STORE,
  I32_SUB,
  I32_XOR,
  IF,
  LOOP,
  SELECT,
  set,
  V128,
  V128_AND,
  V128_CONST,
  V128_LOAD,
  V128_OR,
} from './wasm-instructions.js';

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
  return nameStartsFrom(text, kernel ? kernel.cueHits(text) : undefined);
}

/** `nameStarts` with the native searches only (the path without the kernel, for the tests). */
export function nameStartsJs(text: string): NameStarts {
  return nameStartsFrom(text, undefined);
}

/**
 * The name starts from the kernel's cue hits of `text` (the positions where the checks below
 * can succeed) or, without them, from native searches for each cue.
 */
function nameStartsFrom(text: string, hits: CueHits | undefined): NameStarts {
  const { cue, honorific, signoff } = NAME_STARTS;
  // Reused lists (fewer allocations per text); setting a length is a runtime call, so only when needed.
  if (cue.length !== 0) cue.length = 0;
  if (honorific.length !== 0) honorific.length = 0;
  if (signoff.length !== 0) signoff.length = 0;
  if (hits) {
    // The kernel's positions, each checked as the searches below check theirs.
    const { words, from, to } = hits;
    for (let h = from; h < to; h++) {
      const hit = words[h] as number;
      const at = hit >> 2;
      const kind = hit & 3;
      if (kind === CUE_COLON) colonCueAt(text, at, cue);
      else if (kind === CUE_LINE) signoffAt(text, at, signoff);
      else if (kind === CUE_TITLE) titleAt(text, at, honorific);
      else wordCueAt(text, at, cue);
    }
  } else {
    // One function per search, so a first-seen branch deoptimises only its own loop.
    colonCues(text, cue);
    wordCues(text, cue);
    titles(text, honorific);
    signoffs(text, signoff);
  }
  if (cue.length > 1) cue.sort(ascending);
  if (honorific.length > 1) honorific.sort(ascending);
  if (signoff.length > 1) signoff.sort(ascending);
  return NAME_STARTS;
}

/** `[Nn]ame:`, `[Ff]ull name:`, `[Pp]atient:`, … followed by whitespace. */
function colonCues(text: string, cue: number[]): void {
  for (let i = text.indexOf(':'); i >= 0; i = text.indexOf(':', i + 1)) colonCueAt(text, i, cue);
}

/** The colon cues ending in the colon at `i`. */
function colonCueAt(text: string, i: number, cue: number[]): void {
  const last = codeAt(text, i - 1);
  // e (name:, employee:), t (patient:, contact:), r (customer:); whitespace must follow.
  if ((last !== 101 && last !== 116 && last !== 114) || !isJsWhitespace(codeAt(text, i + 1))) return;
  for (const [literal, offsets] of COLON_CUES) {
    const at = i + 1 - literal.length;
    if (!text.startsWith(literal, at)) continue;
    for (const o of offsets) if (at + o >= 0) cue.push(at + o);
  }
}

/** WORD_CUE_RE at the `m` of `amed`/`ame is` or the second `l` of `alled` at `q` (a kernel hit). */
function wordCueAt(text: string, q: number, cue: number[]): void {
  let at = -1;
  if (codeAt(text, q) === 109) {
    if (text.startsWith('amed', q - 1) && isJsWhitespace(codeAt(text, q + 3))) at = q - 2;
    else if (text.startsWith('ame is', q - 1) && isJsWhitespace(codeAt(text, q + 5))) at = q - 5;
  } else if (text.startsWith('alled', q - 2) && isJsWhitespace(codeAt(text, q + 3))) at = q - 3;
  if (at >= 0) cue.push(at);
}

/** The title starting at `q`, if any (a kernel hit). */
function titleAt(text: string, q: number, honorific: number[]): void {
  for (const title of TITLES) {
    if (text.startsWith(title, q)) {
      // No title starts another (Mr and Mrs are one search).
      honorific.push(q);
      return;
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
  for (let line = text.indexOf('\n'); line >= 0; line = text.indexOf('\n', line + 1))
    signoffAt(text, line, signoff);
}

/** The closings ending before the line break at `line`, if a capital starts the next line. */
function signoffAt(text: string, line: number, signoff: number[]): void {
  let j = line + 1;
  while (j < line + 4 && isBlank(codeAt(text, j))) j++;
  const cap = codeAt(text, j);
  if (cap < 65 || cap > 90) return;
  let k = line - 1;
  while (k > line - 4 && isBlank(codeAt(text, k))) k--;
  const end = codeAt(text, k) === 44 ? k : k + 1;
  // Closings end in s, y, t or u.
  const last = codeAt(text, end - 1);
  if (last !== 115 && last !== 121 && last !== 116 && last !== 117) return;
  for (const s of SIGNOFFS)
    if (end - s.length >= 0 && text.startsWith(s, end - s.length)) signoff.push(end - s.length);
}

/**
 * The digit-led PII kinds, in the order their candidate lists are kept (and their loops run):
 * card, IBAN, SSN, spaced SSN, phone, IPv4, NINO, DNI, NIR, CPF, bare digit ids, US address, EU address.
 */
export const RUN_KINDS = 13;

/**
 * The digit runs of a text sorted into the kinds whose pattern can start at (or just before)
 * each: necessary conditions on the run's length and the characters around it only (each kind's
 * loop re-checks its own, and the sticky pattern decides). Reused by the next call.
 */
export interface RunCandidates {
  runs: DigitRuns;
  /** Kind `k`'s runs (indices, ascending) are `list[from[k]]` up to `list[to[k]]` (exclusive). */
  list: Int32Array;
  from: Int32Array;
  to: Int32Array;
}

// Character classes of the run classification (one byte per UTF-16 code unit, for the kernel).
const DIGIT = 1;
const UPPER = 2;
const LOWER = 4;
const WS = 8;
const WORD = 16;
/** `[ .-]`, PHONE_RE's separators. */
const PHONE_SEP = 32;
/** The last characters of EU_ADDRESS_RE's street suffixes (e, ., g, z, m, n, t). */
const EU_LAST = 64;
/** `[\w+/.:-]`, PHONE_RE's look-behind: no digit-led phone starts right after one. */
const PHONE_BLOCKED = 128;

function classOf(c: number): number {
  let k = 0;
  if (c >= 48 && c <= 57) k |= DIGIT | WORD | PHONE_BLOCKED;
  if (c >= 65 && c <= 90) k |= UPPER | WORD | PHONE_BLOCKED;
  if (c >= 97 && c <= 122) k |= LOWER | WORD | PHONE_BLOCKED;
  if (c === 95 || c === 43 || c === 47 || c === 46 || c === 58 || c === 45) k |= PHONE_BLOCKED;
  if (c === 95) k |= WORD;
  if (isJsWhitespace(c)) k |= WS;
  if (c === 32 || c === 46 || c === 45) k |= PHONE_SEP;
  if (c === 101 || c === 46 || c === 103 || c === 122 || c === 109 || c === 110 || c === 116) k |= EU_LAST;
  return k;
}

const CLASS = new Uint8Array(65536);
for (let c = 0; c < 65536; c++) CLASS[c] = classOf(c);

const cls = (c: number): number => (c < 0 ? 0 : (CLASS[c] as number));

/** Appends run `r` to kind `k`'s list. */
function push(list: Int32Array, to: Int32Array, k: number, r: number): void {
  list[to[k] as number] = r;
  to[k] = (to[k] as number) + 1;
}

/** The candidate lists of the JavaScript path (no WebAssembly), grown as needed. */
let jsList = new Int32Array(RUN_KINDS * 1024);
const JS_RESULT: RunCandidates = {
  runs: result,
  list: jsList,
  from: new Int32Array(RUN_KINDS),
  to: new Int32Array(RUN_KINDS),
};

/**
 * `runCandidates` in JavaScript: the digit runs from `digitRuns`, then one pass sorting them
 * (kind `k`'s list starts at `k * runs`). The kernel below computes the same lists.
 */
export function runCandidatesJs(text: string): RunCandidates {
  const scan = digitRuns(text);
  const { runs, runStarts, runEnds } = scan;
  if (jsList.length < RUN_KINDS * runs) jsList = new Int32Array(RUN_KINDS * runs * 2);
  const list = jsList;
  const { from, to } = JS_RESULT;
  for (let k = 0; k < RUN_KINDS; k++) from[k] = to[k] = k * runs;
  for (let r = 0; r < runs; r++) {
    const p = runStarts[r] as number;
    const e = runEnds[r] as number;
    const n = e - p;
    const before = codeAt(text, p - 1);
    const after = codeAt(text, e);
    const cb = cls(before);
    const cb2 = cls(codeAt(text, p - 2));
    const ca = cls(after);
    const nextDigit = (cls(codeAt(text, e + 1)) & DIGIT) !== 0;
    const lead = codeAt(text, p);
    // A short run inside a word or base64 (ASCII letters on both sides) can only end an IBAN's
    // or NINO's capitals or start a NIR before a Corsican 2A/2B.
    if (n < 7 && ca & (UPPER | LOWER) && cb & (UPPER | LOWER)) {
      if (cb & cb2 & UPPER) {
        if (n >= 2) push(list, to, 1, r);
        if (n === 2 || n === 4 || n === 6) push(list, to, 6, r);
      }
      if ((after === 65 || after === 66) && (lead === 49 || lead === 50)) push(list, to, 8, r);
      continue;
    }
    // A short run between a letter after it and, before it, ASCII neither a capital nor
    // whitespace (inside words, hex and base64) fits no kind: each needs 7+ digits, a capital or
    // space before, or a separator after; except NIR's Corsican 2A/2B.
    if (
      n < 7 &&
      ca & (UPPER | LOWER) &&
      before >= 0 &&
      before < 128 &&
      !(cb & (UPPER | WS)) &&
      after !== 65 &&
      after !== 66
    )
      continue;
    // Card: 13+ digits joined by single spaces or dashes, no dash before.
    if (before !== 45 && (n >= 13 || ((after === 32 || after === 45) && nextDigit))) push(list, to, 0, r);
    if (n >= 2 && cb & cb2 & UPPER) push(list, to, 1, r);
    if (n === 3 && after === 45) push(list, to, 2, r);
    // `\d{3} ?\d{2} ?\d{4}(?!\d)`: 9 digits, or 3 or 5 then a space and a digit.
    if (n === 9 || ((n === 3 || n === 5) && after === 32 && nextDigit)) push(list, to, 3, r);
    if (
      before === 43 ||
      (before === 40 && n <= 4 && after === 41) ||
      (n >= 2 && n <= 5 && ca & PHONE_SEP && nextDigit && !(cb & PHONE_BLOCKED))
    )
      push(list, to, 4, r);
    // IPV4_RE's look-behind `(?<![\w.])` (the inner octets of every address fail it).
    if (n <= 3 && after === 46 && nextDigit && !(cb & WORD) && before !== 46) push(list, to, 5, r);
    if (n === 2 || n === 4 || n === 6) {
      const s = before === 32 ? p - 3 : p - 2;
      if (cls(codeAt(text, s)) & cls(codeAt(text, s + 1)) & UPPER) push(list, to, 6, r);
    }
    if (n === 7 || n === 8) push(list, to, 7, r);
    // NIR_RE: 15 digits (or 13 and 2A/2B) with single spaces, so a space after the run precedes a digit.
    if (
      (lead === 49 || lead === 50) &&
      (n >= 14 || (after === 32 && nextDigit) || after === 65 || after === 66)
    )
      push(list, to, 8, r);
    // CPF_RE's look-behind `(?<![\d.])`, DIGITS_ID_RE's `(?<!\d|\d[.,-])`.
    if (n === 3 && after === 46 && before !== 46) push(list, to, 9, r);
    if (
      (n >= 9 || (after === 32 && nextDigit)) &&
      !((before === 46 || before === 44 || before === 45) && cb2 & DIGIT)
    )
      push(list, to, 10, r);
    if (n <= 5 && ca & WS && cls(codeAt(text, e + 1)) & UPPER) push(list, to, 11, r);
    if (cb & WS && cb2 & EU_LAST) push(list, to, 12, r);
  }
  JS_RESULT.list = list;
  return JS_RESULT;
}

/*
 * The same scan as a WebAssembly kernel: finding the digit runs (8.7 million in the 210 MB
 * benchmark corpus, a regular-expression call each) and classifying them were the largest cost of
 * the detector. The kernel walks the text's UTF-16 code units once, then classifies every run
 * without branches (a run is stored in every list and the list's end moves on only when the
 * run belongs there), from the one-byte class table above. Its lists equal `runCandidatesJs`'s
 * (checked in the tests).
 *
 * Memory: list ends at 0 (13 i32), the class table at CLASSES, four sentinel code units (0xFFFF:
 * no class, like a position outside the text), the text at TEXT, four more sentinels, then the
 * run starts, run ends and the 13 lists, each with room for `cap` runs.
 */
const CLASSES = 64;
const TEXT = CLASSES + 65536 + 8;

type Code = number[];
const k32 = (v: number): Code => [I32_CONST, ...sleb(v)];
const bin = (op: number, a: Code, b: Code): Code => [...a, ...b, op];
const all = (...xs: Code[]): Code => xs.slice(1).reduce((acc, x) => bin(I32_AND, acc, x), xs[0] as Code);
const any = (...xs: Code[]): Code => xs.slice(1).reduce((acc, x) => bin(I32_OR, acc, x), xs[0] as Code);
const eq = (a: Code, v: number): Code => bin(I32_EQ, a, k32(v));
const ne = (a: Code, v: number): Code => bin(I32_NE, a, k32(v));
const not = (a: Code): Code => [...a, I32_EQZ];
/** 1 when class `c` has one of `bits`. */
const has = (c: Code, bits: number): Code => bin(I32_NE, bin(I32_AND, c, k32(bits)), k32(0));
/** The code unit at index `x` (an expression) of the text. */
const unit = (x: Code): Code => [
  ...bin(I32_ADD, bin(I32_SHL, x, k32(1)), k32(TEXT)),
  I32_LOAD16_U,
  ...memarg(1, 0),
];
const classAt = (c: Code): Code => [...c, I32_LOAD8_U, ...memarg(0, CLASSES)];

// Parameters: 0 n (code units), 1 rs (byte address of the run starts), 2 cap. Locals follow.
const N = 0;
const RS = 1;
const CAP = 2;
const [I, RUNS, C, START, R, P, E, LEN, B, B2, A, LEAD, CB, CB2, CA, ND, S] = Array.from(
  { length: 17 },
  (_, i) => 3 + i,
) as [
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
];
/** Locals holding each list's end (a byte address). */
const END_AT = (k: number): number => 20 + k;
/** Run ends stored, the lane before the step (a digit: 1), the run-end mask of the step. */
const [ENDS, CARRY, EM] = [END_AT(RUN_KINDS), END_AT(RUN_KINDS) + 1, END_AT(RUN_KINDS) + 2];

/**
 * Stores `i + lane` for each set bit of local `bits` at the next slot of the run starts
 * (`ends` 0) or ends (1), counted in local `count`.
 */
function emitBits(bits: number, count: number, ends: number): Code {
  return [
    BLOCK,
    0x40,
    LOOP,
    0x40,
    ...get(bits),
    I32_EQZ,
    BR_IF,
    1,
    ...bin(I32_ADD, get(RS), bin(I32_SHL, ends ? bin(I32_ADD, get(count), get(CAP)) : get(count), k32(2))),
    ...bin(I32_ADD, get(I), [...get(bits), I32_CTZ]),
    I32_STORE,
    ...memarg(2, 0),
    ...bin(I32_ADD, get(count), k32(1)),
    ...set(count),
    ...bin(I32_AND, get(bits), bin(I32_SUB, get(bits), k32(1))),
    ...set(bits),
    BR,
    0,
    END,
    END,
  ];
}

function scanBody(): number[] {
  const len = get(LEN);
  const lenIs = (...vs: number[]): Code => any(...vs.map((v) => eq(len, v)));
  const append = (k: number, cond: Code): Code => [
    ...get(END_AT(k)),
    ...get(R),
    I32_STORE,
    ...memarg(2, 0),
    ...bin(I32_ADD, get(END_AT(k)), bin(I32_SHL, cond, k32(2))),
    ...set(END_AT(k)),
  ];
  const b = get(B);
  const a = get(A);
  const cb = get(CB);
  const cb2 = get(CB2);
  const ca = get(CA);
  const nd = get(ND);
  const lead = get(LEAD);
  const leadOneTwo = any(eq(lead, 49), eq(lead, 50));
  const upperBefore = has(bin(I32_AND, cb, cb2), UPPER);
  const letters = UPPER | LOWER;
  const inWord: Code = [
    ...append(1, all(upperBefore, bin(I32_GE_S, len, k32(2)))),
    ...append(6, all(upperBefore, lenIs(2, 4, 6))),
    ...append(8, all(any(eq(a, 65), eq(a, 66)), leadOneTwo)),
  ];
  const general: Code = [
    ...append(0, all(ne(b, 45), any(bin(I32_GE_S, len, k32(13)), all(any(eq(a, 32), eq(a, 45)), nd)))),
    ...append(1, all(bin(I32_GE_S, len, k32(2)), upperBefore)),
    ...append(2, all(eq(len, 3), eq(a, 45))),
    ...append(3, any(eq(len, 9), all(lenIs(3, 5), eq(a, 32), nd))),
    ...append(
      4,
      any(
        eq(b, 43),
        all(eq(b, 40), bin(I32_LE_S, len, k32(4)), eq(a, 41)),
        all(
          bin(I32_GE_S, len, k32(2)),
          bin(I32_LE_S, len, k32(5)),
          has(ca, PHONE_SEP),
          nd,
          not(has(cb, PHONE_BLOCKED)),
        ),
      ),
    ),
    ...append(5, all(bin(I32_LE_S, len, k32(3)), eq(a, 46), nd, not(has(cb, WORD)), ne(b, 46))),
    // NINO: two capitals right before, or before a space before (select: p - 3 after a space, else p - 2).
    ...bin(I32_SUB, get(P), k32(3)),
    ...bin(I32_SUB, get(P), k32(2)),
    ...eq(b, 32),
    SELECT,
    ...set(S),
    ...append(
      6,
      all(
        lenIs(2, 4, 6),
        has(bin(I32_AND, classAt(unit(get(S))), classAt(unit(bin(I32_ADD, get(S), k32(1))))), UPPER),
      ),
    ),
    ...append(7, lenIs(7, 8)),
    ...append(8, all(leadOneTwo, any(bin(I32_GE_S, len, k32(14)), all(eq(a, 32), nd), eq(a, 65), eq(a, 66)))),
    ...append(9, all(eq(len, 3), eq(a, 46), ne(b, 46))),
    ...append(
      10,
      all(
        any(bin(I32_GE_S, len, k32(9)), all(eq(a, 32), nd)),
        not(all(any(eq(b, 46), eq(b, 44), eq(b, 45)), has(cb2, DIGIT))),
      ),
    ),
    ...append(
      11,
      all(bin(I32_LE_S, len, k32(5)), has(ca, WS), has(classAt(unit(bin(I32_ADD, get(E), k32(1)))), UPPER)),
    ),
    ...append(12, all(has(cb, WS), has(cb2, EU_LAST))),
  ];
  const shortInLetters = all(bin(I32_LT_S, len, k32(7)), has(ca, letters));
  const code: Code = [
    // Runs: starts at rs, ends at rs + 4 cap. Sixteen code units per step, narrowed to bytes with
    // saturation (only ASCII digits stay digits): in the digit mask d, with `carry` the lane
    // before the step, runs start where d has a bit the shifted mask lacks and end the other way.
    // Reads past the text stay in the kernel's memory and are cut off at n.
    ...k32(0),
    ...set(I),
    ...k32(0),
    ...set(RUNS),
    ...k32(0),
    ...set(ENDS),
    ...k32(0),
    ...set(CARRY),
    BLOCK,
    0x40,
    LOOP,
    0x40,
    ...bin(I32_GE_S, get(I), get(N)),
    BR_IF,
    1,
    ...bin(I32_ADD, bin(I32_SHL, get(I), k32(1)), k32(TEXT)),
    ...V128_LOAD,
    ...memarg(0, 0),
    ...bin(I32_ADD, bin(I32_SHL, get(I), k32(1)), k32(TEXT + 16)),
    ...V128_LOAD,
    ...memarg(0, 0),
    ...I8X16_NARROW_U,
    ...V128_CONST,
    ...Array.from({ length: 16 }, () => 48),
    ...I8X16_SUB,
    ...V128_CONST,
    ...Array.from({ length: 16 }, () => 10),
    ...I8X16_LT_U,
    ...I8X16_BITMASK,
    // Lanes at or past n are cut off.
    ...k32(0xffff),
    ...bin(I32_SUB, bin(I32_SHL, k32(1), bin(I32_SUB, get(N), get(I))), k32(1)),
    ...bin(I32_GE_S, bin(I32_SUB, get(N), get(I)), k32(16)),
    SELECT,
    I32_AND,
    ...set(C),
    ...bin(I32_OR, get(C), get(CARRY)),
    IF,
    0x40,
    // Bit j of the shifted mask: lane j - 1 holds a digit.
    ...bin(I32_OR, bin(I32_SHL, get(C), k32(1)), get(CARRY)),
    ...set(START),
    ...bin(I32_AND, bin(I32_AND, get(START), k32(0xffff)), [...get(C), ...k32(-1), I32_XOR]),
    ...set(EM),
    ...bin(I32_AND, get(C), [...get(START), ...k32(-1), I32_XOR]),
    ...set(START),
    ...bin(I32_AND, bin(I32_SHR_U, get(C), k32(15)), k32(1)),
    ...set(CARRY),
    ...emitBits(START, RUNS, 0),
    ...emitBits(EM, ENDS, 1),
    END,
    ...bin(I32_ADD, get(I), k32(16)),
    ...set(I),
    BR,
    0,
    END,
    END,
    // A run reaching the end of the last full step ends at n.
    ...get(CARRY),
    IF,
    0x40,
    ...bin(I32_ADD, get(RS), bin(I32_SHL, bin(I32_ADD, get(ENDS), get(CAP)), k32(2))),
    ...get(N),
    I32_STORE,
    ...memarg(2, 0),
    END,
    // List k starts at rs + 4 cap (2 + k).
    ...Array.from({ length: RUN_KINDS }, (_, k) => [
      ...bin(I32_ADD, get(RS), bin(I32_SHL, bin(I32_MUL, get(CAP), k32(2 + k)), k32(2))),
      ...set(END_AT(k)),
    ]).flat(),
    // Classify each run.
    ...k32(0),
    ...set(R),
    BLOCK,
    0x40,
    LOOP,
    0x40,
    ...bin(I32_GE_S, get(R), get(RUNS)),
    BR_IF,
    1,
    ...bin(I32_ADD, get(RS), bin(I32_SHL, get(R), k32(2))),
    I32_LOAD,
    ...memarg(2, 0),
    ...set(P),
    ...bin(I32_ADD, get(RS), bin(I32_SHL, bin(I32_ADD, get(R), get(CAP)), k32(2))),
    I32_LOAD,
    ...memarg(2, 0),
    ...set(E),
    ...bin(I32_SUB, get(E), get(P)),
    ...set(LEN),
    ...unit(bin(I32_SUB, get(P), k32(1))),
    ...set(B),
    ...unit(bin(I32_SUB, get(P), k32(2))),
    ...set(B2),
    ...unit(get(E)),
    ...set(A),
    ...unit(get(P)),
    ...set(LEAD),
    ...classAt(get(B)),
    ...set(CB),
    ...classAt(get(B2)),
    ...set(CB2),
    ...classAt(get(A)),
    ...set(CA),
    ...has(classAt(unit(bin(I32_ADD, get(E), k32(1)))), DIGIT),
    ...set(ND),
    ...all(shortInLetters, has(cb, letters)),
    IF,
    0x40,
    ...inWord,
    ELSE,
    ...all(shortInLetters, bin(I32_LT_U, b, k32(128)), not(has(cb, UPPER | WS)), ne(a, 65), ne(a, 66)),
    I32_EQZ,
    IF,
    0x40,
    ...general,
    END,
    END,
    ...bin(I32_ADD, get(R), k32(1)),
    ...set(R),
    BR,
    0,
    END,
    END,
    // The list ends, as byte addresses, at 0.
    ...Array.from({ length: RUN_KINDS }, (_, k) => [
      ...k32(4 * k),
      ...get(END_AT(k)),
      I32_STORE,
      ...memarg(2, 0),
    ]).flat(),
    ...get(RUNS),
    END,
  ];
  const locals = [1, ...uleb(EM + 1 - 3), I32];
  const fn = [...locals, ...code];
  return [...uleb(fn.length), ...fn];
}

/** Kinds of the name-cue hits of the kernel's `cues` (the low two bits of each hit). */
const CUE_WORD = 0;
const CUE_TITLE = 1;
const CUE_COLON = 2;
const CUE_LINE = 3;

/**
 * Body of `cues(n, out) -> hits`: the positions where the person-name prescan (`nameStarts`)
 * has something to check, as `position << 2 | kind`, ascending per kind, from sixteen code units
 * per step, narrowed to bytes with saturation (255 past 0xFF, 0 past 0x7FFF), so that only
 * ASCII units keep their value. Each kind is a necessary condition of its JavaScript check
 * (which then runs only at these positions): CUE_WORD `amed`, `ame ` or `lled` around an `m` or `l`; CUE_TITLE `M[rsi]`,
 * `Dr`, `Pr`; CUE_COLON a colon after one of the colon cues' last two letters and before
 * whitespace (or any non-ASCII unit); CUE_LINE a line break after a closing's last letter, a
 * comma or a blank and before a capital or a blank.
 * Params: 0 n, 1 out (byte address). Locals: 2 i, 3 ptr, 4 m, 5 valid; v128 6 v, 7 prev, 8 prev2, 9 next, 10 next2,
 * 11-14 the kinds' lane masks.
 */
function cuesBody(): number[] {
  const [NN, OUT, II, PTR, M, VALID, V, VP, VP2, VN, VN2, MASKS] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
  ] as const;
  const vconst = (c: number): Code => [...V128_CONST, ...Array.from({ length: 16 }, () => c)];
  const is = (v: number, c: number): Code => [...get(v), ...vconst(c), ...I8X16_EQ];
  const vand = (...xs: Code[]): Code => [
    ...(xs[0] as Code),
    ...xs.slice(1).flatMap((x) => [...x, ...V128_AND]),
  ];
  const vor = (...xs: Code[]): Code => [
    ...(xs[0] as Code),
    ...xs.slice(1).flatMap((x) => [...x, ...V128_OR]),
  ];
  const inRange = (v: number, lo: number, count: number): Code => [
    ...get(v),
    ...vconst(lo),
    ...I8X16_SUB,
    ...vconst(count),
    ...I8X16_LT_U,
  ];
  const kinds: [number, Code][] = [
    [
      CUE_WORD,
      vor(
        vand(is(V, 109), is(VP, 97), is(VN, 101), vor(is(VN2, 100), is(VN2, 32))),
        vand(is(V, 108), is(VP, 108), is(VN, 101), is(VN2, 100)),
      ),
    ],
    [
      CUE_TITLE,
      vor(
        vand(is(V, 77), vor(is(VN, 114), is(VN, 115), is(VN, 105))),
        vand(vor(is(V, 68), is(V, 80)), is(VN, 114)),
      ),
    ],
    [
      CUE_COLON,
      vand(
        is(V, 58),
        vor(
          vand(is(VP, 101), vor(is(VP2, 109), is(VP2, 101))),
          vand(is(VP, 116), vor(is(VP2, 110), is(VP2, 99))),
          vand(is(VP, 114), is(VP2, 101)),
        ),
        // Units past 0xFF narrow to 255, past 0x7FFF to 0.
        vor(is(VN, 32), inRange(VN, 9, 5), [...get(VN), ...vconst(0x7f), ...I8X16_GT_U], is(VN, 0)),
      ),
    ],
    [
      CUE_LINE,
      vand(
        is(V, 10),
        vor(inRange(VN, 65, 26), is(VN, 32), is(VN, 9)),
        vor(is(VP, 115), is(VP, 121), is(VP, 116), is(VP, 117), is(VP, 44), is(VP, 32), is(VP, 9)),
      ),
    ],
  ];
  // Sixteen code units narrowed to bytes (saturating: no unit but an ASCII one keeps its value).
  const load = (delta: number, into: number): Code => [
    ...bin(I32_ADD, bin(I32_SHL, get(II), k32(1)), k32(TEXT + 2 * delta)),
    ...V128_LOAD,
    ...memarg(0, 0),
    ...bin(I32_ADD, bin(I32_SHL, get(II), k32(1)), k32(TEXT + 2 * delta + 16)),
    ...V128_LOAD,
    ...memarg(0, 0),
    ...I8X16_NARROW_U,
    ...set(into),
  ];
  const emit = (kind: number, mask: Code): Code => [
    ...bin(I32_AND, [...mask, ...I8X16_BITMASK], get(VALID)),
    ...set(M),
    BLOCK,
    0x40,
    LOOP,
    0x40,
    ...get(M),
    I32_EQZ,
    BR_IF,
    1,
    ...get(PTR),
    ...bin(I32_OR, bin(I32_SHL, bin(I32_ADD, get(II), [...get(M), I32_CTZ]), k32(2)), k32(kind)),
    I32_STORE,
    ...memarg(2, 0),
    ...bin(I32_ADD, get(PTR), k32(4)),
    ...set(PTR),
    ...bin(I32_AND, get(M), bin(I32_SUB, get(M), k32(1))),
    ...set(M),
    BR,
    0,
    END,
    END,
  ];
  const code: Code = [
    ...k32(0),
    ...set(II),
    ...get(OUT),
    ...set(PTR),
    BLOCK,
    0x40,
    LOOP,
    0x40,
    ...bin(I32_GE_S, get(II), get(NN)),
    BR_IF,
    1,
    ...load(0, V),
    ...load(1, VN),
    // Lanes at or past n (the sentinels, then whatever follows) are cut off.
    ...k32(0xffff),
    ...bin(I32_SUB, bin(I32_SHL, k32(1), bin(I32_SUB, get(NN), get(II))), k32(1)),
    ...bin(I32_GE_S, bin(I32_SUB, get(NN), get(II)), k32(16)),
    SELECT,
    ...set(VALID),
    // Most steps hit nothing: a cheaper test of the one or two units every hit needs (`me`, `le`
    // ending the word cues, a title's capital, a colon, a line break) comes first.
    ...vor(
      vand(is(VN, 101), vor(is(V, 109), is(V, 108))),
      is(V, 77),
      is(V, 68),
      is(V, 80),
      is(V, 58),
      is(V, 10),
    ),
    ...I8X16_BITMASK,
    ...get(VALID),
    I32_AND,
    IF,
    0x40,
    ...load(-1, VP),
    ...load(-2, VP2),
    ...load(2, VN2),
    ...kinds.flatMap(([kind, mask]) => [...mask, ...set(MASKS + kind)]),
    ...vor(get(MASKS), get(MASKS + 1), get(MASKS + 2), get(MASKS + 3)),
    ...I8X16_BITMASK,
    ...get(VALID),
    I32_AND,
    IF,
    0x40,
    ...kinds.flatMap(([kind]) => emit(kind, get(MASKS + kind))),
    END,
    END,
    ...bin(I32_ADD, get(II), k32(16)),
    ...set(II),
    BR,
    0,
    END,
    END,
    ...bin(I32_SHR_S, bin(I32_SUB, get(PTR), get(OUT)), k32(2)),
    END,
  ];
  const locals = [2, 4, I32, 9, V128];
  const fn = [...locals, ...code];
  return [...uleb(fn.length), ...fn];
}

function kernelBytes(): Uint8Array {
  const type = [2, 0x60, 3, I32, I32, I32, 1, I32, 0x60, 2, I32, I32, 1, I32];
  const exports = [3, ...name('memory'), 0x02, 0, ...name('scan'), 0x00, 0, ...name('cues'), 0x00, 1];
  return Uint8Array.from([
    ...WASM_HEADER,
    ...section(1, type),
    ...section(3, [2, 0, 1]),
    ...section(5, [1, 0x00, 2]),
    ...section(7, exports),
    ...section(10, [2, ...scanBody(), ...cuesBody()]),
  ]);
}

/** Compiled once per thread; undefined without WebAssembly. */
const instantiate = lazyWasmModule(kernelBytes);

type ScanFn = (n: number, rs: number, cap: number) => number;
type CuesFn = (n: number, out: number) => number;

/** Kernel name-cue hits: `words[from]` up to `words[to]`, each `position << 2 | kind`. */
interface CueHits {
  words: Int32Array;
  from: number;
  to: number;
}

/** One kernel instance per thread, with views of its memory. */
class RunKernel {
  private readonly memory: WasmMemory;
  private readonly scanFn: ScanFn;
  private bytes: Buffer;
  private words: Int32Array;
  private readonly runs: DigitRuns = { runs: 0, runStarts: new Int32Array(0), runEnds: new Int32Array(0) };
  private readonly result: RunCandidates;
  private readonly cuesFn: CuesFn;
  /** The text in the kernel's memory (the last `candidates` call's), and where its cue hits go. */
  private text: string | undefined;
  private hitsAt = 0;
  private readonly hits: CueHits = { words: new Int32Array(0), from: 0, to: 0 };

  constructor(instance: WasmInstance) {
    const ex = instance.exports as { memory: WasmMemory; scan: ScanFn; cues: CuesFn };
    this.memory = ex.memory;
    this.scanFn = ex.scan;
    this.cuesFn = ex.cues;
    this.bytes = Buffer.from(this.memory.buffer);
    this.words = new Int32Array(this.memory.buffer);
    this.bytes.set(CLASS, CLASSES);
    this.result = {
      runs: this.runs,
      list: this.words,
      from: new Int32Array(RUN_KINDS),
      to: new Int32Array(RUN_KINDS),
    };
  }

  candidates(text: string): RunCandidates {
    const n = text.length;
    const cap = (n + 1) >> 1;
    const rs = (TEXT + 2 * n + 8 + 15) & ~15;
    const hitsAt = rs + 4 * cap * (2 + RUN_KINDS);
    const need = hitsAt + 4 * n + 16;
    if (need > this.memory.buffer.byteLength) {
      this.memory.grow(Math.ceil((need - this.memory.buffer.byteLength) / 65536));
      this.bytes = Buffer.from(this.memory.buffer);
      this.words = new Int32Array(this.memory.buffer);
      this.result.list = this.words;
    }
    const { bytes, words, result } = this;
    bytes.fill(0xff, TEXT - 8, TEXT);
    bytes.write(text, TEXT, 2 * n, 'utf16le');
    bytes.fill(0xff, TEXT + 2 * n, TEXT + 2 * n + 8);
    const runs = this.scanFn(n, rs, cap);
    this.text = text;
    this.hitsAt = hitsAt;
    const starts = rs >> 2;
    this.runs.runs = runs;
    this.runs.runStarts = words.subarray(starts, starts + runs);
    this.runs.runEnds = words.subarray(starts + cap, starts + cap + runs);
    for (let k = 0; k < RUN_KINDS; k++) {
      result.from[k] = starts + cap * (2 + k);
      result.to[k] = (words[k] as number) >> 2;
    }
    return result;
  }

  /**
   * The name-cue hits (see `cuesBody`) of `text`, which must be the text of the last
   * `candidates` call (undefined otherwise): `words[from]` up to `words[to]`.
   */
  cueHits(text: string): CueHits | undefined {
    if (text !== this.text) return undefined;
    const count = this.cuesFn(text.length, this.hitsAt);
    const { hits } = this;
    hits.words = this.words;
    hits.from = this.hitsAt >> 2;
    hits.to = hits.from + count;
    return hits;
  }
}

let kernel: RunKernel | null | undefined;

/**
 * The digit runs of `text` and, per digit-led kind, the runs its pattern can start at or just
 * before: from the WebAssembly kernel when the runtime has one, else `runCandidatesJs`. The
 * result is reused by the next call.
 */
export function runCandidates(text: string): RunCandidates {
  if (kernel === undefined) {
    const instance = instantiate();
    kernel = instance ? new RunKernel(instance) : null;
  }
  return kernel ? kernel.candidates(text) : runCandidatesJs(text);
}
