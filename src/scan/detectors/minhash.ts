import { mulberry32 } from '../seeded-random.js';
import { SimdSignatureKernel, WordHashKernel } from './minhash-kernel.js';
import { StampedIntSet } from './stamped-int-set.js';
/**
 * MinHash signatures and LSH banding, hand-written because this is the hot
 * loop of the scan: 32-bit arithmetic with `Math.imul` on typed arrays is
 * several times faster than a general library working with 64-bit mod-prime
 * hashing, and needs no allocation per shingle.
 */

/**
 * murmur3 finaliser: spreads the bits of a 32-bit value. Returns a *signed*
 * int32: V8 keeps int32 values unboxed in registers while uint32 values above
 * 2^31 become doubles, which made the MinHash loop ~3x slower. Any fixed total
 * order works for MinHash, so signed order is as good as unsigned.
 */
export function fmix32(h: number): number {
  let x = h;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x | 0;
}

/**
 * ASCII code unit -> the code unit hashed for it (lower-cased letters, digits),
 * or 0 for a separator.
 */
const ASCII_FOLD = new Uint8Array(128);
for (let c = 48; c <= 57; c++) ASCII_FOLD[c] = c;
for (let c = 65; c <= 90; c++) ASCII_FOLD[c] = c | 0x20;
for (let c = 97; c <= 122; c++) ASCII_FOLD[c] = c;

let scratchBuf = new Int32Array(4096);
/** A reusable buffer for word hashes: allocation per record was a measurable share of the time. */
function scratch(n: number): Int32Array {
  if (scratchBuf.length < n) scratchBuf = new Int32Array(Math.max(n, scratchBuf.length * 2));
  return scratchBuf;
}

/** Non-ASCII: everything is word material except common space and punctuation blocks. */
function isNonAsciiWordUnit(c: number): boolean {
  return !(c === 0xa0 || (c >= 0x2000 && c <= 0x206f) || (c >= 0x3000 && c <= 0x303f) || c === 0xfeff);
}

/** Shingling settings: word n-grams (robust to re-flowed text) or character n-grams (robust to typos). */
export interface ShingleOptions {
  unit: 'word' | 'char';
  n: number;
}

/**
 * Every UTF-16 code unit -> the unit hashed for it (ASCII letters and digits,
 * other word units lower-cased one at a time), or 0 for a separator. It
 * defines words for both the WebAssembly kernel and the scalar loop.
 */
let foldTable: Uint16Array | undefined;
function fold(): Uint16Array {
  if (foldTable) return foldTable;
  const t = new Uint16Array(65536);
  for (let c = 0; c < 128; c++) t[c] = ASCII_FOLD[c] as number;
  for (let c = 128; c < 65536; c++) {
    if (!isNonAsciiWordUnit(c)) continue;
    t[c] = c < 0xd800 ? String.fromCharCode(c).toLowerCase().charCodeAt(0) : c;
  }
  foldTable = t;
  return t;
}

// null: not created yet; undefined: unavailable (scalar loop).
let wordKernel: WordHashKernel | undefined | null = null;

// A detector may hash the same text twice in a row (label consistency: the text's key, then its
// features): the last result is remembered, keyed by the string. Different detectors no longer
// hit it for the same record: each runs over a whole batch before the next (see
// `createBatchProcessor`), which measured faster than sharing these hashes.
let memoText: string | undefined;
let memoCount = 0;

/**
 * Hashes of the words of a text (FNV-1a over lower-cased code units, words
 * split on non-word characters) in one pass, without regexes or substrings.
 * Returns a view of a reused buffer: copy it before the next call, and never
 * write to it (a repeated call with the same text returns the same view).
 */
export function wordHashes(text: string): Int32Array {
  if (text === memoText) return scratchBuf.subarray(0, memoCount);
  const len = text.length;
  const words = scratch((len >> 1) + 2);
  if (wordKernel === null) wordKernel = useSimd ? WordHashKernel.create(fold()) : undefined;
  let nw: number;
  if (wordKernel && len >= 64) nw = wordKernel.hash(text, words);
  else nw = scalarWordHashes(text, words);
  memoText = text;
  memoCount = nw;
  return words.subarray(0, nw);
}

/** The scalar loop of {@link wordHashes}; writes into `words`, returns the count. */
function scalarWordHashes(text: string, words: Int32Array): number {
  const len = text.length;
  let nw = 0;
  let h = 0x811c9dc5 | 0;
  let inWord = false;
  for (let i = 0; i < len; i++) {
    let c = text.charCodeAt(i);
    if (c < 128) {
      c = ASCII_FOLD[c] as number;
      if (c !== 0) {
        h = Math.imul(h ^ c, 0x01000193);
        inWord = true;
        continue;
      }
    } else if (isNonAsciiWordUnit(c)) {
      // Non-ASCII case folding is rare in the hot path; fold one code unit at a time.
      if (c < 0xd800) c = String.fromCharCode(c).toLowerCase().charCodeAt(0);
      h = Math.imul(h ^ c, 0x01000193);
      inWord = true;
      continue;
    }
    if (inWord) {
      words[nw++] = fmix32(h);
      h = 0x811c9dc5 | 0;
      inWord = false;
    }
  }
  if (inWord) words[nw++] = fmix32(h);
  return nw;
}

let shingleBuf = new Int32Array(4096);

/**
 * Hashes of every shingle of a text in text order, duplicates kept. Returns a
 * view of a reused buffer (valid until the next call).
 */
function shingleStream(text: string, opts: ShingleOptions): Int32Array {
  if (opts.unit === 'char') return charShingles(text.toLowerCase(), opts.n);
  const words = wordHashes(text);
  const nw = words.length;
  const n = opts.n;
  if (nw === 0) return shingleBuf.subarray(0, 0);
  const count = Math.max(1, nw - n + 1);
  if (shingleBuf.length < count) shingleBuf = new Int32Array(Math.max(count, shingleBuf.length * 2));
  const out = shingleBuf;
  // The default shingle in the word kernel, from the word hashes still in its memory.
  if (n === 3 && nw >= 3 && wordKernel?.shingles3(text, out)) return out.subarray(0, count);
  if (n === 3 && nw >= 3) {
    // The default shingle, unrolled: the same value as the general loop below.
    let w0 = words[0] as number;
    let w1 = words[1] as number;
    for (let i = 0; i < count; i++) {
      const w2 = words[i + 2] as number;
      let s = (Math.imul((0x9747b28c | 0) ^ w0, 0x5bd1e995) + 0x1b873593) | 0;
      s = (Math.imul(s ^ w1, 0x5bd1e995) + 0x1b873593) | 0;
      s = (Math.imul(s ^ w2, 0x5bd1e995) + 0x1b873593) | 0;
      out[i] = fmix32(s);
      w0 = w1;
      w1 = w2;
    }
    return out.subarray(0, count);
  }
  for (let i = 0; i < count; i++) {
    let s = 0x9747b28c | 0;
    const end = Math.min(nw, i + n);
    for (let j = i; j < end; j++) s = (Math.imul(s ^ (words[j] as number), 0x5bd1e995) + 0x1b873593) | 0;
    out[i] = fmix32(s);
  }
  return out.subarray(0, count);
}

function charShingles(lower: string, n: number): Int32Array {
  const t = lower.replace(/\s+/g, ' ').trim();
  if (t.length === 0) return shingleBuf.subarray(0, 0);
  const count = Math.max(1, t.length - n + 1);
  if (shingleBuf.length < count) shingleBuf = new Int32Array(Math.max(count, shingleBuf.length * 2));
  const out = shingleBuf;
  for (let i = 0; i < count; i++) {
    let s = 0x811c9dc5;
    const end = Math.min(t.length, i + n);
    for (let j = i; j < end; j++) s = Math.imul(s ^ t.charCodeAt(j), 0x01000193);
    out[i] = fmix32(s);
  }
  return out.subarray(0, count);
}

const uniqueSet = new StampedIntSet();

/**
 * The de-duplicated 32-bit hashes of a text's shingles in first-occurrence
 * order (deterministic, unsorted: a hash set is cheaper than sorting). Text is
 * lower-cased and split on non-word characters (words) or
 * whitespace-collapsed (chars). A text shorter than one shingle yields one
 * shingle for the whole text.
 */
export function shingleSet(text: string, opts: ShingleOptions): Int32Array {
  const all = shingleStream(text, opts);
  uniqueSet.reset(all.length);
  let w = 0;
  for (let i = 0; i < all.length; i++) {
    const v = all[i] as number;
    if (uniqueSet.add(v)) all[w++] = v;
  }
  return all.slice(0, w);
}

/** The sorted, de-duplicated shingle hashes of a text (see {@link shingleSet}). */
export function shingleHashes(text: string, opts: ShingleOptions): Int32Array {
  return sortUnique(shingleStream(text, opts).slice());
}

/**
 * Every shingle hash of a text in text order, duplicates kept (a new array).
 * MinHash ignores duplicates, and {@link JaccardProbe} compares the distinct
 * values, so the per-record work can skip de-duplication entirely.
 */
export function shingleList(text: string, opts: ShingleOptions): Int32Array {
  return shingleStream(text, opts).slice();
}

/**
 * Exact Jaccard similarity of one shingle set against many: the set is
 * loaded into a hash table once, then each other set costs one probe per
 * element. Inputs may hold duplicates (as {@link shingleList} returns them)
 * and be in any order: only their distinct values count.
 */
export class JaccardProbe {
  private readonly set = new StampedIntSet();
  private readonly seen = new StampedIntSet();
  private size = -1;

  /** Makes `a` the set the next {@link similarity} calls compare against. */
  load(a: Int32Array): void {
    this.set.reset(a.length);
    let distinct = 0;
    for (let i = 0; i < a.length; i++) if (this.set.add(a[i] as number)) distinct++;
    this.size = distinct;
  }

  /** |A ∩ B| / |A ∪ B| over distinct values, for the loaded A. */
  similarity(b: Int32Array): number {
    this.seen.reset(b.length);
    let inter = 0;
    let distinct = 0;
    for (let i = 0; i < b.length; i++) {
      const v = b[i] as number;
      if (!this.seen.add(v)) continue;
      distinct++;
      if (this.set.has(v)) inter++;
    }
    if (this.size === 0 && distinct === 0) return 1;
    return inter / (this.size + distinct - inter);
  }
}

let radixTmp = new Int32Array(4096);
const counts = new Int32Array(256);

/**
 * Sorts int32 values in place (signed order). An LSD radix sort, 4 passes of
 * 8 bits: for the few hundred to few thousand values per record it measured
 * several times faster than `TypedArray.prototype.sort`.
 */
export function radixSort(a: Int32Array): Int32Array {
  const n = a.length;
  if (n <= 64) return a.sort();
  if (radixTmp.length < n) radixTmp = new Int32Array(Math.max(n, radixTmp.length * 2));
  let src: Int32Array = a;
  let dst: Int32Array = radixTmp.subarray(0, n);
  for (let shift = 0; shift < 32; shift += 8) {
    counts.fill(0);
    // The top byte is flipped so negative numbers sort first (signed order).
    const flip = shift === 24 ? 0x80 : 0;
    for (let i = 0; i < n; i++) {
      const d = (((src[i] as number) >>> shift) & 0xff) ^ flip;
      counts[d] = (counts[d] as number) + 1;
    }
    let sum = 0;
    for (let d = 0; d < 256; d++) {
      const c = counts[d] as number;
      counts[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const v = src[i] as number;
      const d = ((v >>> shift) & 0xff) ^ flip;
      dst[counts[d] as number] = v;
      counts[d] = (counts[d] as number) + 1;
    }
    const t = src;
    src = dst;
    dst = t;
  }
  // After an even number of passes the sorted data is back in `a`.
  return a;
}

/** Sorts and de-duplicates; returns a new, exactly sized array. */
function sortUnique(a: Int32Array): Int32Array {
  radixSort(a);
  let w = 0;
  for (let i = 0; i < a.length; i++) if (i === 0 || a[i] !== a[w - 1]) a[w++] = a[i] as number;
  return a.slice(0, w);
}

/** Exact Jaccard similarity of two sorted unique hash sets (merge walk). */
export function jaccard(a: Int32Array, b: Int32Array): number {
  if (a.length === 0 && b.length === 0) return 1;
  let i = 0;
  let j = 0;
  let inter = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as number;
    const y = b[j] as number;
    if (x === y) {
      inter++;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return inter / (a.length + b.length - inter);
}

/**
 * MinHash with `numPerm` hash functions derived from one base hash per
 * shingle: h_k(x) = xorshift(imul(x ^ b_k, a_k)) with odd a_k, a bijection of
 * 32-bit values per k (cheap universal-style permutations).
 */
let useSimd = true;

/**
 * Turns the WebAssembly kernels off or on (tests compare both paths); affects
 * hashers created later and word hashing from the next text on.
 */
export function setMinHashSimd(enabled: boolean): void {
  useSimd = enabled;
  wordKernel = null;
  memoText = undefined;
}

export class MinHasher {
  readonly a: Int32Array;
  readonly b: Int32Array;

  constructor(
    readonly numPerm: number,
    seed: number,
  ) {
    const rnd = mulberry32(seed);
    this.a = new Int32Array(numPerm);
    this.b = new Int32Array(numPerm);
    for (let k = 0; k < numPerm; k++) {
      this.a[k] = rnd() | 1;
      this.b[k] = rnd();
    }
  }

  /** null: not created yet (created on first use, per thread); undefined: scalar loop only. */
  private kernel: SimdSignatureKernel | undefined | null = useSimd ? null : undefined;

  /** The MinHash signature of a set of shingle hashes (order and duplicates do not matter). */
  signature(shingles: Int32Array): Int32Array {
    const sig = new Int32Array(this.numPerm);
    // The WebAssembly SIMD kernel computes the same values as the scalar loop, faster.
    if (this.kernel === null) this.kernel = SimdSignatureKernel.create(this.a, this.b);
    if (this.kernel) {
      this.kernel.signature(shingles, sig);
      this.scalar(shingles, sig, this.kernel.simdPerms);
    } else this.scalar(shingles, sig, 0);
    return sig;
  }

  /** The scalar loop for permutations `from`..numPerm. */
  private scalar(shingles: Int32Array, sig: Int32Array, from: number): void {
    const n = shingles.length;
    const { a, b } = this;
    let k = from;
    // Four permutations per pass over the shingles: one load per shingle feeds four
    // independent multiply/min chains, which the CPU overlaps.
    for (; k + 4 <= this.numPerm; k += 4) {
      const a0 = a[k] as number;
      const a1 = a[k + 1] as number;
      const a2 = a[k + 2] as number;
      const a3 = a[k + 3] as number;
      const b0 = b[k] as number;
      const b1 = b[k + 1] as number;
      const b2 = b[k + 2] as number;
      const b3 = b[k + 3] as number;
      let m0 = 0x7fffffff;
      let m1 = 0x7fffffff;
      let m2 = 0x7fffffff;
      let m3 = 0x7fffffff;
      for (let i = 0; i < n; i++) {
        const s = shingles[i] as number;
        let x0 = Math.imul(s ^ b0, a0);
        let x1 = Math.imul(s ^ b1, a1);
        let x2 = Math.imul(s ^ b2, a2);
        let x3 = Math.imul(s ^ b3, a3);
        x0 ^= x0 >>> 15;
        x1 ^= x1 >>> 15;
        x2 ^= x2 >>> 15;
        x3 ^= x3 >>> 15;
        if (x0 < m0) m0 = x0;
        if (x1 < m1) m1 = x1;
        if (x2 < m2) m2 = x2;
        if (x3 < m3) m3 = x3;
      }
      sig[k] = m0;
      sig[k + 1] = m1;
      sig[k + 2] = m2;
      sig[k + 3] = m3;
    }
    for (; k < this.numPerm; k++) {
      const ak = a[k] as number;
      const bk = b[k] as number;
      let min = 0x7fffffff;
      for (let i = 0; i < n; i++) {
        let x = Math.imul((shingles[i] as number) ^ bk, ak);
        x ^= x >>> 15;
        if (x < min) min = x;
      }
      sig[k] = min;
    }
  }
}

function integrate(f: (s: number) => number, a: number, b: number, steps = 200): number {
  // Simpson's rule; the integrands are smooth polynomials in s.
  const h = (b - a) / steps;
  let sum = f(a) + f(b);
  for (let i = 1; i < steps; i++) sum += f(a + i * h) * (i % 2 === 0 ? 2 : 4);
  return (sum * h) / 3;
}

/** LSH banding parameters: `bands` bands of `rows` rows each (bands * rows <= numPerm). */
export interface LshParams {
  bands: number;
  rows: number;
}

/**
 * Chooses (bands, rows) for a Jaccard threshold by minimising the weighted
 * false-positive area (∫0..t P) plus false-negative area (∫t..1 1-P) of the
 * candidate probability P(s) = 1 - (1 - s^r)^b, as datasketch's
 * `_optimal_param` does. Candidates are confirmed by exact Jaccard, so false
 * positives only cost time: the default weights favour recall.
 */
export function optimalLshParams(
  threshold: number,
  numPerm: number,
  weights: { falsePositive: number; falseNegative: number } = { falsePositive: 0.1, falseNegative: 0.9 },
): LshParams {
  let best: LshParams = { bands: 1, rows: numPerm };
  let bestError = Number.POSITIVE_INFINITY;
  for (let b = 1; b <= numPerm; b++) {
    const maxR = Math.floor(numPerm / b);
    for (let r = 1; r <= maxR; r++) {
      const p = (s: number) => 1 - (1 - s ** r) ** b;
      const fp = integrate(p, 0, threshold);
      const fn = integrate((s) => 1 - p(s), threshold, 1);
      const err = fp * weights.falsePositive + fn * weights.falseNegative;
      if (err < bestError) {
        bestError = err;
        best = { bands: b, rows: r };
      }
    }
  }
  return best;
}

/** Hashes each band of a signature to one 32-bit key (band index mixed in, so bands never collide). */
export function bandKeys(sig: Int32Array, params: LshParams): Int32Array {
  const keys = new Int32Array(params.bands);
  for (let band = 0; band < params.bands; band++) {
    let h = Math.imul(band + 1, 0x9e3779b1);
    const start = band * params.rows;
    for (let r = 0; r < params.rows; r++)
      h = Math.imul(h ^ (sig[start + r] as number), 0x01000193) + 0x7f4a7c15;
    keys[band] = fmix32(h);
  }
  return keys;
}
