/** Mergeable statistics of one tensor's delta D = B - A (or a row range of it). */
export interface DeltaStats {
  count: number;
  /** Sums of a^2, a*d and d^2 (doubles); |B|^2 and <A,B> follow from them. */
  sumA2: number;
  sumAD: number;
  sumD2: number;
  maxAbs: number;
  changed: number;
  /** Non-finite values in either tensor. */
  nonFinite: number;
}

/** An empty {@link DeltaStats}. */
export function emptyStats(): DeltaStats {
  return { count: 0, sumA2: 0, sumAD: 0, sumD2: 0, maxAbs: 0, changed: 0, nonFinite: 0 };
}

/** Adds `b` into `a`. */
export function mergeStats(a: DeltaStats, b: DeltaStats): void {
  a.count += b.count;
  a.sumA2 += b.sumA2;
  a.sumAD += b.sumAD;
  a.sumD2 += b.sumD2;
  a.maxAbs = Math.max(a.maxAbs, b.maxAbs);
  a.changed += b.changed;
  a.nonFinite += b.nonFinite;
}

/** Per-row outputs of a block (embedding / lm_head row rankings). */
export interface RowOutputs {
  /** Squared delta norm per row, indexed from `rowOutBase`. */
  deltaSq: Float64Array;
  /** Squared base norm per row. */
  baseSq: Float64Array;
}

/** Row half of the CountSketch: each row's delta is added, signed, into one of `rowBuckets` accumulator rows. */
export interface RowSketch {
  /** `buckets x cols` accumulator, row-major. */
  y: Float32Array;
  bucket: Int32Array;
  sign: Float32Array;
}

/**
 * Accumulates a block of `rows` x `cols` decoded values (row-major) into
 * `stats`, the row sketch and per-row norms. The hot loop of the weight diff:
 * one pass, no allocation, no data-dependent branches (changed counts and the
 * running max compile to selects), and the sketch update is a sequential
 * multiply-add into one accumulator row, not a scatter.
 *
 * @param firstRow global row index of the block's first row
 */
export function accumulateBlock(
  a: Float32Array,
  b: Float32Array,
  rows: number,
  cols: number,
  firstRow: number,
  stats: DeltaStats,
  sketch: RowSketch | null,
  rowOut: RowOutputs | null,
  rowOutBase: number,
): void {
  let sumA2 = 0;
  let sumAD = 0;
  let sumD2 = 0;
  let maxAbs = stats.maxAbs;
  let changed = 0;
  for (let r = 0; r < rows; r++) {
    const off = r * cols;
    let rowA2 = 0;
    let rowAD = 0;
    let rowD2 = 0;
    if (sketch !== null) {
      const g = firstRow + r;
      const y = sketch.y;
      const yo = (sketch.bucket[g] as number) * cols;
      const s = sketch.sign[g] as number;
      for (let j = 0; j < cols; j++) {
        const x = a[off + j] as number;
        const d = (b[off + j] as number) - x;
        rowA2 += x * x;
        rowAD += x * d;
        rowD2 += d * d;
        changed += d !== 0 ? 1 : 0;
        const ad = Math.abs(d);
        if (ad > maxAbs) maxAbs = ad; // NaN never wins: non-finite values are counted apart
        y[yo + j] = (y[yo + j] as number) + s * d;
      }
    } else {
      for (let j = 0; j < cols; j++) {
        const x = a[off + j] as number;
        const d = (b[off + j] as number) - x;
        rowA2 += x * x;
        rowAD += x * d;
        rowD2 += d * d;
        changed += d !== 0 ? 1 : 0;
        const ad = Math.abs(d);
        if (ad > maxAbs) maxAbs = ad; // NaN never wins: non-finite values are counted apart
      }
    }
    if (rowOut !== null) {
      rowOut.deltaSq[firstRow + r - rowOutBase] = rowD2;
      rowOut.baseSq[firstRow + r - rowOutBase] = rowA2;
    }
    sumA2 += rowA2;
    sumAD += rowAD;
    sumD2 += rowD2;
  }
  // NaN/Inf poison the sums; count them only then, instead of testing every element.
  if (!Number.isFinite(sumA2 + sumD2)) {
    for (let i = 0; i < rows * cols; i++)
      if (!Number.isFinite((a[i] as number) + (b[i] as number))) stats.nonFinite++;
  }
  stats.count += rows * cols;
  stats.sumA2 += sumA2;
  stats.sumAD += sumAD;
  stats.sumD2 += sumD2;
  stats.maxAbs = maxAbs;
  stats.changed += changed;
}

/** Folds a row sketch `Y` (buckets x cols) into `Z = Y S` (buckets x colBuckets) with the column map. */
export function foldColumns(
  y: Float32Array,
  buckets: number,
  cols: number,
  colBucket: Int32Array,
  colSign: Float32Array,
  colBuckets: number,
  z: Float64Array,
): void {
  for (let r = 0; r < buckets; r++) {
    const yo = r * cols;
    const zo = r * colBuckets;
    for (let j = 0; j < cols; j++) {
      const k = zo + (colBucket[j] as number);
      z[k] = (z[k] as number) + (colSign[j] as number) * (y[yo + j] as number);
    }
  }
}
