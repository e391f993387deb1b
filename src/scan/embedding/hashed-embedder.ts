import { fmix32, radixSort, wordHashes } from '../detectors/minhash.js';
import { type Embedder, l2normalize } from './embedder.js';

/** A sparse term-frequency vector over hashed word uni- and bigrams. */
export interface SparseTf {
  idx: Int32Array;
  tf: Float32Array;
}

const BITS = 20;
const MASK = (1 << BITS) - 1;

/**
 * Hashed term frequencies of a text (word unigrams and bigrams, sublinear
 * 1 + log tf), keeping the `max` most frequent terms so one huge record
 * cannot dominate memory.
 */
export function sparseTf(text: string, max = 128): SparseTf {
  const words = wordHashes(text);
  const n = Math.min(words.length, 5000);
  const terms = new Int32Array(Math.max(0, 2 * n - 1));
  let k = 0;
  for (let i = 0; i < n; i++) {
    const h = words[i] as number;
    terms[k++] = h & MASK;
    if (i > 0) terms[k++] = fmix32(Math.imul(words[i - 1] as number, 31) ^ h) & MASK;
  }
  // Counting by sort + run lengths on typed arrays: a Map per record was the hot spot.
  radixSort(terms);
  const ids: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < terms.length; ) {
    let j = i + 1;
    while (j < terms.length && terms[j] === terms[i]) j++;
    ids.push(terms[i] as number);
    counts.push(j - i);
    i = j;
  }
  let order = ids.map((_, i) => i);
  if (order.length > max)
    order = order.sort((a, b) => (counts[b] as number) - (counts[a] as number) || a - b).slice(0, max);
  return {
    idx: Int32Array.from(order, (i) => ids[i] as number),
    tf: Float32Array.from(order, (i) => 1 + Math.log(counts[i] as number)),
  };
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
    for (const i of v.idx) this.docFreq[i] = (this.docFreq[i] as number) + 1;
  }

  /** Projects one sparse vector with the IDF seen so far. */
  project(v: SparseTf): Float32Array {
    const out = new Float32Array(this.dim);
    const n = Math.max(1, this.docs);
    for (let k = 0; k < v.idx.length; k++) {
      const term = v.idx[k] as number;
      const idf = Math.log((1 + n) / (1 + (this.docFreq[term] as number))) + 1;
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
