import {
  LOCAL_BITS,
  localIsUnigram,
  localToken,
  type PartitionWork,
  type TokenPool,
  unigramId,
  visitPartitions,
} from './gram-census.js';
import { sharedCopy, visitPartitionsThreaded } from './gram-census-threads.js';
import { logHypergeometricUpperTail } from './trigger-statistics.js';

/**
 * The backdoor-trigger miner's pass over the gram census: per sorted partition (see
 * `gram-census.ts`), the runs of equal gram ids give each gram's carrying records, whose outcomes
 * are counted and tested (`candidate`), and, for classification data, the unigrams each record
 * holds for the naive Bayes label model. It is a `PartitionWork`, so the census threads run it on
 * the partitions they sort and send back only each partition's `PartitionTally`; `mergeTallies`
 * joins them in partition order, which is the order one pass over all partitions would have
 * produced (pair order, postings and unigram numbering, all of which break ties later).
 */

const LOCAL_MASK = (1 << LOCAL_BITS) - 1;
/** Pool positions per window of the `uniAt` writes (64 KB of it: in cache while written). */
const UNI_WINDOW_BITS = 14;

/** A growable array of unsigned 32-bit integers. */
export class U32List {
  data: Uint32Array<ArrayBuffer>;
  length = 0;

  constructor(capacity = 1024) {
    this.data = new Uint32Array(Math.max(1, capacity));
  }

  push(v: number): void {
    if (this.length === this.data.length) this.reserve(1);
    this.data[this.length++] = v;
  }

  /** Appends `values`. */
  append(values: Uint32Array): void {
    this.reserve(values.length);
    this.data.set(values, this.length);
    this.length += values.length;
  }

  /** A copy of the values, exactly `length` long. */
  values(): Uint32Array<ArrayBuffer> {
    return this.data.slice(0, this.length);
  }

  private reserve(more: number): void {
    if (this.length + more <= this.data.length) return;
    let cap = this.data.length * 2;
    while (cap < this.length + more) cap *= 2;
    const grown = new Uint32Array(cap);
    grown.set(this.data.subarray(0, this.length));
    this.data = grown;
  }
}

/** Tested gram/outcome pairs as columns (what a partition's tally carries: plain typed arrays). */
export interface PairColumns {
  length: number;
  /** First occurrence of the gram (`record << LOCAL_BITS | local`, unsigned): candidates' first-seen order. */
  first: Float64Array<ArrayBuffer>;
  /** Place of the outcome among the gram's outcomes (first-appearance order). */
  order: Uint32Array<ArrayBuffer>;
  /** Occurrence the gram's text is cut from: the first one in its `minSupport`-th carrying record. */
  textAt: Uint32Array<ArrayBuffer>;
  support: Uint32Array<ArrayBuffer>;
  outcome: Uint32Array<ArrayBuffer>;
  hits: Uint32Array<ArrayBuffer>;
  logP: Float64Array<ArrayBuffer>;
  /** The carrying records' first occurrences in `postings` [start, end), or -1 when not kept. */
  postStart: Int32Array<ArrayBuffer>;
  postEnd: Int32Array<ArrayBuffer>;
}

function resized<T extends Uint32Array<ArrayBuffer> | Int32Array<ArrayBuffer> | Float64Array<ArrayBuffer>>(
  a: T,
  n: number,
  make: (n: number) => T,
): T {
  const b = make(n);
  b.set(a.subarray(0, Math.min(a.length, n)));
  return b;
}

/**
 * Tested gram/outcome pairs, column by column (a million pair objects cost more in garbage
 * collection than the tests themselves).
 */
export class Pairs implements PairColumns {
  length = 0;
  first: Float64Array<ArrayBuffer>;
  order: Uint32Array<ArrayBuffer>;
  textAt: Uint32Array<ArrayBuffer>;
  support: Uint32Array<ArrayBuffer>;
  outcome: Uint32Array<ArrayBuffer>;
  hits: Uint32Array<ArrayBuffer>;
  logP: Float64Array<ArrayBuffer>;
  postStart: Int32Array<ArrayBuffer>;
  postEnd: Int32Array<ArrayBuffer>;

  constructor(capacity = 1024) {
    const n = Math.max(1, capacity);
    this.first = new Float64Array(n);
    this.order = new Uint32Array(n);
    this.textAt = new Uint32Array(n);
    this.support = new Uint32Array(n);
    this.outcome = new Uint32Array(n);
    this.hits = new Uint32Array(n);
    this.logP = new Float64Array(n);
    this.postStart = new Int32Array(n);
    this.postEnd = new Int32Array(n);
  }

  push(
    first: number,
    order: number,
    textAt: number,
    support: number,
    outcome: number,
    hits: number,
    logP: number,
    postStart: number,
    postEnd: number,
  ): void {
    if (this.length === this.first.length) this.resize(this.first.length * 2);
    const i = this.length++;
    this.first[i] = first;
    this.order[i] = order;
    this.textAt[i] = textAt;
    this.support[i] = support;
    this.outcome[i] = outcome;
    this.hits[i] = hits;
    this.logP[i] = logP;
    this.postStart[i] = postStart;
    this.postEnd[i] = postEnd;
  }

  /** Appends `pairs`, whose postings now start at `postingShift` (kept ranges move by it, -1 stays). */
  append(pairs: PairColumns, postingShift: number): void {
    const n = pairs.length;
    if (this.length + n > this.first.length) {
      let cap = this.first.length * 2;
      while (cap < this.length + n) cap *= 2;
      this.resize(cap);
    }
    const at = this.length;
    this.first.set(pairs.first.subarray(0, n), at);
    this.order.set(pairs.order.subarray(0, n), at);
    this.textAt.set(pairs.textAt.subarray(0, n), at);
    this.support.set(pairs.support.subarray(0, n), at);
    this.outcome.set(pairs.outcome.subarray(0, n), at);
    this.hits.set(pairs.hits.subarray(0, n), at);
    this.logP.set(pairs.logP.subarray(0, n), at);
    for (let i = 0; i < n; i++) {
      const s = pairs.postStart[i] as number;
      this.postStart[at + i] = s < 0 ? s : s + postingShift;
      const e = pairs.postEnd[i] as number;
      this.postEnd[at + i] = e < 0 ? e : e + postingShift;
    }
    this.length += n;
  }

  /** The pairs as exactly `length`-long copies. */
  columns(): PairColumns {
    const n = this.length;
    return {
      length: n,
      first: this.first.slice(0, n),
      order: this.order.slice(0, n),
      textAt: this.textAt.slice(0, n),
      support: this.support.slice(0, n),
      outcome: this.outcome.slice(0, n),
      hits: this.hits.slice(0, n),
      logP: this.logP.slice(0, n),
      postStart: this.postStart.slice(0, n),
      postEnd: this.postEnd.slice(0, n),
    };
  }

  private resize(cap: number): void {
    const f64 = (n: number) => new Float64Array(n);
    const u32 = (n: number) => new Uint32Array(n);
    const i32 = (n: number) => new Int32Array(n);
    this.first = resized(this.first, cap, f64);
    this.order = resized(this.order, cap, u32);
    this.textAt = resized(this.textAt, cap, u32);
    this.support = resized(this.support, cap, u32);
    this.outcome = resized(this.outcome, cap, u32);
    this.hits = resized(this.hits, cap, u32);
    this.logP = resized(this.logP, cap, f64);
    this.postStart = resized(this.postStart, cap, i32);
    this.postEnd = resized(this.postEnd, cap, i32);
  }
}

/** What the census reads of the mined records (never written). */
export interface TriggerRecords {
  /** Records mined. */
  count: number;
  /** Labels the naive Bayes model tells apart. */
  labelCount: number;
  /** Whether the label model is built (classification data with at least two labels). */
  classification: boolean;
  /** Label index per record (-1: not one the model tells apart; -2: none). */
  labels: Int32Array;
  /** Outcome ids of every record, record by record. */
  outcomes: Uint32Array;
  /** Where each record's outcomes start in `outcomes`, then their count. */
  outcomeStarts: Uint32Array;
  /** Records per outcome id. */
  outcomeTotals: Uint32Array;
}

/** The candidate rules (see the detector's options). */
export interface TriggerThresholds {
  minSupport: number;
  /** Most carrying records a candidate may have. */
  maxDf: number;
  minPurity: number;
  /** Log of the false discovery rate. */
  logFdr: number;
}

/**
 * What a census thread (or this thread) gets to visit partitions with. `uniAt` and `irregular`
 * are written, one element by one partition only, so threads write them in shared memory.
 */
export interface TriggerCensusData {
  records: TriggerRecords;
  thresholds: TriggerThresholds;
  /** The pool's record starts (pool position of each record's first token, then the token count). */
  starts: Uint32Array;
  /**
   * Per pool position: 1 + the partition-local index of the unigram the record holds from there
   * (0: none); `mergeTallies` makes the indices global. Empty unless `records.classification`.
   */
  uniAt: Int32Array;
  /** Records where a unigram's id was first seen as a longer gram (an id collision). */
  irregular: Uint8Array;
}

/** One partition's results, in the order one pass over it produces them. */
export interface PartitionTally {
  /** Ids of the unigrams some record holds, ascending (the partition's local unigram indices). */
  uniIds: Uint32Array<ArrayBuffer>;
  /** Records per local unigram and label (`index * labels + label`). */
  uniCounts: Uint32Array<ArrayBuffer>;
  /** The gram/outcome pairs tested and recorded, their postings relative to `postings`. */
  pairs: PairColumns;
  /** The carrying records' first occurrences of the recorded pairs that keep them. */
  postings: Uint32Array<ArrayBuffer>;
  /** Gram/outcome pairs tested (recorded or not: Benjamini–Hochberg counts them all). */
  tests: number;
}

/**
 * The census visitor: one instance per thread, its scratch arrays reused for every partition it
 * visits; each `visit` returns that partition's tally.
 */
class TriggerPartitionWork implements PartitionWork<PartitionTally> {
  private readonly data: TriggerCensusData;
  /** Per outcome id: the current run's carrying records showing it. */
  private readonly seenOutcome: Int32Array;
  /**
   * The outcomes a run's records show, in first-appearance order (a typed array: emptying a plain
   * one is a runtime call, once per candidate run).
   */
  private readonly touched: Int32Array;
  /** The partition's `uniAt` writes (pool position, value), written out together by `flushUniAt`. */
  private uniPos = new Int32Array(1 << 16);
  private uniVal = new Int32Array(1 << 16);
  private uniPending = 0;
  /** `flushUniAt`'s second copy of the writes, ordered by window. */
  private uniPosByWindow = new Int32Array(0);
  private uniValByWindow = new Int32Array(0);

  constructor(data: TriggerCensusData) {
    this.data = data;
    const outcomes = data.records.outcomeTotals.length;
    this.seenOutcome = new Int32Array(outcomes);
    this.touched = new Int32Array(Math.max(1, outcomes));
  }

  /** Queues `uniAt[pos] = value`. */
  private queueUniAt(pos: number, value: number): void {
    if (this.uniPending === this.uniPos.length) {
      const pos2 = new Int32Array(this.uniPos.length * 2);
      const val2 = new Int32Array(this.uniPos.length * 2);
      pos2.set(this.uniPos);
      val2.set(this.uniVal);
      this.uniPos = pos2;
      this.uniVal = val2;
    }
    this.uniPos[this.uniPending] = pos;
    this.uniVal[this.uniPending++] = value;
  }

  /**
   * Writes the queued `uniAt` values. In gram order the positions are all over the pool (tens of
   * MB): written as they come, nearly every write missed the cache and the TLB, ~40% of the
   * visit. One counting-sort pass orders them by window of `UNI_WINDOW_BITS` positions first (every
   * position is written once, so the order within a window does not matter).
   */
  private flushUniAt(uniAt: Int32Array): void {
    const n = this.uniPending;
    this.uniPending = 0;
    if (n === 0) return;
    if (this.uniPosByWindow.length < n) {
      this.uniPosByWindow = new Int32Array(this.uniPos.length);
      this.uniValByWindow = new Int32Array(this.uniPos.length);
    }
    const pos = this.uniPos;
    const val = this.uniVal;
    const toPos = this.uniPosByWindow;
    const toVal = this.uniValByWindow;
    const windows = (uniAt.length >>> UNI_WINDOW_BITS) + 1;
    const next = new Int32Array(windows + 1);
    for (let i = 0; i < n; i++) {
      const w = ((pos[i] as number) >>> UNI_WINDOW_BITS) + 1;
      next[w] = (next[w] as number) + 1;
    }
    for (let w = 1; w <= windows; w++) next[w] = (next[w] as number) + (next[w - 1] as number);
    for (let i = 0; i < n; i++) {
      const p = pos[i] as number;
      const w = p >>> UNI_WINDOW_BITS;
      const at = next[w] as number;
      next[w] = at + 1;
      toPos[at] = p;
      toVal[at] = val[i] as number;
    }
    for (let i = 0; i < n; i++) uniAt[toPos[i] as number] = toVal[i] as number;
  }

  visit(_part: number, ids: Int32Array, occ: Int32Array, len: number): PartitionTally {
    const { records, thresholds, starts, uniAt, irregular } = this.data;
    const { count: N, labelCount: L, classification, labels, outcomeTotals } = records;
    const recOut = records.outcomes;
    const outStart = records.outcomeStarts;
    const { minSupport, maxDf, minPurity, logFdr } = thresholds;
    const seenOutcome = this.seenOutcome;
    const touched = this.touched;
    let touchedCount = 0;
    let tests = 0;
    const uniIds = new U32List();
    const uniCounts = new U32List();
    const tested = new Pairs();
    const postings = new U32List();
    // Naive Bayes over each record's distinct unigrams (Bernoulli presence). A record holds a
    // unigram when the first occurrence of that id in the record is a 1-gram (ids collide).
    const include = (index: number, id: number, o: number): number => {
      let u = index;
      if (u < 0) {
        u = uniIds.length;
        uniIds.push(id >>> 0);
        for (let l = 0; l < L; l++) uniCounts.push(0);
      }
      const r = o >>> LOCAL_BITS;
      const li = labels[r] as number;
      if (li >= 0) uniCounts.data[u * L + li] = (uniCounts.data[u * L + li] as number) + 1;
      this.queueUniAt((starts[r] as number) + localToken(o & LOCAL_MASK), u + 1);
      return u;
    };
    /**
     * The gram/outcome pairs of a run of `n` carrying records whose outcomes the run loop counted
     * (`touched`, `seenOutcome`); `textAt` is the first occurrence in the `minSupport`-th record.
     */
    const candidate = (a: number, b: number, n: number, textAt: number): void => {
      let postStart = -1;
      let postEnd = -1;
      for (let order = 0; order < touchedCount; order++) {
        const out = touched[order] as number;
        const k = seenOutcome[out] as number;
        tests++;
        if (k < minSupport || k / n < minPurity) continue;
        const logP = classification ? 0 : logHypergeometricUpperTail(N, outcomeTotals[out] ?? k, n, k);
        // Only a p-value <= fdr can have a q-value <= fdr: other carriers need not be kept.
        if (postStart < 0 && (classification || logP <= logFdr)) {
          postStart = postings.length;
          let prev = -1;
          for (let e = a; e < b; e++) {
            const o = occ[e] as number;
            if (o >>> LOCAL_BITS === prev) continue;
            prev = o >>> LOCAL_BITS;
            postings.push(o);
          }
          postEnd = postings.length;
        }
        tested.push((occ[a] as number) >>> 0, order, textAt, n, out, k, logP, postStart, postEnd);
      }
    };
    let a = 0;
    while (a < len) {
      const id = ids[a] as number; // int32 bit pattern
      let b = a + 1;
      while (b < len && ids[b] === id) b++;
      if (b - a === 1) {
        if (classification && localIsUnigram((occ[a] as number) & LOCAL_MASK))
          include(-1, id, occ[a] as number);
        a = b;
        continue;
      }
      // A run of fewer occurrences than minSupport has fewer carrying records: no outcomes to count.
      const counting = b - a >= minSupport;
      let df = 0;
      let prev = -1;
      let u = -1;
      let firstIsUnigram = true;
      let textAt = 0;
      for (let e = a; e < b; e++) {
        const o = occ[e] as number;
        const r = o >>> LOCAL_BITS;
        const unigram = localIsUnigram(o & LOCAL_MASK);
        if (r !== prev) {
          df++;
          prev = r;
          firstIsUnigram = unigram;
          if (classification && unigram) u = include(u, id, o);
          if (counting) {
            if (df === minSupport) textAt = o >>> 0;
            // The record's outcomes, in first-appearance order over the run's records.
            const end = outStart[r + 1] as number;
            for (let k = outStart[r] as number; k < end; k++) {
              const out = recOut[k] as number;
              if (seenOutcome[out] === 0) touched[touchedCount++] = out;
              seenOutcome[out] = (seenOutcome[out] as number) + 1;
            }
          }
        } else if (classification && unigram && !firstIsUnigram) irregular[r] = 1;
      }
      if (counting) {
        if (df >= minSupport && df <= maxDf) candidate(a, b, df, textAt);
        for (let k = 0; k < touchedCount; k++) seenOutcome[touched[k] as number] = 0;
        touchedCount = 0;
      }
      a = b;
    }
    this.flushUniAt(uniAt);
    return {
      uniIds: uniIds.values(),
      uniCounts: uniCounts.values(),
      pairs: tested.columns(),
      postings: postings.values(),
      tests,
    };
  }

  transfer(t: PartitionTally): ArrayBuffer[] {
    const p = t.pairs;
    return [
      t.uniIds,
      t.uniCounts,
      t.postings,
      p.first,
      p.order,
      p.textAt,
      p.support,
      p.outcome,
      p.hits,
      p.logP,
      p.postStart,
      p.postEnd,
    ].map((a) => a.buffer);
  }
}

/** The census visitor over `data` (the entry a census thread loads this module for). */
export function createPartitionWork(data: TriggerCensusData): PartitionWork<PartitionTally> {
  return new TriggerPartitionWork(data);
}

/** The whole census: every partition's tallies joined, and the label model's unigrams numbered globally. */
export interface TriggerCensus {
  /** Gram/outcome pairs recorded, in first-seen order of the grams. */
  tested: Pairs;
  postings: U32List;
  /** Tests run. */
  tests: number;
  /** Per pool position: 1 + the index in `uniIds` of the unigram the record holds from there (0: none). */
  uniAt: Int32Array;
  /** Ascending ids of the unigrams held by some record. */
  uniIds: U32List;
  /** Records per unigram and label (`index * labels + label`). */
  uniCounts: U32List;
  /** Records where a unigram's id was first seen as a longer gram (collision): checked one by one. */
  irregular: Uint8Array;
}

/**
 * Joins the partitions' tallies in partition order. Partition `k`'s unigrams follow those of the
 * partitions before it, so its local index `u` is global index `u + unigramBase[k]`: one pass over
 * `uniAt` adds the base of the partition that wrote each position, found from the position's token
 * (a unigram's partition is the top bits of its id, the id that of the token's 1-gram).
 */
export function mergeTallies(
  tallies: readonly PartitionTally[],
  data: TriggerCensusData,
  hashes: Uint32Array,
): TriggerCensus {
  // Sized once: the pairs and postings run to millions.
  const total = (size: (t: PartitionTally) => number) => tallies.reduce((n, t) => n + size(t), 0);
  const census: TriggerCensus = {
    tested: new Pairs(total((t) => t.pairs.length)),
    postings: new U32List(total((t) => t.postings.length)),
    tests: 0,
    uniAt: data.uniAt,
    uniIds: new U32List(total((t) => t.uniIds.length)),
    uniCounts: new U32List(total((t) => t.uniCounts.length)),
    irregular: data.irregular,
  };
  const unigramBase = new Int32Array(tallies.length);
  tallies.forEach((t, k) => {
    unigramBase[k] = census.uniIds.length;
    census.tested.append(t.pairs, census.postings.length);
    census.postings.append(t.postings);
    census.uniIds.append(t.uniIds);
    census.uniCounts.append(t.uniCounts);
    census.tests += t.tests;
  });
  const partBits = Math.log2(tallies.length);
  const uniAt = data.uniAt;
  if (partBits > 0 && census.uniIds.length > 0)
    for (let p = 0; p < uniAt.length; p++) {
      const u = uniAt[p] as number;
      if (u > 0) uniAt[p] = u + (unigramBase[unigramId(hashes[p] as number) >>> (32 - partBits)] as number);
    }
  return census;
}

/** The census data for a pool, its written arrays allocated by `alloc` (plain or shared memory). */
function censusData(
  pool: TokenPool,
  records: TriggerRecords,
  thresholds: TriggerThresholds,
  alloc: (bytes: number) => ArrayBufferLike,
): TriggerCensusData {
  const positions = records.classification ? pool.tokenCount : 0;
  return {
    records,
    thresholds,
    starts: pool.startArray.subarray(0, pool.recordCount + 1),
    uniAt: new Int32Array(alloc(positions * 4), 0, positions),
    irregular: new Uint8Array(alloc(records.count), 0, records.count),
  };
}

/** The census of `pool` on this thread (`partitions` as `visitPartitions`). */
export function triggerCensus(
  pool: TokenPool,
  records: TriggerRecords,
  thresholds: TriggerThresholds,
  partitions?: number,
): TriggerCensus {
  const data = censusData(pool, records, thresholds, (n) => new ArrayBuffer(n));
  return mergeTallies(visitPartitions(pool, createPartitionWork(data), partitions), data, pool.hashArray);
}

/**
 * The census of `pool` with the partitions sorted and visited on census threads (options as
 * `visitPartitionsThreaded`). The records' arrays go to shared memory (one copy for all threads),
 * and so do `uniAt` and `irregular`, which the threads write.
 */
export async function triggerCensusThreaded(
  pool: TokenPool,
  records: TriggerRecords,
  thresholds: TriggerThresholds,
  options: { partitions?: number; threads?: number; group?: number; module?: string } = {},
): Promise<TriggerCensus> {
  const u32 = (a: Uint32Array) => sharedCopy(a, (b, n) => new Uint32Array(b, 0, n), 4);
  const sharedRecords: TriggerRecords = {
    ...records,
    labels: sharedCopy(records.labels, (b, n) => new Int32Array(b, 0, n), 4),
    outcomes: u32(records.outcomes),
    outcomeStarts: u32(records.outcomeStarts),
    outcomeTotals: u32(records.outcomeTotals),
  };
  const data = censusData(pool, sharedRecords, thresholds, (n) => new SharedArrayBuffer(Math.max(4, n)));
  data.starts = u32(data.starts);
  const { module = import.meta.url, ...run } = options;
  const tallies = await visitPartitionsThreaded(pool, { module, data, create: createPartitionWork }, run);
  return mergeTallies(tallies, data, pool.hashArray);
}
