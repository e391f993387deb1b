/**
 * Bounded decoding of encoded segments hidden in text (base64, hex, URL
 * percent-encoding, rot13, Unicode tag characters) so detectors can rescan
 * what an attacker encoded. Each decoded segment must look like readable text;
 * binary blobs, hashes and ids decode to noise and are dropped.
 */

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

// Sticky forms, run only where the linear scans below found a candidate start.
const BASE64_AT_RE = /[A-Za-z0-9+/_-]{24,2048}={0,2}(?![A-Za-z0-9+/_-])/y;
const HEX_AT_RE = /(?:[0-9A-Fa-f]{2}[ :]?){12,1024}(?![0-9A-Fa-f])/y;

/** Character classes of ASCII code units: bit 1 base64 (`[A-Za-z0-9+/_-]`), bit 2 hex digit. */
const CHAR_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9+/_-]/.test(ch)) CHAR_CLASS[c] = 1;
  if (/[0-9A-Fa-f]/.test(ch)) CHAR_CLASS[c] = (CHAR_CLASS[c] as number) | 2;
}

function isHexChar(c: number): boolean {
  return c < 128 && ((CHAR_CLASS[c] as number) & 2) !== 0;
}

/**
 * The base64 and hex matches, in order, in one pass over the text instead of one per
 * encoding. A base64 match is a whole run of base64 characters (the look-behind) of
 * 24..2048 characters (a longer run cannot satisfy the look-ahead anywhere), so only such
 * runs are tried. A hex match lies in a chain of hex-digit runs joined by single spaces or
 * colons; only chains of at least 24 digits are handed to the sticky regex, at each start
 * the look-behind allows (a hex digit after a non-hex character), resuming after a match as
 * `matchAll` does.
 */
function encodedMatches(text: string): { base64: string[]; hex: string[] } {
  const base64: string[] = [];
  const hex: string[] = [];
  const n = text.length;
  let runStart = -1;
  let chainStart = -1;
  let chainDigits = 0;
  const tryChain = (from: number, to: number): void => {
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
  };
  for (let j = 0; j <= n; j++) {
    const c = j < n ? text.charCodeAt(j) : -1;
    const cls = c >= 0 && c < 128 ? (CHAR_CLASS[c] as number) : 0;
    if ((cls & 1) !== 0) {
      if (runStart < 0) runStart = j;
    } else if (runStart >= 0) {
      const len = j - runStart;
      if (len >= 24 && len <= 2048) {
        BASE64_AT_RE.lastIndex = runStart;
        const m = BASE64_AT_RE.exec(text);
        if (m) base64.push(m[0]);
      }
      runStart = -1;
    }
    if ((cls & 2) !== 0) {
      if (chainStart < 0) chainStart = j;
      chainDigits++;
    } else if (chainStart >= 0) {
      // A single space or colon between hex digits continues the chain.
      const joins = (c === 32 || c === 58) && j + 1 < n && isHexChar(text.charCodeAt(j + 1));
      if (!joins) {
        if (chainDigits >= 24) tryChain(chainStart, j);
        chainStart = -1;
        chainDigits = 0;
      }
    }
  }
  return { base64, hex };
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

function decodeOne(text: string, budget: { chars: number; segments: number }): DecodedSegment[] {
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
      // Pure hex or pure digits/letters without case mix are ids and hashes, not base64 text.
      if (!/[a-z]/.test(seg) || !/[A-Z0-9+/]/.test(seg)) continue;
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
  if (ROT13_HINT_RE.test(text)) push('rot13', rot13(text));
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
  let frontier: DecodedSegment[] = decodeOne(text, budget);
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
