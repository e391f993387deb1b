import { foldText } from '../text/normalization.js';
import { RUN_END, RUN_ENOUGH, TriggerTokenKernel } from './trigger-token-kernel.js';

/**
 * Tokens of the request side for trigger mining: the folded text (`foldText`) split into
 * `/\S{1,40}/g` tokens with edge punctuation stripped, keeping the first `HEAD_TOKENS` and the
 * last `TAIL_TOKENS` (a `GAP` token between them) of the first 20,000 characters.
 *
 * Only the head and the tail are folded and tokenised. Folding is local between ASCII whitespace
 * characters (they are starters no normalisation composes with, folding never changes or removes
 * them, and the final-sigma rule of `toLowerCase` stops at them), so the text is cut into runs
 * between ASCII whitespace: an all-ASCII run is lower-cased, chunked, cleaned and hashed by char
 * code in one scan; any other run is folded on its own and tokenised with the regular expressions.
 *
 * The miner counts hashes only, so `triggerTokens` makes no strings for ASCII runs: it returns the
 * hashes and the raw runs they came from, and `triggerTokenTexts` cuts the strings again for the
 * few records whose gram texts are reported.
 */

/** Stands for the untokenised middle of a long text; grams never span it. */
export const GAP = '\u0000gap';
/** Tokens kept from the start of a long text. */
export const HEAD_TOKENS = 192;
/** Tokens kept from the end of a long text. */
export const TAIL_TOKENS = 64;
/** Characters of the text that are tokenised at most. */
const MAX_CHARS = 20_000;

const TOKEN_RE = /\S{1,40}/g;
const EDGE_PUNCT_RE = /^[\p{P}]{1,5}(?=[\p{L}\p{N}])|(?<=[\p{L}\p{N}])[\p{P}]{1,5}$/gu;

/** The request-side tokens of one text, as the miner counts them: hashes, not strings. */
export interface TriggerTokens {
  /** 32-bit FNV-1a of each token (0 for a break). */
  hashes: Uint32Array;
  /** Indices of break tokens (`GAP`), which no gram spans. */
  breaks: number[];
  /** Indices of tokens that start with `^` (their gram texts need the slow path, see the aggregator). */
  carets: number[];
  /**
   * The raw text the tokens are cut from again by `triggerTokenTexts`: the runs that gave the
   * head, then (after a gap) those that gave the tail. Cheaper to keep and send than the token
   * strings, which only the few reported candidates ever need.
   */
  source: string;
  /** Characters of `source` that are the head; the rest is the tail (non-empty exactly when there is a gap). */
  headLength: number;
}

/** 32-bit FNV-1a over the UTF-16 code units of a token. */
export function hashToken(t: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < t.length; i++) h = Math.imul(h ^ t.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function isWordEdge(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c > 0x2000;
}

/** Edge punctuation strip of a folded token (the reference the ASCII scan must agree with). */
export function cleanToken(t: string): string {
  // Only tokens with a non-alphanumeric edge need the (Unicode-aware, slower) punctuation strip.
  return isWordEdge(t.charCodeAt(0)) && isWordEdge(t.charCodeAt(t.length - 1))
    ? t
    : t.replace(EDGE_PUNCT_RE, '');
}

/** Per ASCII code: 1 = `\p{P}`, 2 = letter or digit. */
const ASCII_CLASS = new Uint8Array(128);
for (const ch of '!"#%&\'()*,-./:;?@[\\]_{}') ASCII_CLASS[ch.charCodeAt(0)] = 1;
for (let c = 48; c <= 57; c++) ASCII_CLASS[c] = 2;
for (let c = 65; c <= 90; c++) ASCII_CLASS[c] = 2;
for (let c = 97; c <= 122; c++) ASCII_CLASS[c] = 2;

/**
 * ASCII whitespace, and U+0001 (the tokens once travelled joined by it, so it splits like a space;
 * kept so that the tokens, and so the findings, stay what they were).
 */
function isCut(c: number): boolean {
  return c <= 32 && (c === 32 || (c >= 9 && c <= 13) || c === 1);
}

/** Token kinds a sink records besides the hash. */
const PLAIN = 0;
const BREAK = 1;
const CARET = 2;

/**
 * Collects token hashes and kinds (typed arrays: hashes above 2^31 would make a plain array one
 * of boxed doubles), and the token strings when it keeps texts.
 */
class TokenSink {
  hashes = new Uint32Array(320);
  kinds = new Uint8Array(320);
  count = 0;
  readonly texts: string[] | undefined;

  constructor(keepTexts: boolean) {
    this.texts = keepTexts ? [] : undefined;
  }

  /** Adds one token by its hash and kind (`PLAIN`, `BREAK`, `CARET`). */
  addHash(hash: number, kind: number): void {
    if (this.count === this.hashes.length) {
      const hashes = new Uint32Array(this.count * 2);
      hashes.set(this.hashes);
      this.hashes = hashes;
      const kinds = new Uint8Array(this.count * 2);
      kinds.set(this.kinds);
      this.kinds = kinds;
    }
    this.hashes[this.count] = hash;
    this.kinds[this.count++] = kind;
  }

  /** Empties the sink (hash-only sinks are reused: a typed array costs more to allocate than to fill). */
  reset(): this {
    this.count = 0;
    return this;
  }

  /** Adds one cleaned token. */
  push(t: string): void {
    this.texts?.push(t);
    const gap = t === GAP;
    this.addHash(gap ? 0 : hashToken(t), gap ? BREAK : t.charCodeAt(0) === 94 ? CARET : PLAIN);
  }

  /** Tokens of the run `text[a, b)` (no ASCII whitespace inside; `ascii` when every code unit is). */
  run(text: string, a: number, b: number, ascii: boolean): void {
    if (!ascii) this.foldedRun(text.slice(a, b));
    else for (let s = a; s < b; s += 40) this.asciiChunk(text, s, Math.min(s + 40, b));
  }

  private foldedRun(raw: string): void {
    const folded = foldText(raw);
    TOKEN_RE.lastIndex = 0;
    for (let m = TOKEN_RE.exec(folded); m !== null; m = TOKEN_RE.exec(folded)) this.push(cleanToken(m[0]));
  }

  /**
   * One ASCII token: `cleanToken` of the lower-cased chunk, by char class, hashed while scanned;
   * the string is made only when the sink keeps texts.
   */
  private asciiChunk(text: string, s: number, e: number): void {
    let lo = s;
    let hi = e;
    // A letter or digit edge (lower-cased, as `cleanToken` sees it) needs no strip.
    if (ASCII_CLASS[text.charCodeAt(s)] !== 2 || ASCII_CLASS[text.charCodeAt(e - 1)] !== 2) {
      let k = 0;
      while (s + k < e && ASCII_CLASS[text.charCodeAt(s + k)] === 1) k++;
      if (k >= 1 && k <= 5 && s + k < e && ASCII_CLASS[text.charCodeAt(s + k)] === 2) lo = s + k;
      k = 0;
      while (e - 1 - k >= s && ASCII_CLASS[text.charCodeAt(e - 1 - k)] === 1) k++;
      if (k >= 1 && k <= 5 && e - 1 - k >= s && ASCII_CLASS[text.charCodeAt(e - 1 - k)] === 2) hi = e - k;
    }
    let h = 0x811c9dc5;
    let upper = false;
    for (let k = lo; k < hi; k++) {
      let c = text.charCodeAt(k);
      if (c >= 65 && c <= 90) {
        c |= 0x20;
        upper = true;
      }
      h = Math.imul(h ^ c, 0x01000193);
    }
    if (this.texts) {
      const t = text.slice(lo, hi);
      this.texts.push(upper ? t.toLowerCase() : t);
    }
    const first = text.charCodeAt(lo);
    // A NUL-led chunk may spell the gap token itself (as the string path, it counts as a break).
    const gap = first === 0 && hi - lo === GAP.length && text.startsWith(GAP, lo);
    this.addHash(gap ? 0 : h >>> 0, gap ? BREAK : first === 94 ? CARET : PLAIN);
  }
}

/** Hashes per arena block (64 KB). */
const BLOCK = 16_384;
let block = new Uint32Array(BLOCK);
let blockUsed = 0;

/**
 * A fresh `Uint32Array(n)` cut from a shared block. Observations travel to the aggregator by
 * structured clone, which gives every separate ArrayBuffer its own allocation on the receiving
 * thread: one per record made tens of thousands of small external buffers, and their accounting
 * set off a scavenge every few milliseconds on the main thread. Views of one block are copied
 * with the block once per message. Blocks are never reused, so a view stays valid while referenced.
 */
function takeHashes(n: number): Uint32Array {
  if (blockUsed + n > block.length) {
    block = new Uint32Array(Math.max(BLOCK, n));
    blockUsed = 0;
  }
  const view = block.subarray(blockUsed, blockUsed + n);
  blockUsed += n;
  return view;
}

/** The hash-only sinks `triggerTokens` reuses (it runs to completion, so one pair per thread). */
const HEAD_SCRATCH = new TokenSink(false);
const TAIL_SCRATCH = new TokenSink(false);

/** Tokens of one text: the head sink, and the tail runs (last run first) when the text is long. */
interface Tokenised {
  head: TokenSink;
  /** End of the run holding the last head token kept (`HEAD_TOKENS`th), or of the text. */
  headEnd: number;
  /** The tail's runs, tokenised forwards (their last `TAIL_TOKENS` tokens are the tail). */
  tail?: { sink: TokenSink; start: number; end: number };
}

/** Whether the run `runEnd` last measured is all ASCII (a second result without an allocation). */
let runAscii = false;

/** End of the run of non-cut characters starting at `i` (before `n`); sets `runAscii`. */
function runEnd(text: string, i: number, n: number): number {
  let j = i;
  let bits = 0;
  for (; j < n; j++) {
    const c = text.charCodeAt(j);
    if (isCut(c)) break;
    bits |= c;
  }
  runAscii = bits < 128;
  return j;
}

/**
 * How many tokens `text[i, n)` holds, counting stops once past `budget`: an ASCII run gives one
 * token per 40 characters (`asciiChunk` makes one per chunk, whatever it strips), any other run
 * one per match in its folding (as `foldedRun`).
 */
function countTokens(text: string, i: number, n: number, budget: number): number {
  let count = 0;
  while (i < n && count <= budget) {
    if (isCut(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const j = runEnd(text, i, n);
    if (runAscii) count += Math.ceil((j - i) / 40);
    else count += foldText(text.slice(i, j)).match(TOKEN_RE)?.length ?? 0;
    i = j;
  }
  return count;
}

/**
 * Tokenises `text[0, n)` as the module comment says. Without texts, tokens past the head are
 * only counted until the count shows whether a tail follows (a long text's tokens between head
 * and tail are never hashed), and ASCII runs are hashed in the WebAssembly kernel when there is one.
 */
function tokenise(text: string, n: number, keepTexts: boolean): Tokenised {
  let k: TriggerTokenKernel | null = null;
  if (!keepTexts) {
    kernel ??= TriggerTokenKernel.create(ASCII_CLASS) ?? null;
    k = kernel;
    k?.load(text, n);
  }
  const runs = (i: number, sink: TokenSink, until: number, headEnd: number) =>
    k ? kernelRuns(k, text, i, n, sink, until, headEnd) : jsRuns(text, i, n, sink, until, headEnd);
  const head = keepTexts ? new TokenSink(true) : HEAD_SCRATCH.reset();
  const limit = HEAD_TOKENS + TAIL_TOKENS;
  let { i, headEnd } = runs(0, head, keepTexts ? limit + 1 : HEAD_TOKENS, 0);
  let long = head.count > limit;
  if (!long && i < n && !keepTexts) {
    // Short enough for no tail: the rest is tokenised after all.
    if (head.count + countTokens(text, i, n, limit - head.count) <= limit)
      ({ i, headEnd } = runs(i, head, limit + 1, headEnd));
    else long = true;
  }
  if (!long) return { head, headEnd: n };
  // More than HEAD + TAIL tokens: the tail is tokenised forwards from `tailStart`.
  const start = tailStart(text, n);
  const tail = keepTexts ? new TokenSink(true) : TAIL_SCRATCH.reset();
  runs(start, tail, Number.MAX_SAFE_INTEGER, 0);
  return { head, headEnd, tail: { sink: tail, start, end: n } };
}

/**
 * Tokenises the runs of `text` from `i` into `sink` until `n`, or until the sink holds `until`
 * tokens (after a whole run). Returns where it stopped and the end of the last run started while
 * the sink held fewer than `HEAD_TOKENS` (else `headEnd` as given).
 */
function jsRuns(
  text: string,
  i: number,
  n: number,
  sink: TokenSink,
  until: number,
  headEnd: number,
): { i: number; headEnd: number } {
  while (i < n && sink.count < until) {
    if (isCut(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const j = runEnd(text, i, n);
    if (sink.count < HEAD_TOKENS) headEnd = j;
    sink.run(text, i, j, runAscii);
    i = j;
  }
  return { i, headEnd };
}

/** Where the tail starts: at the run that brings the token count from the end to `TAIL_TOKENS` (runs counted backwards). */
function tailStart(text: string, n: number): number {
  let count = 0;
  let j = n;
  while (j > 0 && count < TAIL_TOKENS) {
    if (isCut(text.charCodeAt(j - 1))) {
      j--;
      continue;
    }
    let k = j;
    let bits = 0;
    for (; k > 0; k--) {
      const c = text.charCodeAt(k - 1);
      if (isCut(c)) break;
      bits |= c;
    }
    count += bits < 128 ? Math.ceil((j - k) / 40) : countTokens(text, k, j, TAIL_TOKENS);
    j = k;
  }
  return j;
}

/** This thread's kernel; null when the runtime has no WebAssembly (then the loops above run). */
let kernel: TriggerTokenKernel | null | undefined;

/**
 * Whether `triggerTokens` hashes ASCII runs in the WebAssembly kernel (the default when the
 * runtime has WebAssembly) or in the JavaScript loops; both give the same result, which the tests
 * check by running each.
 */
export function useTriggerTokenKernel(on: boolean): void {
  kernel = on ? undefined : null;
}

/**
 * `jsRuns` over the text loaded into the kernel: ASCII runs hashed in the kernel, any other run
 * (or one too long for the kernel's buffer) by `TokenSink.run`.
 */
function kernelRuns(
  k: TriggerTokenKernel,
  text: string,
  i: number,
  n: number,
  sink: TokenSink,
  until: number,
  headEnd: number,
): { i: number; headEnd: number } {
  while (i < n && sink.count < until) {
    const r = k.run(i, n, until - sink.count, HEAD_TOKENS - sink.count);
    for (let t = 0; t < r.emitted; t++) sink.addHash(k.hashes[t] as number, k.kinds[t] as number);
    if (r.headEnd >= 0) headEnd = r.headEnd;
    i = r.pos;
    if (r.status === RUN_END || r.status === RUN_ENOUGH) continue;
    // A run the kernel leaves to the JavaScript path.
    const j = runEnd(text, i, n);
    if (sink.count < HEAD_TOKENS) headEnd = j;
    sink.run(text, i, j, runAscii);
    i = j;
  }
  return { i, headEnd };
}

/**
 * The trigger tokens of `text` with their hashes (see the module comment); identical to folding
 * the first 20,000 characters whole and tokenising them with `/\S{1,40}/g` and `cleanToken`.
 */
export function triggerTokens(text: string): TriggerTokens {
  const n = Math.min(text.length, MAX_CHARS);
  const t = tokenise(text, n, false);
  const head = t.head;
  const count = t.tail ? HEAD_TOKENS + 1 + TAIL_TOKENS : head.count;
  const hashes = takeHashes(count);
  const breaks: number[] = [];
  const carets: number[] = [];
  // Element loops, not subarray copies: a typed-array view costs more to make than 257 moves.
  const copy = (sink: TokenSink, from: number, to: number, at: number): void => {
    for (let k = from; k < to; k++, at++) {
      hashes[at] = sink.hashes[k] as number;
      const kind = sink.kinds[k] as number;
      if (kind === BREAK) breaks.push(at);
      else if (kind === CARET) carets.push(at);
    }
  };
  if (!t.tail) {
    copy(head, 0, count, 0);
    const source = n === text.length ? text : text.slice(0, n);
    return { hashes, breaks, carets, source, headLength: source.length };
  }
  copy(head, 0, HEAD_TOKENS, 0);
  hashes[HEAD_TOKENS] = 0; // the gap
  breaks.push(HEAD_TOKENS);
  const tail = t.tail.sink;
  copy(tail, tail.count - TAIL_TOKENS, tail.count, HEAD_TOKENS + 1);
  const source = text.slice(0, t.headEnd) + text.slice(t.tail.start, t.tail.end);
  return { hashes, breaks, carets, source, headLength: t.headEnd };
}

/**
 * The token strings of a `triggerTokens` result, cut again from its `source`: the head's
 * tokenisation of `source[0, headLength)` (its first `HEAD_TOKENS` when a tail follows), then
 * `GAP` and the last `TAIL_TOKENS` of the tail. Runs are tokenised on their own, so the head's
 * runs and the tail's runs give the tokens they gave in the whole text.
 */
export function triggerTokenTexts(source: string, headLength: number): string[] {
  if (headLength >= source.length)
    return (tokenise(source, source.length, true).head.texts as string[]).slice();
  const head = tokenise(source.slice(0, headLength), headLength, true).head.texts as string[];
  const runs = new TokenSink(true);
  jsRuns(source, headLength, source.length, runs, Number.MAX_SAFE_INTEGER, 0);
  const tailTexts = runs.texts as string[];
  return [...head.slice(0, HEAD_TOKENS), GAP, ...tailTexts.slice(tailTexts.length - TAIL_TOKENS)];
}
