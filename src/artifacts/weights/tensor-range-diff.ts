import { FileRange } from '../file-range.js';
import { sketchMap } from './count-sketch.js';
import { accumulateBlock, type DeltaStats, emptyStats, foldColumns, type RowOutputs, type RowSketch } from './delta-accumulator.js';
import { type DiffDtype, decodeFloats, dtypeBytes } from './float-codec.js';

/** One unit of work: a row range of one tensor present in both checkpoints. */
export interface DiffJob {
  id: number;
  base: { path: string; begin: number; dtype: DiffDtype };
  finetuned: { path: string; begin: number; dtype: DiffDtype };
  rowStart: number;
  rowEnd: number;
  cols: number;
  /** Rows of the whole tensor (selects the row sketch map). */
  totalRows: number;
  /** Compute the spectral sketch (2-D weight matrices). */
  sketch: boolean;
  /** Keep per-row norms (embedding, lm_head). */
  rowNorms: boolean;
}

/** What a job returns; `z` is the (rowBuckets x colBuckets) sketch of its rows. */
export interface DiffJobResult {
  id: number;
  stats: DeltaStats;
  z: Float64Array | null;
  rowDeltaSq: Float64Array | null;
  rowBaseSq: Float64Array | null;
}

/** Bytes of each file read per block: small enough that decoded rows of both stay in L2 cache. */
export const BLOCK_BYTES = 128 << 10;

/** Open files of one thread, reused across jobs. */
export class FileCache {
  private readonly files = new Map<string, FileRange>();

  get(path: string): FileRange {
    let f = this.files.get(path);
    if (!f) {
      f = FileRange.open(path);
      this.files.set(path, f);
    }
    return f;
  }

  close(): void {
    for (const f of this.files.values()) f.close();
    this.files.clear();
  }
}

/** Scratch buffers of one thread, grown on demand. */
class Scratch {
  rawA = new Uint8Array(0);
  rawB = new Uint8Array(0);
  a = new Float32Array(0);
  b = new Float32Array(0);

  ensure(bytesA: number, bytesB: number, elements: number): void {
    // Own ArrayBuffers keep every view 4-byte aligned for the BF16 word decode.
    if (this.rawA.length < bytesA) this.rawA = new Uint8Array(new ArrayBuffer(bytesA + 8));
    if (this.rawB.length < bytesB) this.rawB = new Uint8Array(new ArrayBuffer(bytesB + 8));
    if (this.a.length < elements) {
      this.a = new Float32Array(elements);
      this.b = new Float32Array(elements);
    }
  }
}

const scratch = new Scratch();

/**
 * Diffs the rows of one job, streaming both files in blocks of about
 * {@link BLOCK_BYTES} (positional reads; never the whole tensor).
 */
export function runDiffJob(job: DiffJob, files: FileCache): DiffJobResult {
  const fa = files.get(job.base.path);
  const fb = files.get(job.finetuned.path);
  const ba = dtypeBytes(job.base.dtype);
  const bb = dtypeBytes(job.finetuned.dtype);
  const cols = job.cols;
  const blockRows = Math.max(1, Math.floor(BLOCK_BYTES / (cols * Math.max(ba, bb))));
  const stats = emptyStats();
  const rowCount = job.rowEnd - job.rowStart;
  const rowOut: RowOutputs | null = job.rowNorms
    ? { deltaSq: new Float64Array(rowCount), baseSq: new Float64Array(rowCount) }
    : null;
  let sketch: RowSketch | null = null;
  const rowMap = job.sketch ? sketchMap(job.totalRows) : null;
  const colMap = job.sketch ? sketchMap(cols) : null;
  if (rowMap) sketch = { y: new Float32Array(rowMap.size * cols), bucket: rowMap.bucket, sign: rowMap.sign };
  scratch.ensure(blockRows * cols * ba, blockRows * cols * bb, blockRows * cols);
  for (let r = job.rowStart; r < job.rowEnd; r += blockRows) {
    const rows = Math.min(blockRows, job.rowEnd - r);
    const n = rows * cols;
    const rawA = fa.read(job.base.begin + r * cols * ba, n * ba, Buffer.from(scratch.rawA.buffer, 0, n * ba));
    const rawB = fb.read(job.finetuned.begin + r * cols * bb, n * bb, Buffer.from(scratch.rawB.buffer, 0, n * bb));
    if (rawA.length < n * ba || rawB.length < n * bb) throw new Error(`short read at row ${r}`);
    decodeFloats(rawA, job.base.dtype, n, scratch.a);
    decodeFloats(rawB, job.finetuned.dtype, n, scratch.b);
    accumulateBlock(scratch.a, scratch.b, rows, cols, r, stats, sketch, rowOut, job.rowStart);
  }
  let z: Float64Array | null = null;
  if (sketch && rowMap && colMap) {
    z = new Float64Array(rowMap.size * colMap.size);
    foldColumns(sketch.y, rowMap.size, cols, colMap.bucket, colMap.sign, colMap.size, z);
  }
  return { id: job.id, stats, z, rowDeltaSq: rowOut?.deltaSq ?? null, rowBaseSq: rowOut?.baseSq ?? null };
}
