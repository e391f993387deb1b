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
import { GramSortKernel } from './gram-sort-kernel.js';

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
  /**
   * On shared memory: the census threads and the label-test thread read the pool as it is, where
   * a copy of the largest array after the scan would cost tens of milliseconds each time.
   */
  private hashes = new Uint32Array(new SharedArrayBuffer(4 << 16));
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
      const grown = new Uint32Array(new SharedArrayBuffer(cap * 4));
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

/** One partition's occurrences sorted by gram id (int32 bit patterns), in `ids[0, length)` / `occ[0, length)`. */
export interface SortedPartition {
  ids: Int32Array;
  occ: Int32Array;
  length: number;
}

/**
 * Regenerates partition `part` of `partitions` and radix-sorts it by gram id (stable, so each id's
 * occurrences stay in dataset order). `buffers` may grow; pass the same object for the next
 * partition to reuse its arrays. The result is valid until the buffers are used again.
 */
export function sortPartition(
  arrays: PoolArrays,
  part: number,
  partitions: number,
  buffers: PartitionBuffers,
): SortedPartition {
  let out: SortedPartition | undefined;
  sortPartitionGroup(arrays, part, 1, partitions, buffers, (_, sorted) => {
    out = sorted;
  });
  return out as SortedPartition;
}

/**
 * Partitions `first .. first + count - 1` of `partitions`, regenerated in one pass over the pool
 * (the regeneration costs as much as a sort: one pass for several partitions saves the rest) and
 * then sorted one by one; `sorted` receives each in order, valid until it returns. `count` must be
 * a power of two that divides `first`; `buffers` must have at least `count` regions.
 */
export function sortPartitionGroup(
  arrays: PoolArrays,
  first: number,
  count: number,
  partitions: number,
  buffers: PartitionBuffers,
  sorted: (part: number, partition: SortedPartition) => void,
): void {
  if (count < 1 || (count & (count - 1)) !== 0 || first % count !== 0 || first + count > partitions)
    throw new RangeError(`bad partition group ${first}+${count} of ${partitions}`);
  if (buffers.regions < count)
    throw new RangeError(`partition buffers hold ${buffers.regions} regions, not ${count}`);
  const partBits = Math.log2(partitions);
  const lens = collect(arrays, first, count, partBits, buffers);
  for (let k = 0; k < count; k++) {
    const len = lens[k] as number;
    sorted(
      first + k,
      buffers.kernel
        ? kernelSort(buffers, buffers.kernel, k, len, partBits)
        : radixSort(buffers, k, len, partBits),
    );
  }
}

/** Id bits of the first, scattering pass of `radixSort`. */
const TOP_BITS = 8;
/** Widest digit of the in-bucket passes (1024 counters: the bucket and its counts stay in cache). */
const LOW_DIGIT_BITS = 10;

/** The digits both radix sorts use for a partition's ids; they must agree for the sorts to agree. */
interface SortPlan {
  /** Shift of the first pass's digit; `buckets - 1` masks it. */
  topShift: number;
  buckets: number;
  /** In-bucket passes over bits [1, topShift), each `width` bits wide (`mask`). */
  passes: number;
  width: number;
  mask: number;
}

function sortPlan(partBits: number): SortPlan {
  // Bit 0 is always 1 and the top bits are the partition: sort bits [1, 32 - partBits).
  const topBits = Math.min(TOP_BITS, 31 - partBits);
  const topShift = 32 - partBits - topBits;
  const lowBits = topShift - 1;
  const passes = lowBits > 0 ? Math.ceil(lowBits / LOW_DIGIT_BITS) : 0;
  const width = passes > 0 ? Math.ceil(lowBits / passes) : 0;
  return { topShift, buckets: 1 << topBits, passes, width, mask: (1 << width) - 1 };
}

/**
 * Radix-sorts region `k` of `buffers` (its first `len` occurrences) by the id bits below the
 * partition bits, stably. One most-significant-digit pass scatters the region into 256 buckets
 * (tens of thousands of occurrences each, which fit the cache), then each bucket is sorted by the
 * remaining bits with least-significant-digit passes in cache: a third faster than LSD passes over
 * the whole region, whose 1,000-way scatters miss the cache.
 */
function radixSort(buffers: PartitionBuffers, k: number, len: number, partBits: number): SortedPartition {
  const { topShift, buckets, passes, width, mask } = sortPlan(partBits);
  const topMask = buckets - 1;
  const at0 = k * buffers.capacity;
  const ids = buffers.ids.subarray(at0, at0 + len);
  const occ = buffers.occ.subarray(at0, at0 + len);
  const tmpIds = buffers.tmpIds;
  const tmpOcc = buffers.tmpOcc;
  const starts = new Int32Array(buckets + 1);
  for (let i = 0; i < len; i++) {
    const d = (((ids[i] as number) >>> topShift) & topMask) + 1;
    starts[d] = (starts[d] as number) + 1;
  }
  for (let d = 0; d < buckets; d++) starts[d + 1] = (starts[d + 1] as number) + (starts[d] as number);
  const next = starts.slice(0, buckets);
  for (let i = 0; i < len; i++) {
    const id = ids[i] as number;
    const d = (id >>> topShift) & topMask;
    const at = next[d] as number;
    next[d] = at + 1;
    tmpIds[at] = id;
    tmpOcc[at] = occ[i] as number;
  }
  // Bits [1, topShift) within each bucket, ping-ponging between the second copy and the region.
  const counts = new Int32Array(Math.max(1, passes << width));
  for (let b = 0; b < buckets; b++) {
    const s = starts[b] as number;
    const e = starts[b + 1] as number;
    if (e - s < 2) {
      // Nothing to order: only put it where an odd number of passes would have.
      if (passes % 2 === 1 && e > s) {
        ids[s] = tmpIds[s] as number;
        occ[s] = tmpOcc[s] as number;
      }
      continue;
    }
    counts.fill(0);
    for (let i = s; i < e; i++) {
      const id = tmpIds[i] as number;
      for (let pass = 0; pass < passes; pass++) {
        const d = (pass << width) + ((id >>> (1 + pass * width)) & mask);
        counts[d] = (counts[d] as number) + 1;
      }
    }
    let fromIds: Int32Array = tmpIds;
    let fromOcc: Int32Array = tmpOcc;
    let toIds: Int32Array = ids;
    let toOcc: Int32Array = occ;
    for (let pass = 0; pass < passes; pass++) {
      const shift = 1 + pass * width;
      const off = pass << width;
      let sum = s;
      for (let d = 0; d <= mask; d++) {
        const c = counts[off + d] as number;
        counts[off + d] = sum;
        sum += c;
      }
      for (let i = s; i < e; i++) {
        const id = fromIds[i] as number;
        const d = off + ((id >>> shift) & mask);
        const at = counts[d] as number;
        counts[d] = at + 1;
        toIds[at] = id;
        toOcc[at] = fromOcc[i] as number;
      }
      const i2 = fromIds;
      fromIds = toIds;
      toIds = i2;
      const o2 = fromOcc;
      fromOcc = toOcc;
      toOcc = o2;
    }
  }
  return passes % 2 === 1 ? { ids, occ, length: len } : { ids: tmpIds, occ: tmpOcc, length: len };
}

/**
 * `radixSort` with the passes in `kernel` (whose memory holds `buffers`): the same digits, the same
 * buckets and the same ping-pong between the arrays, so the same result in the same arrays.
 */
function kernelSort(
  buffers: PartitionBuffers,
  kernel: GramSortKernel,
  k: number,
  len: number,
  partBits: number,
): SortedPartition {
  const { topShift, buckets, passes, width, mask } = sortPlan(partBits);
  const at0 = k * buffers.capacity;
  const ids = buffers.ids.subarray(at0, at0 + len);
  const occ = buffers.occ.subarray(at0, at0 + len);
  const { tmpIds, tmpOcc } = buffers;
  const counts = kernel.counts;
  // Byte offsets in the kernel's memory.
  const idsAt = ids.byteOffset;
  const occAt = occ.byteOffset;
  const tmpIdsAt = tmpIds.byteOffset;
  const tmpOccAt = tmpOcc.byteOffset;
  const countsAt = counts.byteOffset;
  // The first pass: bucket starts (element indices) kept here, the scatter's offsets in `counts`.
  counts.fill(0, 0, buckets);
  kernel.hist(idsAt, len, topShift, buckets - 1, countsAt);
  const starts = new Int32Array(buckets + 1);
  for (let d = 0; d < buckets; d++) {
    starts[d + 1] = (starts[d] as number) + (counts[d] as number);
    counts[d] = 4 * (starts[d] as number);
  }
  kernel.scatter(idsAt, occAt, tmpIdsAt, tmpOccAt, len, topShift, buckets - 1, countsAt);
  for (let b = 0; b < buckets; b++) {
    const s = starts[b] as number;
    const e = starts[b + 1] as number;
    if (e - s < 2) {
      if (passes % 2 === 1 && e > s) {
        ids[s] = tmpIds[s] as number;
        occ[s] = tmpOcc[s] as number;
      }
      continue;
    }
    let from = tmpIdsAt;
    let fromOcc = tmpOccAt;
    let to = idsAt;
    let toOcc = occAt;
    for (let pass = 0; pass < passes; pass++) {
      const shift = 1 + pass * width;
      counts.fill(0, 0, mask + 1);
      kernel.hist(from + 4 * s, e - s, shift, mask, countsAt);
      let sum = 4 * s;
      for (let d = 0; d <= mask; d++) {
        const c = counts[d] as number;
        counts[d] = sum;
        sum += 4 * c;
      }
      kernel.scatter(from + 4 * s, fromOcc + 4 * s, to, toOcc, e - s, shift, mask, countsAt);
      [from, to] = [to, from];
      [fromOcc, toOcc] = [toOcc, fromOcc];
    }
  }
  return passes % 2 === 1
    ? { ids, occ, length: len }
    : { ids: tmpIds.subarray(0, len), occ: tmpOcc.subarray(0, len), length: len };
}

/** What `visit` receives: one partition's occurrences sorted by gram id (int32 bit patterns; `>>> 0` gives the unsigned values). */
export type PartitionVisitor = (ids: Int32Array, occurrences: Int32Array, length: number) => void;

/** Partitions regenerated per pass by `sortedPartitions` (each region costs `partitionCapacity` * 8 bytes). */
const GROUP = 2;

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
  const group = Math.min(GROUP, partitions);
  const buffers = new PartitionBuffers(partitionCapacity(pool, partitions), group);
  for (let first = 0; first < partitions; first += group)
    sortPartitionGroup(arrays, first, group, partitions, buffers, (_, p) => visit(p.ids, p.occ, p.length));
}

/**
 * Work done on each sorted partition where it was sorted, so that only its (small) result leaves
 * the thread: a census thread runs it on the partitions it sorts (see `visitPartitionsThreaded`),
 * `visitPartitions` on this thread. `visit` is called once per partition with the partition's index;
 * it must depend only on that partition (partitions can be visited in any order, and a partition a
 * failed thread left half-visited is visited again from the start).
 */
export interface PartitionWork<R> {
  /** The result of partition `part` (its occurrences sorted by gram id, as `PartitionVisitor` receives them). */
  visit(part: number, ids: Int32Array, occurrences: Int32Array, length: number): R;
  /** The buffers of `result` a thread may hand over instead of copying (it no longer uses them). */
  transfer(result: R): ArrayBuffer[];
}

/** `work`'s result for every partition, in partition order, sorted and visited on this thread. */
export function visitPartitions<R>(
  pool: TokenPool,
  work: PartitionWork<R>,
  partitions = partitionsFor(pool),
): R[] {
  const results: R[] = [];
  sortedPartitions(
    pool,
    (ids, occ, len) => results.push(work.visit(results.length, ids, occ, len)),
    partitions,
  );
  return results;
}

/**
 * The reused arrays of a partition group: `regions` areas of `capacity` occurrences each (ids and
 * occurrences), and one region-sized second copy for the radix sort. With WebAssembly (unless
 * `wasm` is false) they live in a `GramSortKernel`'s memory and the kernel runs the sort's passes.
 */
export class PartitionBuffers {
  ids: Int32Array;
  occ: Int32Array;
  tmpIds: Int32Array;
  tmpOcc: Int32Array;
  capacity: number;
  readonly regions: number;
  /** The sort kernel whose memory holds the arrays, or undefined (the JavaScript sort). */
  readonly kernel: GramSortKernel | undefined;

  constructor(capacity: number, regions = 1, wasm = true) {
    this.capacity = capacity;
    this.regions = regions;
    this.kernel = wasm ? GramSortKernel.create() : undefined;
    [this.ids, this.occ, this.tmpIds, this.tmpOcc] = this.arrays(capacity);
  }

  /** Fresh `ids`, `occ`, `tmpIds`, `tmpOcc` for regions of `cap` occurrences. */
  private arrays(cap: number): [Int32Array, Int32Array, Int32Array, Int32Array] {
    const n = cap * this.regions;
    if (!this.kernel) return [new Int32Array(n), new Int32Array(n), new Int32Array(cap), new Int32Array(cap)];
    const [ids, occ, tmpIds, tmpOcc] = this.kernel.allocate([n, n, cap, cap]);
    if (!ids || !occ || !tmpIds || !tmpOcc) throw new Error('partition buffers: missing array');
    return [ids, occ, tmpIds, tmpOcc];
  }

  /**
   * Doubles the capacity of every region, keeping what `ends` (absolute end of each region in
   * use, from region 0) marks as filled, and moves `ends` with it.
   */
  grow(ends: Int32Array): void {
    const old = this.capacity;
    const cap = old * 2;
    // Copies first: growing the kernel's memory invalidates the old views.
    const kept = Array.from(ends, (end, k) => ({
      ids: this.ids.slice(k * old, end),
      occ: this.occ.slice(k * old, end),
    }));
    [this.ids, this.occ, this.tmpIds, this.tmpOcc] = this.arrays(cap);
    kept.forEach(({ ids, occ }, k) => {
      this.ids.set(ids, k * cap);
      this.occ.set(occ, k * cap);
      ends[k] = k * cap + ids.length;
    });
    this.capacity = cap;
  }
}

/**
 * Regenerates every gram of the pool and keeps those of partitions `first .. first + count - 1`
 * (the top `partBits` bits of the id), each in its region of `buffers`, in dataset order; returns
 * how many each region holds. Grams of the same record come in the order of their local index.
 *
 * The hot loop appends without branching: every gram is written at its region's end and the end
 * advances only when the gram belongs to the group (a random 1-in-`partitions / count` branch
 * would mispredict often), and full 4-token windows are unrolled.
 */
function collect(
  arrays: PoolArrays,
  first: number,
  count: number,
  partBits: number,
  buffers: PartitionBuffers,
): Int32Array {
  // Int32 views keep the hot loop in 32-bit integer arithmetic (uint32 loads above 2^31 are doubles).
  const { hashes, starts, breaks } = arrays;
  const groupBits = partBits - Math.log2(count);
  const hiMask = groupBits === 0 ? 0 : (0xffffffff << (32 - groupBits)) | 0;
  const want = groupBits === 0 ? 0 : (first << (32 - partBits)) | 0;
  // Region of a gram in the group: the partition bits below the group bits.
  const subShift = 32 - partBits;
  const subMask = count - 1;
  let ids = buffers.ids;
  let occ = buffers.occ;
  let cap = buffers.capacity;
  // Absolute end of each region.
  const ends = new Int32Array(count);
  for (let k = 0; k < count; k++) ends[k] = k * cap;
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
      // A segment adds at most 4 grams per token + 4 prefixes to a region, plus the one
      // speculative write past its end. (Doubling as often as it takes: a buffer smaller than one
      // long segment would otherwise be written past its end.)
      const room = MAX_N * (to - from) + MAX_N + 1;
      for (let k = 0; k < count; k++) {
        while ((ends[k] as number) - k * cap + room > cap) {
          buffers.grow(ends);
          ids = buffers.ids;
          occ = buffers.occ;
          cap = buffers.capacity;
        }
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
            const sub = (h >>> subShift) & subMask;
            const at = ends[sub] as number;
            ids[at] = h | 1;
            occ[at] = base + (n - 1) * 2;
            ends[sub] = at + 1;
          }
          const p = Math.imul(h ^ PREFIX_SALT, FNV_PRIME);
          if ((p & hiMask) === want) {
            const sub = (p >>> subShift) & subMask;
            const at = ends[sub] as number;
            ids[at] = p | 1;
            occ[at] = base + (n - 1) * 2 + 1;
            ends[sub] = at + 1;
          }
        }
        g++;
      }
      // Tokens with a full 4-token window: local = 8 + (i - 1) * 4 + (n - 1) for token i = g - s.
      const full = to - (MAX_N - 1);
      for (; g < full; g++) {
        const local = base + 4 * (g - s) + 4;
        let h = Math.imul(FNV_OFFSET ^ (hashes[g] as number), FNV_PRIME);
        let sub = (h >>> subShift) & subMask;
        let at = ends[sub] as number;
        ids[at] = h | 1;
        occ[at] = local;
        ends[sub] = at + +((h & hiMask) === want);
        h = Math.imul(h ^ (hashes[g + 1] as number), FNV_PRIME);
        sub = (h >>> subShift) & subMask;
        at = ends[sub] as number;
        ids[at] = h | 1;
        occ[at] = local + 1;
        ends[sub] = at + +((h & hiMask) === want);
        h = Math.imul(h ^ (hashes[g + 2] as number), FNV_PRIME);
        sub = (h >>> subShift) & subMask;
        at = ends[sub] as number;
        ids[at] = h | 1;
        occ[at] = local + 2;
        ends[sub] = at + +((h & hiMask) === want);
        h = Math.imul(h ^ (hashes[g + 3] as number), FNV_PRIME);
        sub = (h >>> subShift) & subMask;
        at = ends[sub] as number;
        ids[at] = h | 1;
        occ[at] = local + 3;
        ends[sub] = at + +((h & hiMask) === want);
      }
      // The last tokens of the segment: shorter windows.
      for (; g < to; g++) {
        let h = FNV_OFFSET;
        const stop = g + MAX_N < to ? g + MAX_N : to;
        const local = base + 4 * (g - s) + 3 - g;
        for (let k = g; k < stop; k++) {
          h = Math.imul(h ^ (hashes[k] as number), FNV_PRIME);
          if ((h & hiMask) === want) {
            const sub = (h >>> subShift) & subMask;
            const at = ends[sub] as number;
            ids[at] = h | 1;
            occ[at] = local + k + 1;
            ends[sub] = at + 1;
          }
        }
      }
      from = to + 1;
    }
  }
  for (let k = 0; k < count; k++) ends[k] = (ends[k] as number) - k * cap;
  return ends;
}
