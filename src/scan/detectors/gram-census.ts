/**
 * Record frequencies and postings of every trigger gram without a hash table: the records'
 * token hashes are pooled in one typed array (about 1 KB per long record, instead of 4 KB of gram
 * ids and a count table of tens of millions of cells), and at the end the grams are regenerated
 * partition by partition (by the high bits of their ids), each partition radix-sorted as
 * (gram id, occurrence) pairs. A run of equal ids then holds the gram's occurrences in dataset
 * order: its distinct records give the record frequency and the postings, its first occurrence
 * the gram's first-seen position. Sequential passes over a few MB instead of ~40 M random
 * increments into a table far larger than the caches.
 *
 * Grams are the 1-4-grams of the tokens (never spanning a break token) and, at a record's first
 * token, the fixed prefixes of 1-4 tokens; ids are the unsigned, odd 32-bit FNV-1a combinations
 * of the token hashes (see `gramId`).
 */

/** Bits of an occurrence that give the gram's place in its record (`localIndex`). */
export const LOCAL_BITS = 11;
/** Records a pool holds at most (occurrences are `record << LOCAL_BITS | local` in 32 bits). */
export const MAX_POOL_RECORDS = 2 ** (32 - LOCAL_BITS);
/** Longest gram. */
export const MAX_N = 4;
/** Tokens a record may hold (the local index of its last gram must fit `LOCAL_BITS`). */
export const MAX_RECORD_TOKENS = 256 + 1;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const PREFIX_SALT = 0x5bd1e995;

/**
 * The place of a gram in its record, in generation order: at token 0 the 1-4-grams and the
 * prefixes interleave (`0..7`: 1-gram, 1-prefix, 2-gram, 2-prefix, ...), later tokens have four
 * slots each. Increasing local indices are the order in which a record's grams are first seen.
 */
export function localIndex(token: number, n: number, prefix: boolean): number {
  return token === 0 ? (n - 1) * 2 + (prefix ? 1 : 0) : 8 + (token - 1) * 4 + (n - 1);
}

/** First token of the gram at `local`. */
export function localToken(local: number): number {
  return local < 8 ? 0 : ((local - 8) >> 2) + 1;
}

/** Length in tokens of the gram at `local`. */
export function localLength(local: number): number {
  return local < 8 ? (local >> 1) + 1 : ((local - 8) & 3) + 1;
}

/** Whether the gram at `local` is a fixed prefix. */
export function localIsPrefix(local: number): boolean {
  return local < 8 && (local & 1) === 1;
}

/** Whether the gram at `local` is a 1-gram (not a prefix). */
export function localIsUnigram(local: number): boolean {
  return local === 0 || (local >= 8 && ((local - 8) & 3) === 0);
}

/** Id of the gram over token hashes `hashes` (a fixed prefix when `prefix`). */
export function gramId(hashes: readonly number[], prefix: boolean): number {
  let h = FNV_OFFSET;
  for (const t of hashes) h = Math.imul(h ^ t, FNV_PRIME);
  if (prefix) h = Math.imul(h ^ PREFIX_SALT, FNV_PRIME);
  return (h | 1) >>> 0;
}

/** Id of the 1-gram of a token hash. */
export function unigramId(hash: number): number {
  return (Math.imul(FNV_OFFSET ^ hash, FNV_PRIME) | 1) >>> 0;
}

/** Token hashes of the mined records, pooled; break tokens listed by pool position. */
export class TokenPool {
  private hashes = new Uint32Array(1 << 16);
  private starts = new Uint32Array(1 << 10);
  private readonly breakList: number[] = [];
  private records = 0;
  private size = 0;

  /** Records held. */
  get recordCount(): number {
    return this.records;
  }

  /** Tokens held. */
  get tokenCount(): number {
    return this.size;
  }

  /** Appends a record's token hashes; `breaks` are indices (ascending) of its break tokens. */
  append(hashes: Uint32Array, breaks: readonly number[]): void {
    if (hashes.length > MAX_RECORD_TOKENS) throw new RangeError('too many tokens in one record');
    if (this.records + 2 > this.starts.length) {
      const grown = new Uint32Array(this.starts.length * 2);
      grown.set(this.starts);
      this.starts = grown;
    }
    if (this.size + hashes.length > this.hashes.length) {
      let cap = this.hashes.length * 2;
      while (cap < this.size + hashes.length) cap *= 2;
      const grown = new Uint32Array(cap);
      grown.set(this.hashes.subarray(0, this.size));
      this.hashes = grown;
    }
    this.hashes.set(hashes, this.size);
    for (const b of breaks) this.breakList.push(this.size + b);
    this.size += hashes.length;
    this.records++;
    this.starts[this.records] = this.size;
  }

  /** The token hashes by pool position (valid until the next `append`). */
  get hashArray(): Uint32Array {
    return this.hashes;
  }

  /** Pool position of each record's first token, then the token count (valid until the next `append`). */
  get startArray(): Uint32Array {
    return this.starts;
  }

  /** Pool position of record `r`'s first token. */
  start(r: number): number {
    return this.starts[r] as number;
  }

  /** Tokens of record `r`. */
  length(r: number): number {
    return (this.starts[r + 1] as number) - (this.starts[r] as number);
  }

  /** Hash of the token at pool position `p`. */
  hash(p: number): number {
    return this.hashes[p] as number;
  }

  /** Pool positions of the break tokens, ascending. */
  get breakPositions(): readonly number[] {
    return this.breakList;
  }
}

/**
 * Partitions for a pool: a power of two keeping each partition at most `target` occurrences
 * (16 bytes each while sorted; every partition regenerates all grams, so fewer is faster).
 */
export function partitionsFor(pool: TokenPool, target = 12 << 20): number {
  const bound = MAX_N * pool.tokenCount + MAX_N * pool.recordCount;
  let p = 1;
  while (bound / p > target && p < 1 << 12) p *= 2;
  return p;
}

/** The pool's arrays as the partition sort reads them (plain typed arrays: they can be shared with a thread). */
export interface PoolArrays {
  /** Token hashes by pool position, as int32 bit patterns. */
  hashes: Int32Array;
  /** Pool position of each record's first token, then the token count. */
  starts: Uint32Array;
  /** Pool positions of the break tokens, ascending. */
  breaks: ArrayLike<number>;
  records: number;
}

/** A pool's arrays for `sortPartition` (views, not copies: valid until the next `append`). */
export function poolArrays(pool: TokenPool): PoolArrays {
  return {
    hashes: new Int32Array(pool.hashArray.buffer, 0, pool.tokenCount),
    starts: pool.startArray.subarray(0, pool.recordCount + 1),
    breaks: pool.breakPositions,
    records: pool.recordCount,
  };
}

/** Capacity that holds one partition's occurrences (with a margin for uneven partitions). */
export function partitionCapacity(
  pool: { tokenCount: number; recordCount: number },
  partitions: number,
): number {
  const bound = MAX_N * pool.tokenCount + MAX_N * pool.recordCount;
  return Math.ceil((bound / partitions) * 1.1) + 4096;
}

/**
 * Regenerates partition `part` of `partitions` and radix-sorts it by gram id (stable, so each id's
 * occurrences stay in dataset order); returns the buffers holding the sorted `ids`/`occ` and how
 * many. `buffers` may grow; pass the same object for the next partition to reuse its arrays.
 */
export function sortPartition(
  arrays: PoolArrays,
  part: number,
  partitions: number,
  buffers: PartitionBuffers,
): { ids: Int32Array; occ: Int32Array; length: number } {
  const partBits = Math.log2(partitions);
  // Bit 0 is always 1 and the top bits are the partition: sort bits [1, 32 - partBits).
  const sortBits = 31 - partBits;
  const passes = Math.max(1, Math.ceil(sortBits / 11));
  const width = Math.ceil(sortBits / passes);
  const counts = new Uint32Array(passes << width);
  const len = collect(arrays, part, partBits, buffers);
  let ids = buffers.ids;
  let occ = buffers.occ;
  let toIds = buffers.tmpIds;
  let toOcc = buffers.tmpOcc;
  const mask = (1 << width) - 1;
  // One read for every pass's histogram, then one scatter per pass (stable: LSD).
  for (let k = 0; k < len; k++) {
    const id = ids[k] as number;
    for (let pass = 0; pass < passes; pass++) {
      const d = (pass << width) + ((id >>> (1 + pass * width)) & mask);
      counts[d] = (counts[d] as number) + 1;
    }
  }
  for (let pass = 0; pass < passes; pass++) {
    const shift = 1 + pass * width;
    const off = pass << width;
    let sum = 0;
    for (let d = 0; d <= mask; d++) {
      const c = counts[off + d] as number;
      counts[off + d] = sum;
      sum += c;
    }
    for (let k = 0; k < len; k++) {
      const id = ids[k] as number;
      const d = off + ((id >>> shift) & mask);
      const at = counts[d] as number;
      counts[d] = at + 1;
      toIds[at] = id;
      toOcc[at] = occ[k] as number;
    }
    const i2 = ids;
    ids = toIds;
    toIds = i2;
    const o2 = occ;
    occ = toOcc;
    toOcc = o2;
  }
  return { ids, occ, length: len };
}

/** What `visit` receives: one partition's occurrences sorted by gram id (int32 bit patterns; `>>> 0` gives the unsigned values). */
export type PartitionVisitor = (ids: Int32Array, occurrences: Int32Array, length: number) => void;

/**
 * Calls `visit` once per partition, in partition order, with its occurrences sorted by gram id
 * (stable, so each id's occurrences stay in dataset order). The arrays are reused between
 * partitions.
 */
export function sortedPartitions(
  pool: TokenPool,
  visit: PartitionVisitor,
  partitions = partitionsFor(pool),
): void {
  const arrays = poolArrays(pool);
  const buffers = new PartitionBuffers(partitionCapacity(pool, partitions));
  for (let part = 0; part < partitions; part++) {
    const sorted = sortPartition(arrays, part, partitions, buffers);
    visit(sorted.ids, sorted.occ, sorted.length);
  }
}

/** The reused arrays of one partition: occurrences and the radix sort's second copy. */
export class PartitionBuffers {
  ids: Int32Array;
  occ: Int32Array;
  tmpIds: Int32Array;
  tmpOcc: Int32Array;

  constructor(cap: number) {
    this.ids = new Int32Array(cap);
    this.occ = new Int32Array(cap);
    this.tmpIds = new Int32Array(cap);
    this.tmpOcc = new Int32Array(cap);
  }

  /** Doubles the capacity, keeping the first `len` occurrences. */
  grow(len: number): void {
    const cap = this.ids.length * 2;
    const ids = new Int32Array(cap);
    const occ = new Int32Array(cap);
    ids.set(this.ids.subarray(0, len));
    occ.set(this.occ.subarray(0, len));
    this.ids = ids;
    this.occ = occ;
    this.tmpIds = new Int32Array(cap);
    this.tmpOcc = new Int32Array(cap);
  }
}

/**
 * Regenerates every gram of the pool and keeps those of partition `part` (the top `partBits`
 * bits of the id) in `buffers`, in dataset order; returns how many. Grams of the same record
 * come in the order of their local index.
 */
function collect(arrays: PoolArrays, part: number, partBits: number, buffers: PartitionBuffers): number {
  // Int32 views keep the hot loop in 32-bit integer arithmetic (uint32 loads above 2^31 are doubles).
  const { hashes, starts, breaks } = arrays;
  const hiMask = partBits === 0 ? 0 : (0xffffffff << (32 - partBits)) | 0;
  const want = partBits === 0 ? 0 : (part << (32 - partBits)) | 0;
  let ids = buffers.ids;
  let occ = buffers.occ;
  let cap = ids.length;
  let len = 0;
  let bp = 0;
  const records = arrays.records;
  for (let r = 0; r < records; r++) {
    const s = starts[r] as number;
    const e = starts[r + 1] as number;
    const base = r << LOCAL_BITS; // int32: occurrences of records >= 2^20 are negative here
    let from = s;
    while (from < e) {
      while (bp < breaks.length && (breaks[bp] as number) < from) bp++;
      const to = bp < breaks.length && (breaks[bp] as number) < e ? (breaks[bp] as number) : e;
      // A record's grams are at most 4 per token + 4 prefixes: room for one record's worth.
      if (len + MAX_N * (to - from) + MAX_N > cap) {
        buffers.grow(len);
        ids = buffers.ids;
        occ = buffers.occ;
        cap = ids.length;
      }
      let g = from;
      if (g === s && g < to) {
        // Token 0: its 1-4-grams and the fixed prefixes, interleaved (local 0..7).
        let h = FNV_OFFSET;
        const stop = Math.min(s + MAX_N, to);
        for (let k = s; k < stop; k++) {
          h = Math.imul(h ^ (hashes[k] as number), FNV_PRIME);
          const n = k - s + 1;
          if ((h & hiMask) === want) {
            ids[len] = h | 1;
            occ[len++] = base + (n - 1) * 2;
          }
          const p = Math.imul(h ^ PREFIX_SALT, FNV_PRIME);
          if ((p & hiMask) === want) {
            ids[len] = p | 1;
            occ[len++] = base + (n - 1) * 2 + 1;
          }
        }
        g++;
      }
      for (; g < to; g++) {
        let h = FNV_OFFSET;
        const stop = g + MAX_N < to ? g + MAX_N : to;
        // local = 8 + (i - 1) * 4 + (n - 1) for token i = g - s and length n = k - g + 1.
        const local = base + 4 * (g - s) + 3 - g;
        for (let k = g; k < stop; k++) {
          h = Math.imul(h ^ (hashes[k] as number), FNV_PRIME);
          if ((h & hiMask) === want) {
            ids[len] = h | 1;
            occ[len++] = local + k + 1;
          }
        }
      }
      from = to + 1;
    }
  }
  return len;
}
