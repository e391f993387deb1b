/**
 * The trigger miner's per-record token sources (`TriggerTokens.source`), kept off the JavaScript
 * heap. The aggregator holds one for every mined record until the end, but reads only the few
 * that reported candidates need; as strings they were ~100 MB on the 210 MB benchmark corpus that
 * every young-generation collection of the main thread copied, about 0.6 s of its garbage
 * collection. ASCII sources (nearly all) are stored as bytes in 16 MB blocks; any other source
 * stays a string.
 */

import { isAscii } from '../text/normalization.js';

const BLOCK_BYTES = 16 << 20;

/** Append-only store of strings by index, ASCII ones as bytes. */
export class TriggerSources {
  private readonly blocks: Buffer[] = [];
  private used = BLOCK_BYTES;
  /** Per index: block, start and length of an ASCII source; -1 block for a string one. */
  private block: Int32Array = new Int32Array(1024);
  private start: Int32Array = new Int32Array(1024);
  private length: Int32Array = new Int32Array(1024);
  private readonly strings = new Map<number, string>();
  private count = 0;

  /** Sources held. */
  get size(): number {
    return this.count;
  }

  /** Appends `source`; its index is the previous `size`. */
  push(source: string): void {
    if (this.count === this.block.length) {
      this.block = grow(this.block);
      this.start = grow(this.start);
      this.length = grow(this.length);
    }
    const i = this.count++;
    if (source.length > BLOCK_BYTES || !isAscii(source)) {
      this.strings.set(i, source);
      this.block[i] = -1;
      return;
    }
    if (this.used + source.length > BLOCK_BYTES) {
      this.blocks.push(Buffer.allocUnsafe(BLOCK_BYTES));
      this.used = 0;
    }
    const b = this.blocks.length - 1;
    (this.blocks[b] as Buffer).write(source, this.used, 'latin1');
    this.block[i] = b;
    this.start[i] = this.used;
    this.length[i] = source.length;
    this.used += source.length;
  }

  /** The source at `index` (as pushed). */
  get(index: number): string {
    if (index < 0 || index >= this.count) throw new RangeError(`no trigger source ${index}`);
    const b = this.block[index] as number;
    if (b < 0) return this.strings.get(index) as string;
    const s = this.start[index] as number;
    return (this.blocks[b] as Buffer).toString('latin1', s, s + (this.length[index] as number));
  }
}

function grow(a: Int32Array): Int32Array {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}
