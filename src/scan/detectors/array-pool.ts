/**
 * Per-record typed arrays (features, sparse vectors) packed into fixed-size
 * chunks. Compared with one typed array per record it saves the per-object
 * and per-buffer overhead; compared with one growing array it never copies
 * on growth (which briefly needs twice the memory) and wastes at most part of
 * one chunk. Arrays are read back as views, and chunks can be released in
 * order once their arrays are done with.
 */
export class ArrayPool<T extends Int32Array | Float32Array> {
  private readonly chunks: (T | undefined)[] = [];
  private used = 0;
  /** Per slot: chunk index (-1 = no array), start in the chunk, length. */
  private chunkOf = new Int32Array(1024);
  private starts = new Int32Array(1024);
  private lengths = new Int32Array(1024);
  private slots = 0;

  constructor(
    private readonly make: (n: number) => T,
    private readonly chunkLength = 1 << 20,
  ) {}

  /** Number of slots pushed so far. */
  get size(): number {
    return this.slots;
  }

  /** Appends a copy of `values` (or a gap when undefined); returns its slot. */
  push(values: ArrayLike<number> | undefined): number {
    const slot = this.slots++;
    if (slot >= this.chunkOf.length) {
      const grow = (a: Int32Array) => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.chunkOf = grow(this.chunkOf);
      this.starts = grow(this.starts);
      this.lengths = grow(this.lengths);
    }
    if (!values) {
      this.chunkOf[slot] = -1;
      return slot;
    }
    const n = values.length;
    let chunk = this.chunks[this.chunks.length - 1];
    if (!chunk || this.used + n > chunk.length) {
      chunk = this.make(Math.max(this.chunkLength, n));
      this.chunks.push(chunk);
      this.used = 0;
    }
    chunk.set(values, this.used);
    this.chunkOf[slot] = this.chunks.length - 1;
    this.starts[slot] = this.used;
    this.lengths[slot] = n;
    this.used += n;
    return slot;
  }

  /** The array of a slot as a view, or undefined for a gap (or a released chunk). */
  get(slot: number): T | undefined {
    if (slot >= this.slots) return undefined;
    const c = this.chunkOf[slot] as number;
    if (c < 0) return undefined;
    const chunk = this.chunks[c];
    if (!chunk) return undefined;
    const s = this.starts[slot] as number;
    return chunk.subarray(s, s + (this.lengths[slot] as number)) as T;
  }

  /** Frees the chunks that hold only slots before `slot` (they must not be read again). */
  releaseBefore(slot: number): void {
    if (slot <= 0 || slot > this.slots) return;
    // The chunk of the last array before `slot` may still hold later ones.
    let last = -1;
    for (let s = slot - 1; s >= 0 && last < 0; s--) last = this.chunkOf[s] as number;
    for (let c = 0; c < last; c++) this.chunks[c] = undefined;
  }
}
