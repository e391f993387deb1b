import { FileRange } from '../file-range.js';
import { sketchMap } from './count-sketch.js';
import {
  accumulateBlock,
  type DeltaStats,
  emptyStats,
  foldColumns,
  type RowOutputs,
  type RowSketch,
} from './delta-accumulator.js';
import { type DiffDtype, decodeFloats, dtypeBytes } from './float-codec.js';
import { WasmDeltaKernel } from './wasm-delta-kernel.js';

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
let kernel: WasmDeltaKernel | null | undefined;

/**
 * Diffs the rows of one job, streaming both files in blocks of about
 * {@link BLOCK_BYTES} (positional reads; never the whole tensor).
 */
export function runDiffJob(job: DiffJob, files: FileCache): DiffJobResult {
  if (kernel === undefined) kernel = WasmDeltaKernel.create();
  if (kernel && job.base.dtype === job.finetuned.dtype && job.base.dtype !== 'F16')
    return runWithKernel(job, files, kernel);
  return runDiffJobScalar(job, files);
}

/** {@link runDiffJob} in plain JavaScript: the reference, and the path for F16 and mixed dtypes. */
export function runDiffJobScalar(job: DiffJob, files: FileCache): DiffJobResult {
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
    const rawB = fb.read(
      job.finetuned.begin + r * cols * bb,
      n * bb,
      Buffer.from(scratch.rawB.buffer, 0, n * bb),
    );
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

const tailScratch = new Float32Array(2);
const tailBits = new Uint32Array(tailScratch.buffer);

/** {@link runDiffJob} on the WebAssembly kernel: same blocks, same results, about 8x the JavaScript loop. */
function runWithKernel(job: DiffJob, files: FileCache, k: WasmDeltaKernel): DiffJobResult {
  const dtype = job.base.dtype as 'BF16' | 'F32';
  const fa = files.get(job.base.path);
  const fb = files.get(job.finetuned.path);
  const eb = dtypeBytes(dtype);
  const cols = job.cols;
  const blockRows = Math.max(1, Math.floor(BLOCK_BYTES / (cols * eb)));
  const rowMap = job.sketch ? sketchMap(job.totalRows) : null;
  const colMap = job.sketch ? sketchMap(cols) : null;
  k.layout(blockRows * cols * eb, rowMap ? rowMap.size * cols : 0);
  const stats = emptyStats();
  const rowCount = job.rowEnd - job.rowStart;
  const rowDeltaSq = job.rowNorms ? new Float64Array(rowCount) : null;
  const rowBaseSq = job.rowNorms ? new Float64Array(rowCount) : null;
  const n8 = cols & ~7;
  const y = rowMap ? k.sketch() : null;
  for (let r = job.rowStart; r < job.rowEnd; r += blockRows) {
    const rows = Math.min(blockRows, job.rowEnd - r);
    const len = rows * cols * eb;
    const bufA = k.blockA(len);
    const bufB = k.blockB(len);
    if (
      fa.read(job.base.begin + r * cols * eb, len, bufA).length < len ||
      fb.read(job.finetuned.begin + r * cols * eb, len, bufB).length < len
    )
      throw new Error(`short read at row ${r}`);
    for (let i = 0; i < rows; i++) {
      const g = r + i;
      const yRow = rowMap ? (rowMap.bucket[g] as number) : -1;
      const sign = rowMap ? (rowMap.sign[g] as number) : 1;
      const out = k.row(dtype, i * cols * eb, i * cols * eb, n8, yRow, cols, sign);
      let a2 = out[0] as number;
      let ad = out[1] as number;
      let d2 = out[2] as number;
      let mx = out[3] as number;
      let ch = out[4] as number;
      // Tail (cols not a multiple of 8) in plain JavaScript.
      for (let j = n8; j < cols; j++) {
        const o = (i * cols + j) * eb;
        if (dtype === 'BF16') {
          tailBits[0] = bufA.readUInt16LE(o) << 16;
          tailBits[1] = bufB.readUInt16LE(o) << 16;
        } else {
          tailScratch[0] = bufA.readFloatLE(o);
          tailScratch[1] = bufB.readFloatLE(o);
        }
        const x = tailScratch[0] as number;
        const d = (tailScratch[1] as number) - x;
        a2 += x * x;
        ad += x * d;
        d2 += d * d;
        if (Math.abs(d) > mx) mx = Math.abs(d);
        ch += d !== 0 ? 1 : 0;
        if (y && yRow >= 0) y[yRow * cols + j] = (y[yRow * cols + j] as number) + sign * d;
      }
      if (!Number.isFinite(a2 + d2))
        stats.nonFinite += countNonFinite(bufA, bufB, i * cols * eb, cols, dtype);
      stats.sumA2 += a2;
      stats.sumAD += ad;
      stats.sumD2 += d2;
      stats.maxAbs = Math.max(stats.maxAbs, mx);
      stats.changed += ch;
      if (rowDeltaSq && rowBaseSq) {
        rowDeltaSq[g - job.rowStart] = d2;
        rowBaseSq[g - job.rowStart] = a2;
      }
    }
    stats.count += rows * cols;
  }
  let z: Float64Array | null = null;
  if (y && rowMap && colMap) {
    z = new Float64Array(rowMap.size * colMap.size);
    foldColumns(y, rowMap.size, cols, colMap.bucket, colMap.sign, colMap.size, z);
  }
  return { id: job.id, stats, z, rowDeltaSq, rowBaseSq };
}

function countNonFinite(a: Buffer, b: Buffer, off: number, cols: number, dtype: 'BF16' | 'F32'): number {
  let n = 0;
  for (let j = 0; j < cols; j++) {
    const o = off + j * dtypeBytes(dtype);
    const x =
      dtype === 'BF16' ? ((a.readUInt16LE(o) >> 7) & 0xff) === 0xff : !Number.isFinite(a.readFloatLE(o));
    const y =
      dtype === 'BF16' ? ((b.readUInt16LE(o) >> 7) & 0xff) === 0xff : !Number.isFinite(b.readFloatLE(o));
    if (x || y) n++;
  }
  return n;
}
