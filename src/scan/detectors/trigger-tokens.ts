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
 */

/** Stands for the untokenised middle of a long text; grams never span it. */
export const GAP = '\u0000gap';
/** Tokens kept from the start of a long text. */
export const HEAD_TOKENS = 192;
/** Tokens kept from the end of a long text. */
export const TAIL_TOKENS = 64;
/** Characters of the text that are tokenised at most. */
const MAX_CHARS = 20_000;
/** Separates tokens in the joined form sent to the aggregator (never inside a token). */
export const TOKEN_SEP = '\u0001';

const TOKEN_RE = /\S{1,40}/g;
const EDGE_PUNCT_RE = /^[\p{P}]{1,5}(?=[\p{L}\p{N}])|(?<=[\p{L}\p{N}])[\p{P}]{1,5}$/gu;

/** The request-side tokens of one text. */
export interface TriggerTokens {
  tokens: string[];
  /** 32-bit FNV-1a of each token (0 for a break). */
  hashes: Uint32Array;
  /** Indices of break tokens (`GAP`), which no gram spans. */
  breaks: number[];
  /** Indices of tokens that start with `^` (their gram texts need the slow path, see the aggregator). */
  carets: number[];
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

/** ASCII whitespace, and the separator (which the tokens must not hold, so it splits like a space). */
function isCut(c: number): boolean {
  return c <= 32 && (c === 32 || (c >= 9 && c <= 13) || c === 1);
}

/** Collects tokens and their hashes. */
class TokenSink {
  tokens: string[] = [];
  hashes: number[] = [];

  /** Adds one cleaned token. */
  push(t: string, h: number): void {
    this.tokens.push(t);
    this.hashes.push(t === GAP ? 0 : h);
  }

  /** Tokens of the run `text[a, b)` (no ASCII whitespace inside; `ascii` when every code unit is). */
  run(text: string, a: number, b: number, ascii: boolean): void {
    if (!ascii) this.foldedRun(text.slice(a, b));
    else for (let s = a; s < b; s += 40) this.asciiChunk(text, s, Math.min(s + 40, b));
  }

  private foldedRun(raw: string): void {
    const folded = foldText(raw);
    TOKEN_RE.lastIndex = 0;
    for (let m = TOKEN_RE.exec(folded); m !== null; m = TOKEN_RE.exec(folded)) {
      const t = cleanToken(m[0]);
      this.push(t, hashToken(t));
    }
  }

  /** One ASCII token: `cleanToken` of the lower-cased chunk, by char class, hashed while scanned. */
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
    const t = text.slice(lo, hi);
    this.push(upper ? t.toLowerCase() : t, h >>> 0);
  }
}

/**
 * The trigger tokens of `text` with their hashes (see the module comment); identical to folding
 * the first 20,000 characters whole and tokenising them with `/\S{1,40}/g` and `cleanToken`.
 */
export function triggerTokens(text: string): TriggerTokens {
  const n = Math.min(text.length, MAX_CHARS);
  const head = new TokenSink();
  const limit = HEAD_TOKENS + TAIL_TOKENS;
  let i = 0;
  while (i < n && head.tokens.length <= limit) {
    if (isCut(text.charCodeAt(i))) {
      i++;
      continue;
    }
    let j = i;
    let bits = 0;
    for (; j < n; j++) {
      const c = text.charCodeAt(j);
      if (isCut(c)) break;
      bits |= c;
    }
    head.run(text, i, j, bits < 128);
    i = j;
  }
  if (head.tokens.length <= limit) return finish(head.tokens, head.hashes);
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
    const sink = new TokenSink();
    sink.run(text, k, j, bits < 128);
    runs.push(sink);
    count += sink.tokens.length;
    j = k;
  }
  const tailTokens: string[] = [];
  const tailHashes: number[] = [];
  for (let r = runs.length - 1; r >= 0; r--) {
    const run = runs[r] as TokenSink;
    for (let k = 0; k < run.tokens.length; k++) {
      tailTokens.push(run.tokens[k] as string);
      tailHashes.push(run.hashes[k] as number);
    }
  }
  const cut = tailTokens.length - TAIL_TOKENS;
  const tokens = head.tokens.slice(0, HEAD_TOKENS);
  const hashes = head.hashes.slice(0, HEAD_TOKENS);
  tokens.push(GAP);
  hashes.push(0);
  for (let k = cut; k < tailTokens.length; k++) {
    tokens.push(tailTokens[k] as string);
    hashes.push(tailHashes[k] as number);
  }
  return finish(tokens, hashes);
}

function finish(tokens: string[], hashes: number[]): TriggerTokens {
  const breaks: number[] = [];
  const carets: number[] = [];
  const out = new Uint32Array(hashes.length);
  for (let k = 0; k < tokens.length; k++) {
    out[k] = hashes[k] as number;
    const tok = tokens[k] as string;
    const c = tok.charCodeAt(0);
    if (c === 0 && tok === GAP) breaks.push(k);
    else if (c === 94) carets.push(k);
  }
  return { tokens, hashes: out, breaks, carets };
}
