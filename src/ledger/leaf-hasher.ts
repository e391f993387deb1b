import { Worker } from 'node:worker_threads';
import { hashLeaf } from './merkle-tree.js';

/**
 * Computes RFC 6962 leaf hashes of a page of entries on a worker thread, so that
 * `verify` hashes leaves on one core while the main thread reads the next page and
 * rebuilds the tree on another. The worker is inline source (no file to resolve),
 * which works the same from `src` under tsx and from the compiled `dist`.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const crypto = require('node:crypto');
const prefix = Buffer.from([0]);
// One-shot crypto.hash (Node >= 20.12) needs no Hash object per leaf, and its latin1 digest is a
// cheap heap string rather than a Buffer; "\\0" + entry is 0x00 || UTF-8(entry).
const leafInto = typeof crypto.hash === 'function'
  ? (entry, out, at) => out.write(crypto.hash('sha256', '\\0' + entry, 'latin1'), at, 32, 'latin1')
  : (entry, out, at) => crypto.createHash('sha256').update(prefix).update(entry).digest().copy(out, at);
parentPort.on('message', ({ id, entries }) => {
  const out = Buffer.from(new ArrayBuffer(entries.length * 32));
  for (let i = 0; i < entries.length; i++) leafInto(entries[i], out, i * 32);
  parentPort.postMessage({ id, hashes: out }, [out.buffer]);
});
`;

/** Leaf hashing for `verify`, on a worker thread or inline. */
export class LeafHasher {
  private nextId = 0;
  private readonly waiting = new Map<
    number,
    { resolve: (b: Buffer) => void; reject: (e: unknown) => void }
  >();

  private constructor(private readonly worker: Worker | null) {
    worker?.on('message', ({ id, hashes }: { id: number; hashes: Uint8Array }) => {
      const w = this.waiting.get(id);
      this.waiting.delete(id);
      w?.resolve(Buffer.from(hashes.buffer, hashes.byteOffset, hashes.byteLength));
    });
    worker?.on('error', (err) => {
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    });
  }

  /** A hasher with its own worker thread (or hashing inline when `threaded` is false). */
  static create(threaded = true): LeafHasher {
    return new LeafHasher(threaded ? new Worker(WORKER_SOURCE, { eval: true }) : null);
  }

  /** Leaf hashes of `entries`, concatenated (32 bytes each). */
  hash(entries: readonly string[]): Promise<Buffer> {
    if (!this.worker) {
      const out = Buffer.allocUnsafe(entries.length * 32);
      entries.forEach((e, i) => {
        hashLeaf(e).copy(out, i * 32);
      });
      return Promise.resolve(out);
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker?.postMessage({ id, entries });
    });
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
  }
}
