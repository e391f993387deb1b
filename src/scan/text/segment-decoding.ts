/**
 * Bounded decoding of encoded segments hidden in text (base64, hex, URL
 * percent-encoding, rot13, Unicode tag characters) so detectors can rescan
 * what an attacker encoded. Each decoded segment must look like readable text;
 * binary blobs, hashes and ids decode to noise and are dropped.
 */

import {
  lazyWasmModule,
  memarg,
  name,
  section,
  uleb,
  WASM_HEADER,
  type WasmInstance,
  type WasmMemory,
} from '../detectors/wasm-encoding.js';
import {
  c32,
  dec,
  END,
  get,
  I32,
  I32_ADD,
  I32_AND,
  I32_GE_S,
  I32_GT_S,
  I32_LE_S,
  I32_LOAD8_U,
  I32_LOAD16_U,
  I32_LT_S,
  I32_NE,
  I32_OR,
  I32_SHL,
  I32_SHR_U,
  I32_STORE,
  I32_SUB,
  ifThen,
  inc,
  set,
  whileDo,
} from '../detectors/wasm-instructions.js';
import { isJsWhitespace } from './whitespace.js';

export type Encoding = 'base64' | 'hex' | 'url' | 'rot13' | 'unicode-tags';

export interface DecodedSegment {
  encoding: Encoding;
  /** Chain of encodings from the outside in, e.g. `['base64', 'hex']`. */
  chain: Encoding[];
  text: string;
}

export interface DecodeLimits {
  /** How many nested layers to peel (default 2). */
  maxDepth?: number;
  /** Total decoded characters per call (default 64 KiB). */
  maxChars?: number;
  /** Segments tried per layer (default 32). */
  maxSegments?: number;
  /**
   * `ROT13_HINT_RE.test(text)` for the outer text, when the caller already knows it (from
   * `rot13HintAt` over occurrences of `ROT13_HINT_WORDS` it found); nested layers test their own.
   */
  rot13Hint?: boolean;
}

// Payloads worth rescanning are short; long runs are attachments and images (skipped).
// Base64 is /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{24,2048}={0,2}(?![A-Za-z0-9+/_-])/g and hex is
// /(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{2}[ :]?){12,1024}(?![0-9A-Fa-f])/g, both found by `encodedMatches`
// (one linear scan for candidate starts, then a sticky regex there).
const URL_RE = /(?:[^\s%]{0,64}%[0-9A-Fa-f]{2}){4,2048}[^\s%]{0,64}/g;
const TAG_RUN_RE = /(?:\udb40[\udc00-\udc7f]){2,}/g;
// rot13 spellings of words injections need: ignore, instructions, previous, system, prompt, disregard, forget, jailbreak.
const ROT13_HINT_RE =
  /\b(?:vtaber|vafgehpgvbaf?|cerivbhf|flfgrz|cebzcg|qvfertneq|sbetrg|wnvyoernx|cnffjbeq)\b/i;

// Sticky form, run only where the linear scan below found a candidate start.
const HEX_AT_RE = /(?:[0-9A-Fa-f]{2}[ :]?){12,1024}(?![0-9A-Fa-f])/y;

/** Character classes of ASCII code units: bit 1 base64 (`[A-Za-z0-9+/_-]`), bit 2 hex digit. */
const CHAR_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9+/_-]/.test(ch)) CHAR_CLASS[c] = 1;
  if (/[0-9A-Fa-f]/.test(ch)) CHAR_CLASS[c] = (CHAR_CLASS[c] as number) | 2;
}

function isBase64Char(c: number): boolean {
  return c < 128 && ((CHAR_CLASS[c] as number) & 1) !== 0;
}

function isHexChar(c: number): boolean {
  return c < 128 && ((CHAR_CLASS[c] as number) & 2) !== 0;
}

/** Sextet value of each base64 character (`-` and `_` as `+` and `/`), -1 for others. */
const SEXTET = new Int8Array(128).fill(-1);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  const i = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.indexOf(ch);
  if (i >= 0) SEXTET[c] = i;
}
SEXTET[45] = 62;
SEXTET[95] = 63;

/**
 * False when the base64 run `text[from, to)` certainly does not decode to readable text: its
 * complete 4-character groups already hold more control bytes than `looksLikeText` allows in a
 * string of at most the run's decoded byte length (each such byte decodes to one non-printable
 * character). Most base64 in mail is attachments, and this skips decoding them into strings.
 */
function mayDecodeToText(text: string, from: number, to: number): boolean {
  const allowed = 0.05 * Math.floor(((to - from) * 3) / 4);
  let controls = 0;
  for (let i = from; i + 4 <= to; i += 4) {
    const v =
      ((SEXTET[text.charCodeAt(i)] as number) << 18) |
      ((SEXTET[text.charCodeAt(i + 1)] as number) << 12) |
      ((SEXTET[text.charCodeAt(i + 2)] as number) << 6) |
      (SEXTET[text.charCodeAt(i + 3)] as number);
    for (let sh = 16; sh >= 0; sh -= 8) {
      const b = (v >> sh) & 0xff;
      if (b < 32 && b !== 9 && b !== 10 && b !== 13 && ++controls > allowed) return false;
    }
  }
  return true;
}

/** Shortest base64 run and hex chain worth decoding (characters; a hex chain has at least this many digits). */
const MIN_ENCODED = 24;

function isHexJoin(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return (
    (c === 32 || c === 58) && i > 0 && isHexChar(text.charCodeAt(i - 1)) && isHexChar(text.charCodeAt(i + 1))
  );
}

/**
 * The base64 and hex matches, in order. A base64 match is a whole run of base64 characters
 * (the look-behind) of 24..2048 characters (a longer run cannot satisfy the look-ahead
 * anywhere) plus the `=` padding (at most two) the look-ahead allows, so it is cut from the
 * run directly. Only runs mixing lower case with upper case, digits or `+/` are kept (pure
 * hex, pure digits and single-case words are ids and hashes, not base64 text), and of those
 * only the ones that may decode to text (`mayDecodeToText`). A hex match lies in a chain of
 * hex-digit runs joined by single spaces or colons; only chains of at least 24 digits are
 * handed to the sticky regex, at each start the look-behind allows (a hex digit after a
 * non-hex character), resuming after a match as `matchAll` does.
 *
 * Runs and chains are found by probing every 24th character (any run or chain of 24 or more
 * characters covers one) and growing a probe that hits one to its ends: on prose a probe
 * lands in a short word and stops within a few characters, so most of the text is never
 * read (a loop over every character, with its unpredictable branches on letter classes, was
 * the costliest part of decoding).
 */
export function encodedMatches(text: string): { base64: string[]; hex: string[] } {
  const kernel = text.length >= KERNEL_MIN_LENGTH ? probeKernel() : undefined;
  return kernel ? kernel.matches(text) : encodedMatchesJs(text);
}

/** `encodedMatches` in JavaScript: short texts, no WebAssembly, and the kernel's reference. */
export function encodedMatchesJs(text: string): { base64: string[]; hex: string[] } {
  const base64: string[] = [];
  const hex: string[] = [];
  const n = text.length;
  for (let i = MIN_ENCODED - 1; i < n; i += MIN_ENCODED) {
    if (!isBase64Char(text.charCodeAt(i))) continue;
    let a = i;
    while (a > 0 && isBase64Char(text.charCodeAt(a - 1))) a--;
    let b = i + 1;
    while (b < n && isBase64Char(text.charCodeAt(b))) b++;
    if (b - a >= MIN_ENCODED && b - a <= 2048) base64Run(text, a, b, base64);
    // The next probe past this run.
    while (i + MIN_ENCODED < b) i += MIN_ENCODED;
  }
  for (let i = MIN_ENCODED - 1; i < n; i += MIN_ENCODED) {
    if (!isHexChar(text.charCodeAt(i)) && !isHexJoin(text, i)) continue;
    let a = i;
    while (a > 0 && (isHexChar(text.charCodeAt(a - 1)) || (a > 1 && isHexJoin(text, a - 1)))) a--;
    let b = i + 1;
    while (b < n && (isHexChar(text.charCodeAt(b)) || isHexJoin(text, b))) b++;
    let digits = 0;
    for (let k = a; k < b && digits < MIN_ENCODED; k++) if (isHexChar(text.charCodeAt(k))) digits++;
    if (digits >= MIN_ENCODED) hexInChain(text, a, b, hex);
    while (i + MIN_ENCODED < b) i += MIN_ENCODED;
  }
  return { base64, hex };
}

/** The base64 match of the whole run `text[from, to)` (24..2048 characters), if it is kept. */
function base64Run(text: string, a: number, b: number, base64: string[]): void {
  if (!caseMixed(text, a, b) || !mayDecodeToText(text, a, b)) return;
  const n = text.length;
  // Padding: as many '=' (at most two) as leave a non-base64 character after them.
  let pad = 0;
  while (pad < 2 && b + pad < n && text.charCodeAt(b + pad) === 61) pad++;
  while (pad > 0 && b + pad < n && isBase64Char(text.charCodeAt(b + pad))) pad--;
  base64.push(text.slice(a, b + pad));
}

/** True when `text[from, to)` has a lower-case letter and an upper-case letter, digit, `+` or `/`. */
function caseMixed(text: string, from: number, to: number): boolean {
  let lower = false;
  let other = false;
  for (let k = from; k < to; k++) {
    const c = text.charCodeAt(k);
    if (c >= 97 && c <= 122) lower = true;
    else if (c !== 45 && c !== 95) other = true;
    if (lower && other) return true;
  }
  return false;
}

/** Hex matches inside the chain `text[from, to)`, as `matchAll` of the hex regex finds them there. */
function hexInChain(text: string, from: number, to: number, hex: string[]): void {
  for (let i = from; i < to; ) {
    HEX_AT_RE.lastIndex = i;
    const m = HEX_AT_RE.exec(text);
    let j = i + 1;
    if (m) {
      hex.push(m[0]);
      j = i + Math.max(1, m[0].length);
    }
    // The next start: a hex digit after a separator.
    while (j < to && (!isHexChar(text.charCodeAt(j)) || isHexChar(text.charCodeAt(j - 1)))) j++;
    i = j;
  }
}

/**
 * The matches `URL_RE` finds, in order: a match lies inside one whitespace-free run holding
 * at least four `%XX` escapes, so only such runs are scanned.
 */
function urlMatches(text: string): string[] {
  const out: string[] = [];
  let p = text.indexOf('%');
  while (p >= 0) {
    let a = p;
    while (a > 0 && !isJsWhitespace(text.charCodeAt(a - 1))) a--;
    let b = p + 1;
    while (b < text.length && !isJsWhitespace(text.charCodeAt(b))) b++;
    let escapes = 0;
    for (let k = a; k + 2 < b; k++) {
      if (text.charCodeAt(k) === 37 && isHexChar(text.charCodeAt(k + 1)) && isHexChar(text.charCodeAt(k + 2)))
        escapes++;
    }
    if (escapes >= 4) for (const m of text.slice(a, b).matchAll(URL_RE)) out.push(m[0]);
    p = text.indexOf('%', b);
  }
  return out;
}

/** Readable text: mostly printable, has letters and word breaks. */
export function looksLikeText(s: string): boolean {
  if (s.length < 8) return false;
  let printable = 0;
  let letters = 0;
  let spaces = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0xfffd || (c < 32 && c !== 9 && c !== 10 && c !== 13)) continue;
    printable++;
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c > 0x7f) letters++;
    else if (c === 32) spaces++;
  }
  return printable / s.length >= 0.95 && letters / s.length >= 0.5 && spaces >= 1;
}

/** rot13 of ASCII letters. */
export function rot13(s: string): string {
  return s.replace(/[A-Za-z]/g, (ch) => {
    const c = ch.charCodeAt(0);
    const base = c >= 97 ? 97 : 65;
    return String.fromCharCode(((c - base + 13) % 26) + base);
  });
}

/** Decodes a run of Unicode tag characters (U+E0000..E007F) to the ASCII it smuggles. */
export function decodeUnicodeTags(run: string): string {
  let out = '';
  for (const ch of run) {
    const cp = ch.codePointAt(0) as number;
    if (cp >= 0xe0020 && cp <= 0xe007e) out += String.fromCharCode(cp - 0xe0000);
  }
  return out;
}

/** The words `ROT13_HINT_RE` looks for (lower case; it matches them in any case). */
export const ROT13_HINT_WORDS: readonly string[] = [
  'vtaber',
  'vafgehpgvbaf',
  'vafgehpgvba',
  'cerivbhf',
  'flfgrz',
  'cebzcg',
  'qvfertneq',
  'sbetrg',
  'wnvyoernx',
  'cnffjbeq',
];

function isRegexWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/**
 * True when `ROT13_HINT_WORDS[word]` occurs in `lower` at `start` as a whole word (`\b` on both
 * sides). For ASCII text, `ROT13_HINT_RE` matches the text exactly when this holds at some
 * occurrence in its lower-case form (lower-casing ASCII keeps word characters word characters).
 */
export function rot13HintAt(lower: string, word: number, start: number): boolean {
  const w = ROT13_HINT_WORDS[word] as string;
  const end = start + w.length;
  return (
    lower.startsWith(w, start) &&
    (start === 0 || !isRegexWordChar(lower.charCodeAt(start - 1))) &&
    (end >= lower.length || !isRegexWordChar(lower.charCodeAt(end)))
  );
}

function decodeOne(
  text: string,
  budget: { chars: number; segments: number },
  rot13Hint?: boolean,
): DecodedSegment[] {
  const out: DecodedSegment[] = [];
  const push = (encoding: Encoding, decoded: string): void => {
    if (budget.chars <= 0 || budget.segments <= 0) return;
    const clipped = decoded.slice(0, budget.chars);
    budget.chars -= clipped.length;
    budget.segments--;
    out.push({ encoding, chain: [encoding], text: clipped });
  };
  if (text.length >= 24) {
    const { base64, hex } = encodedMatches(text);
    for (const seg of base64) {
      const decoded = Buffer.from(seg.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
      if (looksLikeText(decoded)) push('base64', decoded);
      if (budget.segments <= 0) break;
    }
    for (const run of hex) {
      const seg = run.replace(/[ :]/g, '');
      if (seg.length % 2 !== 0) continue;
      const decoded = Buffer.from(seg, 'hex').toString('utf8');
      if (looksLikeText(decoded)) push('hex', decoded);
      if (budget.segments <= 0) break;
    }
  }
  if (text.includes('%')) {
    for (const seg of urlMatches(text)) {
      let decoded: string;
      try {
        decoded = decodeURIComponent(seg.replace(/\+/g, ' '));
      } catch {
        continue;
      }
      if (decoded !== seg && looksLikeText(decoded)) push('url', decoded);
      if (budget.segments <= 0) break;
    }
  }
  if (rot13Hint ?? ROT13_HINT_RE.test(text)) push('rot13', rot13(text));
  if (text.includes('\udb40')) {
    for (const m of text.matchAll(TAG_RUN_RE)) {
      const decoded = decodeUnicodeTags(m[0]);
      if (decoded.length > 0) push('unicode-tags', decoded);
    }
  }
  return out;
}

/**
 * Finds encoded segments in `text`, decodes them, and peels nested layers up to
 * `maxDepth`, within a total character budget. Returns readable decodings only.
 */
export function decodeSegments(text: string, limits: DecodeLimits = {}): DecodedSegment[] {
  const maxDepth = limits.maxDepth ?? 2;
  const budget = { chars: limits.maxChars ?? 65_536, segments: limits.maxSegments ?? 32 };
  const results: DecodedSegment[] = [];
  let frontier: DecodedSegment[] = decodeOne(text, budget, limits.rot13Hint);
  for (let depth = 1; depth <= maxDepth && frontier.length > 0; depth++) {
    results.push(...frontier);
    if (depth === maxDepth) break;
    const next: DecodedSegment[] = [];
    for (const seg of frontier) {
      for (const inner of decodeOne(seg.text, budget)) {
        next.push({ encoding: inner.encoding, chain: [...seg.chain, inner.encoding], text: inner.text });
      }
    }
    frontier = next;
  }
  return results;
}

// --- The probes of `encodedMatches` as a WebAssembly kernel.
//
// The two probe loops read a few characters around every 24th one of every field; in JavaScript
// that was the largest cost of decoding. The kernel runs the same probes over the text (copied
// once, UTF-16) and hands back the base64 runs of 24..2048 characters and the hex chains of 24
// or more digits that the loops find, in order; the tests on them and the regex inside a chain
// stay in JavaScript (they run on few candidates).

/** Fields shorter than this are probed in JavaScript (the copy would cost more than it saves). */
const KERNEL_MIN_LENGTH = 512;

/** Character classes at address 0 (one byte per UTF-16 code unit), then the text. */
const TEXT_AT = 65536;
const B64 = 1;
const HEX = 2;
const JOIN = 4; // ' ' or ':'

/** 1 when the code unit at index `idx` (an expression) has class bit `bit`, else 0. */
const has = (idx: number[], bit: number) => [
  // The text's address added here, not as the load's offset: index -1 is read (and ignored).
  ...idx,
  ...c32(1),
  I32_SHL,
  ...c32(TEXT_AT),
  I32_ADD,
  I32_LOAD16_U,
  ...memarg(1, 0),
  I32_LOAD8_U,
  ...memarg(0, 0),
  ...c32(bit),
  I32_AND,
  ...c32(0),
  I32_NE,
];
const minus1 = (l: number) => [...get(l), ...c32(1), I32_SUB];
const plus1 = (l: number) => [...get(l), ...c32(1), I32_ADD];
const lt = (a: number[], b: number[]) => [...a, ...b, I32_LT_S];
const gt0 = (l: number) => [...get(l), ...c32(0), I32_GT_S];

/** `isHexJoin(text, idx)`: a space or colon between two hex digits. */
const hexJoin = (idx: number[]) => [
  ...has(idx, JOIN),
  ...idx,
  ...c32(0),
  I32_GT_S,
  I32_AND,
  ...has([...idx, ...c32(1), I32_SUB], HEX),
  I32_AND,
  ...has([...idx, ...c32(1), I32_ADD], HEX),
  I32_AND,
];

/**
 * `base64(n, out) -> runs` / `hex(n, out) -> chains`: the probe loops of `encodedMatches` over the
 * text at `TEXT_AT` (a zero code unit after it), writing each kept run or chain as (start, end).
 */
function probeBody(kind: 'base64' | 'hex'): number[] {
  const [N, OUT, I, A, B, K, DIGITS, J] = [0, 1, 2, 3, 4, 5, 6, 7] as const;
  const member = (idx: number[]) =>
    kind === 'base64' ? has(idx, B64) : [...has(idx, HEX), ...hexJoin(idx), I32_OR];
  const leftMember =
    kind === 'base64'
      ? has(minus1(A), B64)
      : [...has(minus1(A), HEX), ...get(A), ...c32(1), I32_GT_S, ...hexJoin(minus1(A)), I32_AND, I32_OR];
  const record = [
    ...get(K),
    ...get(A),
    I32_STORE,
    ...memarg(2, 0),
    ...get(K),
    ...get(B),
    I32_STORE,
    ...memarg(2, 4),
    ...inc(K, 8),
  ];
  const keep =
    kind === 'base64'
      ? ifThen(
          [
            ...get(B),
            ...get(A),
            I32_SUB,
            ...c32(MIN_ENCODED),
            I32_GE_S,
            ...get(B),
            ...get(A),
            I32_SUB,
            ...c32(2048),
            I32_LE_S,
            I32_AND,
          ],
          record,
        )
      : [
          ...c32(0),
          ...set(DIGITS),
          ...get(A),
          ...set(J),
          ...whileDo(
            [...lt(get(J), get(B)), ...lt(get(DIGITS), c32(MIN_ENCODED)), I32_AND],
            [...get(DIGITS), ...has(get(J), HEX), I32_ADD, ...set(DIGITS), ...inc(J)],
          ),
          ...ifThen([...get(DIGITS), ...c32(MIN_ENCODED), I32_GE_S], record),
        ];
  const found = [
    ...get(I),
    ...set(A),
    ...whileDo([...gt0(A), ...leftMember, I32_AND], dec(A)),
    ...plus1(I),
    ...set(B),
    ...whileDo([...lt(get(B), get(N)), ...member(get(B)), I32_AND], inc(B)),
    ...keep,
    // The next probe past this run.
    ...whileDo([...get(I), ...c32(MIN_ENCODED), I32_ADD, ...get(B), I32_LT_S], inc(I, MIN_ENCODED)),
  ];
  const code = [
    ...get(OUT),
    ...set(K),
    ...c32(MIN_ENCODED - 1),
    ...set(I),
    ...whileDo(lt(get(I), get(N)), [...ifThen(member(get(I)), found), ...inc(I, MIN_ENCODED)]),
    ...get(K),
    ...get(OUT),
    I32_SUB,
    ...c32(3),
    I32_SHR_U,
    END,
  ];
  const fn = [1, 6, I32, ...code];
  return [...uleb(fn.length), ...fn];
}

function probeBytes(): Uint8Array {
  const type = [1, 0x60, 2, I32, I32, 1, I32];
  const exports = [3, ...name('memory'), 0x02, 0, ...name('base64'), 0x00, 0, ...name('hex'), 0x00, 1];
  return Uint8Array.from([
    ...WASM_HEADER,
    ...section(1, type),
    ...section(3, [2, 0, 0]),
    ...section(5, [1, 0x00, 2]),
    ...section(7, exports),
    ...section(10, [2, ...probeBody('base64'), ...probeBody('hex')]),
  ]);
}

const instantiateProbes = lazyWasmModule(probeBytes);

type ProbeFn = (n: number, out: number) => number;

/** The probe kernel (one per thread). */
class ProbeKernel {
  private readonly memory: WasmMemory;
  private readonly base64: ProbeFn;
  private readonly hex: ProbeFn;
  private bytes: Buffer;
  private words: Int32Array;

  constructor(instance: WasmInstance) {
    const ex = instance.exports as { memory: WasmMemory; base64: ProbeFn; hex: ProbeFn };
    this.memory = ex.memory;
    this.base64 = ex.base64;
    this.hex = ex.hex;
    this.bytes = Buffer.from(this.memory.buffer);
    this.words = new Int32Array(this.memory.buffer);
    const cls = new Uint8Array(this.memory.buffer, 0, 65536);
    for (let c = 0; c < 128; c++) {
      cls[c] = (isBase64Char(c) ? B64 : 0) | (isHexChar(c) ? HEX : 0) | (c === 32 || c === 58 ? JOIN : 0);
    }
  }

  /** `encodedMatches(text)`. */
  matches(text: string): { base64: string[]; hex: string[] } {
    const n = text.length;
    const outAt = (TEXT_AT + 2 * n + 2 + 15) & ~15;
    const region = 8 * (Math.floor(n / MIN_ENCODED) + 2);
    const need = outAt + region;
    // (`memory.buffer` is a slow accessor: the views are renewed only when the memory grows.)
    if (need > this.bytes.length) {
      this.memory.grow(Math.ceil((need - this.bytes.length) / 65536));
      this.bytes = Buffer.from(this.memory.buffer);
      this.words = new Int32Array(this.memory.buffer);
    }
    this.bytes.write(text, TEXT_AT, 2 * n, 'utf16le');
    // A zero code unit after the text: the look-ahead of a join reads it as no digit.
    this.bytes[TEXT_AT + 2 * n] = 0;
    this.bytes[TEXT_AT + 2 * n + 1] = 0;
    const w = this.words;
    const base64: string[] = [];
    const runs = this.base64(n, outAt);
    for (let k = 0; k < runs; k++)
      base64Run(text, w[outAt / 4 + 2 * k] as number, w[outAt / 4 + 2 * k + 1] as number, base64);
    const hex: string[] = [];
    const chains = this.hex(n, outAt);
    for (let k = 0; k < chains; k++)
      hexInChain(text, w[outAt / 4 + 2 * k] as number, w[outAt / 4 + 2 * k + 1] as number, hex);
    return { base64, hex };
  }
}

let probes: ProbeKernel | null | undefined;

function probeKernel(): ProbeKernel | undefined {
  if (probes === undefined) {
    const instance = instantiateProbes();
    probes = instance ? new ProbeKernel(instance) : null;
  }
  return probes ?? undefined;
}
