import * as nodeCrypto from 'node:crypto';

/**
 * RFC 6962 / RFC 9162 Merkle tree hashing and the §2.1.3 / §2.1.4 proof
 * algorithms. Everything here is pure: proof generation reads perfect subtree
 * hashes through a {@link NodeSource}, so the same code serves the in-memory
 * reference and the database-backed ledger (which stores every completed
 * perfect subtree and therefore answers each lookup with one row).
 */

const { createHash } = nodeCrypto;
const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/**
 * One-shot SHA-256 (`crypto.hash`, Node >= 20.12): several times cheaper than a
 * `Hash` object for the short inputs of a Merkle tree. Falls back to `createHash`.
 */
const sha256: (data: string | Uint8Array) => Buffer =
  typeof (nodeCrypto as { hash?: unknown }).hash === 'function'
    ? (data) =>
        (nodeCrypto as unknown as { hash(a: string, d: string | Uint8Array, e: 'buffer'): Buffer }).hash(
          'sha256',
          data,
          'buffer',
        )
    : (data) => createHash('sha256').update(data).digest();

/** Input of {@link hashChildren}: 0x01, then the two 32-byte children (copied in, never retained). */
const NODE_INPUT = Buffer.alloc(65, 0x01);

/** MTH of the empty tree: SHA-256 of the empty string. */
export const EMPTY_ROOT: Buffer = createHash('sha256').digest();

/** Leaf hash: SHA-256(0x00 || entry). A string entry is hashed as its UTF-8 bytes. */
export function hashLeaf(entry: Uint8Array | string): Buffer {
  // "\0" + entry encodes as the 0x00 byte followed by the UTF-8 bytes of entry.
  if (typeof entry === 'string') return sha256(`\0${entry}`);
  return createHash('sha256').update(LEAF_PREFIX).update(entry).digest();
}

/** Interior node hash: SHA-256(0x01 || left || right). */
export function hashChildren(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length !== 32 || right.length !== 32) {
    return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
  }
  NODE_INPUT.set(left, 1);
  NODE_INPUT.set(right, 33);
  return sha256(NODE_INPUT);
}

/** An inclusion proof (RFC 9162 §2.1.3) with hex hashes. */
export interface InclusionProof {
  index: number;
  treeSize: number;
  /** Hex leaf hash of the entry at `index`. */
  leafHash: string;
  /** Audit path, hex, bottom-up. */
  hashes: string[];
}

/** A consistency proof (RFC 9162 §2.1.4) between two tree sizes, hex hashes. */
export interface ConsistencyProof {
  fromSize: number;
  toSize: number;
  hashes: string[];
}

/**
 * Returns the hash of the perfect subtree at `level` (2^level leaves) whose
 * leaves start at `index * 2^level`. Level 0 is the leaf hash.
 */
export type NodeSource = (level: number, index: number) => Uint8Array;

/** Largest power of two strictly smaller than `n` (n >= 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function isPerfect(start: number, size: number): number | null {
  // Returns the level when D[start:start+size] is a perfect, aligned subtree.
  let level = 0;
  let s = size;
  while (s > 1) {
    if (s % 2 !== 0) return null;
    s /= 2;
    level++;
  }
  return start % size === 0 ? level : null;
}

/** MTH(D[start:start+size]) from perfect subtree hashes (RFC 9162 §2.1.1). */
export function subtreeHash(source: NodeSource, start: number, size: number): Uint8Array {
  if (size === 0) return EMPTY_ROOT;
  const level = isPerfect(start, size);
  if (level !== null) return source(level, start / size);
  const k = splitPoint(size);
  return hashChildren(subtreeHash(source, start, k), subtreeHash(source, start + k, size - k));
}

/** PATH(m, D[n]) of RFC 9162 §2.1.3.1, for leaf `index` in a tree of `treeSize` leaves. */
export function inclusionPath(source: NodeSource, index: number, treeSize: number): Uint8Array[] {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(treeSize) || index < 0 || index >= treeSize) {
    throw new RangeError(`leaf index ${index} is outside a tree of size ${treeSize}`);
  }
  const path: Uint8Array[] = [];
  const walk = (m: number, start: number, n: number): void => {
    if (n === 1) return;
    const k = splitPoint(n);
    if (m < k) {
      walk(m, start, k);
      path.push(subtreeHash(source, start + k, n - k));
    } else {
      walk(m - k, start + k, n - k);
      path.push(subtreeHash(source, start, k));
    }
  };
  walk(index, 0, treeSize);
  return path;
}

/** PROOF(m, D[n]) of RFC 9162 §2.1.4.1 between tree sizes `fromSize` <= `toSize`. */
export function consistencyPath(source: NodeSource, fromSize: number, toSize: number): Uint8Array[] {
  if (!Number.isSafeInteger(fromSize) || !Number.isSafeInteger(toSize) || fromSize < 0 || fromSize > toSize) {
    throw new RangeError(`no consistency proof from size ${fromSize} to size ${toSize}`);
  }
  const path: Uint8Array[] = [];
  if (fromSize === 0 || fromSize === toSize) return path;
  const sub = (m: number, start: number, n: number, complete: boolean): void => {
    if (m === n) {
      if (!complete) path.push(subtreeHash(source, start, n));
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      sub(m, start, k, complete);
      path.push(subtreeHash(source, start + k, n - k));
    } else {
      sub(m - k, start + k, n - k, false);
      path.push(subtreeHash(source, start, k));
    }
  };
  sub(fromSize, 0, toSize, true);
  return path;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

/**
 * RFC 9162 §2.1.3.2: true when `path` proves that `leafHash` is leaf `index`
 * of the tree of `treeSize` leaves whose root is `rootHash`.
 */
export function verifyInclusion(
  index: number,
  treeSize: number,
  leafHash: Uint8Array,
  path: readonly Uint8Array[],
  rootHash: Uint8Array,
): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(treeSize) || index < 0 || index >= treeSize) {
    return false;
  }
  // Arithmetic instead of bit operators: indices may exceed 2^31.
  let fn = index;
  let sn = treeSize - 1;
  let r: Uint8Array = leafHash;
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = hashChildren(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = hashChildren(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(r, rootHash);
}

/**
 * RFC 9162 §2.1.4.2: true when `path` proves that the tree of `fromSize` leaves
 * with root `fromRoot` is a prefix of the tree of `toSize` leaves with root `toRoot`.
 */
export function verifyConsistency(
  fromSize: number,
  toSize: number,
  fromRoot: Uint8Array,
  toRoot: Uint8Array,
  path: readonly Uint8Array[],
): boolean {
  if (!Number.isSafeInteger(fromSize) || !Number.isSafeInteger(toSize) || fromSize < 0 || fromSize > toSize) {
    return false;
  }
  if (fromSize === toSize) return path.length === 0 && equalBytes(fromRoot, toRoot);
  if (fromSize === 0) return path.length === 0;
  if (path.length === 0) return false;
  const nodes = [...path];
  if (isPerfect(0, fromSize) !== null) nodes.unshift(fromRoot);
  let fn = fromSize - 1;
  let sn = toSize - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  const first = nodes[0] as Uint8Array;
  let fr: Uint8Array = first;
  let sr: Uint8Array = first;
  for (const c of nodes.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(fr, fromRoot) && equalBytes(sr, toRoot);
}

/**
 * The right edge of a growing tree: the roots of the perfect subtrees that make
 * up its first `size` leaves (largest first). Appending a leaf merges equal-sized
 * subtrees and reports each newly completed one, which is what the ledger
 * persists and what `verify` checks.
 */
export class CompactRange {
  /** Memoised {@link root}: a commit compares it with the stored head and then signs it. */
  private memoRoot: Buffer | null = null;

  private constructor(
    private leaves: number,
    private readonly hashes: Uint8Array[],
  ) {}

  /** An empty range (tree of size 0). */
  static empty(): CompactRange {
    return new CompactRange(0, []);
  }

  /** Rebuilds the range of a tree of `size` leaves from its perfect subtree hashes. */
  static fromSource(size: number, source: NodeSource): CompactRange {
    return new CompactRange(
      size,
      CompactRange.frontierNodes(size).map(([l, i]) => source(l, i)),
    );
  }

  /** `[level, index]` of each perfect subtree on the right edge of a tree of `size` leaves. */
  static frontierNodes(size: number): Array<[number, number]> {
    const nodes: Array<[number, number]> = [];
    let start = 0;
    for (let level = Math.floor(Math.log2(Math.max(size, 1))) + 1; level >= 0; level--) {
      const width = 2 ** level;
      if (start + width <= size) {
        nodes.push([level, start / width]);
        start += width;
      }
    }
    return nodes;
  }

  get size(): number {
    return this.leaves;
  }

  /**
   * Adds a leaf. `onNode(level, index, hash)` is called for every perfect
   * subtree (level >= 1) completed by this leaf, bottom-up.
   */
  append(leafHash: Uint8Array, onNode?: (level: number, index: number, hash: Uint8Array) => void): void {
    let hash = leafHash;
    let level = 0;
    let position = this.leaves; // index of the subtree at `level` that `hash` roots
    while (position % 2 === 1) {
      const left = this.hashes.pop() as Uint8Array;
      hash = hashChildren(left, hash);
      level++;
      position = Math.floor(position / 2);
      onNode?.(level, position, hash);
    }
    this.hashes.push(hash);
    this.leaves++;
    this.memoRoot = null;
  }

  /** MTH of the current tree (a fresh copy; callers may keep or change it). */
  root(): Buffer {
    if (this.hashes.length === 0) return Buffer.from(EMPTY_ROOT);
    if (this.memoRoot === null) {
      let r = this.hashes[this.hashes.length - 1] as Uint8Array;
      for (let i = this.hashes.length - 2; i >= 0; i--) r = hashChildren(this.hashes[i] as Uint8Array, r);
      this.memoRoot = Buffer.from(r);
    }
    return Buffer.from(this.memoRoot);
  }

  /** A copy that can be advanced without changing this one. */
  clone(): CompactRange {
    const copy = new CompactRange(this.leaves, [...this.hashes]);
    copy.memoRoot = this.memoRoot;
    return copy;
  }
}

/**
 * SHA-256 of `data` written into `out` at `offset` (32 bytes), without allocating a
 * Buffer per hash: `crypto.hash` returns the digest as a latin1 string (a cheap heap
 * string, not an ArrayBuffer), which is copied in byte for byte.
 */
const sha256Into: (data: Uint8Array, out: Buffer, offset: number) => void =
  typeof (nodeCrypto as { hash?: unknown }).hash === 'function'
    ? (data, out, offset) => {
        const digest = (
          nodeCrypto as unknown as { hash(a: string, d: Uint8Array, e: 'latin1'): string }
        ).hash('sha256', data, 'latin1');
        out.write(digest, offset, 32, 'latin1');
      }
    : (data, out, offset) => {
        createHash('sha256').update(data).digest().copy(out, offset);
      };

/**
 * {@link CompactRange} for bulk recomputation (`verify`): the right edge lives in one
 * buffer (a stack of 32-byte hashes), leaves are read from a buffer of concatenated
 * hashes and interior nodes are hashed into the stack, so appending allocates nothing.
 */
export class FlatCompactRange {
  private leaves = 0;
  /** Stack of perfect subtree roots, largest first; `depth` of them are in use. */
  private readonly stack = Buffer.alloc(64 * 32);
  private depth = 0;
  private readonly input = Buffer.alloc(65, 0x01);

  get size(): number {
    return this.leaves;
  }

  /**
   * Adds the leaf whose hash is `leafHashes[offset .. offset + 32)`. `onNode(level,
   * index, hashes, at)` is called for every perfect subtree (level >= 1) completed
   * by this leaf, bottom-up, with its hash at `hashes[at .. at + 32)`; it returns
   * false to stop (the range is then unusable).
   */
  append(
    leafHashes: Buffer,
    offset: number,
    onNode: (level: number, index: number, hashes: Buffer, at: number) => boolean,
  ): boolean {
    const stack = this.stack;
    const input = this.input;
    leafHashes.copy(stack, this.depth * 32, offset, offset + 32);
    this.depth++;
    let level = 0;
    let position = this.leaves;
    while (position % 2 === 1) {
      // The top two entries are left and right children: hash them into the left one's slot.
      const left = (this.depth - 2) * 32;
      stack.copy(input, 1, left, left + 64);
      sha256Into(input, stack, left);
      this.depth--;
      level++;
      position = Math.floor(position / 2);
      if (!onNode(level, position, stack, left)) return false;
    }
    this.leaves++;
    return true;
  }

  /** MTH of the current tree. */
  root(): Buffer {
    if (this.depth === 0) return EMPTY_ROOT;
    let r: Uint8Array = this.stack.subarray((this.depth - 1) * 32, this.depth * 32);
    for (let i = this.depth - 2; i >= 0; i--) r = hashChildren(this.stack.subarray(i * 32, i * 32 + 32), r);
    return Buffer.from(r);
  }
}
