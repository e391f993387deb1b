import { foldText } from '../text/normalization.js';

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

/** Collects token hashes and kinds, and the token strings when `texts` is given. */
class TokenSink {
  hashes: number[] = [];
  kinds: number[] = [];
  readonly texts: string[] | undefined;

  constructor(keepTexts: boolean) {
    this.texts = keepTexts ? [] : undefined;
  }

  get count(): number {
    return this.hashes.length;
  }

  /** Adds one cleaned token. */
  push(t: string): void {
    this.texts?.push(t);
    const gap = t === GAP;
    this.hashes.push(gap ? 0 : hashToken(t));
    this.kinds.push(gap ? BREAK : t.charCodeAt(0) === 94 ? CARET : PLAIN);
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
    this.hashes.push(gap ? 0 : h >>> 0);
    this.kinds.push(gap ? BREAK : first === 94 ? CARET : PLAIN);
  }
}

/** Tokens of one text: the head sink, and the tail runs (last run first) when the text is long. */
interface Tokenised {
  head: TokenSink;
  /** End of the run holding the last head token kept (`HEAD_TOKENS`th), or of the text. */
  headEnd: number;
  tail?: { runs: TokenSink[]; start: number; end: number };
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
 * only counted until the count shows whether a tail follows: a long text's tokens between
 * head and tail are never hashed.
 */
function tokenise(text: string, n: number, keepTexts: boolean): Tokenised {
  const head = new TokenSink(keepTexts);
  const limit = HEAD_TOKENS + TAIL_TOKENS;
  const stop = keepTexts ? limit + 1 : HEAD_TOKENS;
  let headEnd = 0;
  let i = 0;
  const hashRuns = (until: number) => {
    while (i < n && head.count < until) {
      if (isCut(text.charCodeAt(i))) {
        i++;
        continue;
      }
      const j = runEnd(text, i, n);
      if (head.count < HEAD_TOKENS) headEnd = j;
      head.run(text, i, j, runAscii);
      i = j;
    }
  };
  hashRuns(stop);
  let long = head.count > limit;
  if (!long && i < n && !keepTexts) {
    // Short enough for no tail: the rest is tokenised after all.
    if (head.count + countTokens(text, i, n, limit - head.count) <= limit) hashRuns(limit + 1);
    else long = true;
  }
  if (!long) return { head, headEnd: n };
  // More than HEAD + TAIL tokens: the tail is tokenised run by run from the end.
  const runs: TokenSink[] = [];
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
    const sink = new TokenSink(keepTexts);
    sink.run(text, k, j, bits < 128);
    runs.push(sink);
    count += sink.count;
    j = k;
  }
  return { head, headEnd, tail: { runs, start: j, end: n } };
}

/**
 * The trigger tokens of `text` with their hashes (see the module comment); identical to folding
 * the first 20,000 characters whole and tokenising them with `/\S{1,40}/g` and `cleanToken`.
 */
export function triggerTokens(text: string): TriggerTokens {
  const n = Math.min(text.length, MAX_CHARS);
  const t = tokenise(text, n, false);
  const hashes: number[] = [];
  const kinds: number[] = [];
  let source: string;
  let headLength: number;
  if (!t.tail) {
    hashes.push(...t.head.hashes);
    kinds.push(...t.head.kinds);
    source = n === text.length ? text : text.slice(0, n);
    headLength = source.length;
  } else {
    const head = t.head;
    for (let k = 0; k < HEAD_TOKENS; k++) {
      hashes.push(head.hashes[k] as number);
      kinds.push(head.kinds[k] as number);
    }
    hashes.push(0);
    kinds.push(BREAK);
    tail(t.tail.runs, (sink, k) => {
      hashes.push(sink.hashes[k] as number);
      kinds.push(sink.kinds[k] as number);
    });
    source = text.slice(0, t.headEnd) + text.slice(t.tail.start, t.tail.end);
    headLength = t.headEnd;
  }
  const breaks: number[] = [];
  const carets: number[] = [];
  for (let k = 0; k < kinds.length; k++) {
    const kind = kinds[k] as number;
    if (kind === BREAK) breaks.push(k);
    else if (kind === CARET) carets.push(k);
  }
  return { hashes: Uint32Array.from(hashes), breaks, carets, source, headLength };
}

/** Calls `each` for the last `TAIL_TOKENS` tokens of the tail runs (collected last run first), in text order. */
function tail(runs: TokenSink[], each: (sink: TokenSink, k: number) => void): void {
  let total = 0;
  for (const r of runs) total += r.count;
  let skip = total - TAIL_TOKENS;
  for (let r = runs.length - 1; r >= 0; r--) {
    const run = runs[r] as TokenSink;
    for (let k = 0; k < run.count; k++) {
      if (skip > 0) skip--;
      else each(run, k);
    }
  }
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
  const tailText = source.slice(headLength);
  const runs = new TokenSink(true);
  // The tail's runs, forward: the same tokens as the backward collection, in text order.
  let i = 0;
  while (i < tailText.length) {
    if (isCut(tailText.charCodeAt(i))) {
      i++;
      continue;
    }
    let j = i;
    let bits = 0;
    for (; j < tailText.length; j++) {
      const c = tailText.charCodeAt(j);
      if (isCut(c)) break;
      bits |= c;
    }
    runs.run(tailText, i, j, bits < 128);
    i = j;
  }
  const tailTexts = runs.texts as string[];
  return [...head.slice(0, HEAD_TOKENS), GAP, ...tailTexts.slice(tailTexts.length - TAIL_TOKENS)];
}
