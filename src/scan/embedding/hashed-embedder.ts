import { ArrayPool } from '../detectors/array-pool.js';
import { fmix32, wordHashes } from '../detectors/minhash.js';
import { type Embedder, l2normalize } from './embedder.js';

/** A sparse term-frequency vector over hashed word uni- and bigrams. */
export interface SparseTf {
  idx: Int32Array;
  tf: Float32Array;
}

const BITS = 20;
const MASK = (1 << BITS) - 1;

let termBuf = new Int32Array(4096);
let idBuf = new Int32Array(2048);
let countBuf = new Int32Array(2048);
let histogram = new Int32Array(64);
/** Per term id: occurrences in the current text (reset after each text). */
const termCounts = new Uint16Array(1 << BITS);
/** Two-level bitmap of the term ids present: bit per id, and bit per non-zero word of that. */
const present = new Int32Array(1 << (BITS - 5));
const presentWords = new Int32Array(1 << (BITS - 10));

/**
 * Hashed term frequencies of a text (word unigrams and bigrams, sublinear
 * 1 + log tf), keeping the `max` most frequent terms (ties: smaller term id
 * first) so one huge record cannot dominate memory. Terms come out most
 * frequent first (ascending id when all fit). Runs per record of every scan:
 * terms are counted in a table and read back in id order from a two-level
 * bitmap (no sort), and the top `max` are picked by a counting sort over the
 * small integer frequencies, all in reused typed arrays.
 */
export function sparseTf(text: string, max = 128): SparseTf {
  const words = wordHashes(text);
  const n = Math.min(words.length, 5000);
  const len = Math.max(0, 2 * n - 1);
  if (termBuf.length < len) termBuf = new Int32Array(Math.max(len, termBuf.length * 2));
  const terms = termBuf;
  let k = 0;
  for (let i = 0; i < n; i++) {
    const h = words[i] as number;
    terms[k++] = h & MASK;
    if (i > 0) terms[k++] = fmix32(Math.imul(words[i - 1] as number, 31) ^ h) & MASK;
  }
  for (let i = 0; i < len; i++) {
    const t = terms[i] as number;
    const c = termCounts[t] as number;
    termCounts[t] = c + 1;
    if (c === 0) {
      present[t >>> 5] = (present[t >>> 5] as number) | (1 << (t & 31));
      presentWords[t >>> 10] = (presentWords[t >>> 10] as number) | (1 << ((t >>> 5) & 31));
    }
  }
  if (idBuf.length < len) {
    idBuf = new Int32Array(Math.max(len, idBuf.length * 2));
    countBuf = new Int32Array(idBuf.length);
  }
  let u = 0;
  let maxCount = 0;
  for (let g = 0; g < presentWords.length; g++) {
    let groups = presentWords[g] as number;
    if (groups === 0) continue;
    presentWords[g] = 0;
    while (groups !== 0) {
      const lowGroup = groups & -groups;
      groups ^= lowGroup;
      const wi = (g << 5) | (31 - Math.clz32(lowGroup));
      let bits = present[wi] as number;
      present[wi] = 0;
      while (bits !== 0) {
        const low = bits & -bits;
        bits ^= low;
        const t = (wi << 5) | (31 - Math.clz32(low));
        const c = termCounts[t] as number;
        termCounts[t] = 0;
        idBuf[u] = t;
        countBuf[u] = c;
        if (c > maxCount) maxCount = c;
        u++;
      }
    }
  }
  if (u <= max) {
    return {
      idx: idBuf.slice(0, u),
      tf: Float32Array.from(countBuf.subarray(0, u), (c) => 1 + Math.log(c)),
    };
  }
  // Most frequent first, ties in ascending term order: a stable counting sort by
  // descending count, stopped after `max` terms.
  if (histogram.length < maxCount + 2)
    histogram = new Int32Array(Math.max(maxCount + 2, histogram.length * 2));
  const starts = histogram.subarray(0, maxCount + 2);
  starts.fill(0);
  for (let i = 0; i < u; i++) {
    const c = countBuf[i] as number;
    starts[c] = (starts[c] as number) + 1;
  }
  // starts[c]: output position of the first term with count c (higher counts first).
  let pos = 0;
  for (let c = maxCount; c >= 1; c--) {
    const m = starts[c] as number;
    starts[c] = pos;
    pos += m;
  }
  const idx = new Int32Array(max);
  const tf = new Float32Array(max);
  for (let i = 0; i < u; i++) {
    const c = countBuf[i] as number;
    const p = starts[c] as number;
    starts[c] = p + 1;
    if (p < max) {
      idx[p] = idBuf[i] as number;
      tf[p] = 1 + Math.log(c);
    }
  }
  return { idx, tf };
}

/**
 * Hashed TF-IDF projected to a dense space with a sparse random projection
 * (Achlioptas / Li: each term adds ±w to `nnz` pseudo-random coordinates,
 * derived from its hash, so no projection matrix is stored).
 */
export class HashedTfIdfEmbedder implements Embedder {
  readonly id: string;
  private docFreq = new Int32Array(1 << BITS);
  private docs = 0;

  constructor(
    readonly dim = 64,
    private readonly seed = 1,
    private readonly nnz = 4,
  ) {
    this.id = `hashed-tfidf-${dim}`;
  }

  /** Counts a document for IDF (call for every record before projecting). */
  observe(v: SparseTf): void {
    this.docs++;
    this.idfDocs = -1;
    for (const i of v.idx) this.docFreq[i] = (this.docFreq[i] as number) + 1;
  }

  /** IDF per term for `idfDocs` documents, computed on first use (NaN = not yet). */
  private idf: Float64Array | undefined;
  private idfDocs = -1;

  /** Projects one sparse vector with the IDF seen so far. */
  project(v: SparseTf): Float32Array {
    return this.projectInto(v, new Float32Array(this.dim));
  }

  /** {@link project} into `out` (length `dim`, zero-filled); returns `out`. */
  projectInto(v: SparseTf, out: Float32Array): Float32Array {
    const n = Math.max(1, this.docs);
    // Projecting every record of a dataset evaluates the same few thousand IDFs
    // over and over: remember them while the document count is unchanged.
    if (this.idfDocs !== n || !this.idf) {
      this.idf ??= new Float64Array(1 << BITS);
      this.idf.fill(Number.NaN);
      this.idfDocs = n;
    }
    const idfs = this.idf;
    for (let k = 0; k < v.idx.length; k++) {
      const term = v.idx[k] as number;
      let idf = idfs[term] as number;
      if (Number.isNaN(idf)) {
        idf = Math.log((1 + n) / (1 + (this.docFreq[term] as number))) + 1;
        idfs[term] = idf;
      }
      const w = (v.tf[k] as number) * idf;
      let h = fmix32(term ^ this.seed);
      for (let j = 0; j < this.nnz; j++) {
        h = fmix32(h + j + 0x9e3779b9);
        const coord = (h >>> 1) % this.dim;
        out[coord] = (out[coord] as number) + (h & 1 ? w : -w);
      }
    }
    return l2normalize(out);
  }

  /** Library use: fits IDF on the batch itself, then projects it. */
  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const sparse = texts.map((t) => sparseTf(t));
    for (const s of sparse) this.observe(s);
    return sparse.map((s) => this.project(s));
  }
}

/**
 * Sparse vectors of many records packed into chunked typed arrays (see
 * {@link ArrayPool}): one object per record (a SparseTf with two typed
 * arrays and their buffers) cost several hundred bytes beyond its data.
 */
export class SparseTfPool {
  private readonly idx = new ArrayPool((n) => new Int32Array(n));
  private readonly tf = new ArrayPool((n) => new Float32Array(n));

  /** Appends a vector, or a gap for a record without one; returns the slot. */
  push(v: SparseTf | undefined): number {
    this.tf.push(v?.tf);
    return this.idx.push(v?.idx);
  }

  /** The vector of a slot as views into the pool, or undefined. */
  get(slot: number): SparseTf | undefined {
    const idx = this.idx.get(slot);
    const tf = this.tf.get(slot);
    return idx && tf ? { idx, tf } : undefined;
  }

  /** Frees the memory of slots before `slot` (they must not be read again). */
  releaseBefore(slot: number): void {
    this.idx.releaseBefore(slot);
    this.tf.releaseBefore(slot);
  }
}
