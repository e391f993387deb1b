/**
 * An open-addressing set of 32-bit integers (signed or unsigned: both are kept as
 * their int32 bit pattern) that is emptied in O(1) by bumping a generation stamp, so
 * a set reused for every record costs no allocation and no clearing. Hand-written
 * because a `Set` per record was the hot spot of the shingle and trigger-gram paths.
 */
export class StampedIntSet {
  private keys = new Int32Array(1 << 12);
  private stamps = new Int32Array(1 << 12);
  private stamp = 0;
  private mask = (1 << 12) - 1;

  /** Empties the set and sizes it for up to `n` values. */
  reset(n: number): void {
    let size = 16;
    while (size < 2 * n) size *= 2;
    if (this.keys.length < size) {
      this.keys = new Int32Array(size);
      this.stamps = new Int32Array(size);
      this.stamp = 0;
    }
    this.mask = size - 1;
    this.stamp++;
    if (this.stamp === 0x7fffffff) {
      this.stamps.fill(0);
      this.stamp = 1;
    }
  }

  /** Adds a value; false when it was already present. */
  add(value: number): boolean {
    const { keys, stamps, stamp, mask } = this;
    const v = value | 0;
    let i = slot(v) & mask;
    while (stamps[i] === stamp) {
      if (keys[i] === v) return false;
      i = (i + 1) & mask;
    }
    stamps[i] = stamp;
    keys[i] = v;
    return true;
  }

  has(value: number): boolean {
    const { keys, stamps, stamp, mask } = this;
    const v = value | 0;
    let i = slot(v) & mask;
    while (stamps[i] === stamp) {
      if (keys[i] === v) return true;
      i = (i + 1) & mask;
    }
    return false;
  }
}

/** Spreads values that are not already well-mixed hashes (e.g. small or strided ids). */
function slot(v: number): number {
  return Math.imul(v ^ (v >>> 15), 0x2c1b3c6d);
}
