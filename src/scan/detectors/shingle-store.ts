import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CHUNK = 8 << 20;

/** Default bytes of sets kept in memory before the store spills to its file. */
export const SHINGLE_MEMORY_BUDGET = 128 << 20;

/**
 * Append-only store of per-record shingle sets that spills to a temporary
 * file. The exact-Jaccard confirmation needs every record's set, which would
 * grow memory with the dataset (~3 KB per 5 KB e-mail). The first
 * `memoryBudget` bytes of sets stay in memory (writing to the file costs
 * kernel time, which on small datasets dominated the main thread's work);
 * later ones go to disk, where the OS page cache keeps the hot part and
 * random reads of a few KB are cheap.
 */
export class ShingleStore {
  private offsets = new Float64Array(1024);
  private lengths = new Int32Array(1024);
  private count = 0;
  private buffer = new Int32Array(CHUNK / 4);
  private bufferUsed = 0; // in int32s
  private bufferStart = 0; // file offset (bytes) of buffer[0]
  private fileBytes = 0;
  private fd: number | undefined;
  private scratch = new Int32Array(4096);
  /** Full chunks kept in memory (their sets have offsets below `memoryEnd`). */
  private readonly kept: Int32Array[] = [];
  private memoryEnd = 0;

  constructor(private readonly memoryBudget = SHINGLE_MEMORY_BUDGET) {}

  /** Stores a set and returns its id (0, 1, 2, ...). */
  add(set: Int32Array): number {
    const id = this.count++;
    if (id >= this.offsets.length) {
      const o = new Float64Array(this.offsets.length * 2);
      o.set(this.offsets);
      this.offsets = o;
      const l = new Int32Array(this.lengths.length * 2);
      l.set(this.lengths);
      this.lengths = l;
    }
    if (this.bufferUsed + set.length > this.buffer.length) this.flush();
    if (set.length > this.buffer.length) this.buffer = new Int32Array(set.length);
    this.offsets[id] = this.bufferStart + this.bufferUsed * 4;
    this.lengths[id] = set.length;
    this.buffer.set(set, this.bufferUsed);
    this.bufferUsed += set.length;
    return id;
  }

  /** The set with this id; the returned view is valid until the next `get`. */
  get(id: number): Int32Array {
    const offset = this.offsets[id] as number;
    const length = this.lengths[id] as number;
    if (offset >= this.bufferStart) {
      const start = (offset - this.bufferStart) / 4;
      return this.buffer.subarray(start, start + length);
    }
    if (offset < this.memoryEnd) {
      // Kept chunks are CHUNK bytes each unless a set was larger: find by offset.
      let base = 0;
      for (const chunk of this.kept) {
        if (offset < base + chunk.byteLength) {
          const start = (offset - base) / 4;
          return chunk.subarray(start, start + length);
        }
        base += chunk.byteLength;
      }
    }
    if (this.scratch.length < length) this.scratch = new Int32Array(length);
    const view = this.scratch.subarray(0, length);
    readSync(
      this.fd as number,
      new Uint8Array(view.buffer, view.byteOffset, length * 4),
      0,
      length * 4,
      offset - this.memoryEnd,
    );
    return view;
  }

  private flush(): void {
    if (this.bufferUsed === 0) return;
    if (this.fd === undefined && this.memoryEnd + this.bufferUsed * 4 <= this.memoryBudget) {
      // Keep the filled part in memory; a fresh buffer takes the next sets.
      const chunk = this.buffer.subarray(0, this.bufferUsed);
      this.kept.push(chunk);
      this.memoryEnd += chunk.byteLength;
      this.fileBytes += chunk.byteLength;
      this.bufferStart = this.fileBytes;
      this.bufferUsed = 0;
      this.buffer = new Int32Array(CHUNK / 4);
      return;
    }
    if (this.fd === undefined) {
      const dir = mkdtempSync(join(tmpdir(), 'tunegate-shingles-'));
      this.fd = openSync(join(dir, 'sets.bin'), 'w+');
      // Unlinked at once: the open descriptor keeps the data, and nothing is left behind
      // if the scan is interrupted or crashes.
      rmSync(dir, { recursive: true, force: true });
    }
    const bytes = new Uint8Array(this.buffer.buffer, 0, this.bufferUsed * 4);
    // Offsets are logical (kept chunks first); the file holds what comes after them.
    writeSync(this.fd, bytes, 0, bytes.length, this.fileBytes - this.memoryEnd);
    this.fileBytes += bytes.length;
    this.bufferStart = this.fileBytes;
    this.bufferUsed = 0;
  }

  /** Releases the (already unlinked) temporary file. */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
