import * as nodeCrypto from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * A page of consecutive log entries as `verify` reads it: one buffer holding, for
 * each entry, a 0x00 byte and then the entry's UTF-8 bytes (exactly the preimage of
 * its leaf hash), the entries' byte lengths, and the stored subtree hashes whose ids
 * fall in the page. One buffer instead of a string per entry: reading it, handing it
 * to a worker thread (a transfer, not a copy) and hashing slices of it in place cost
 * almost nothing per entry.
 */
export interface LogPage {
  /** Log index of the first entry. */
  first: number;
  /** Number of entries. */
  count: number;
  /** `0x00 entry0 0x00 entry1 ...` */
  body: Buffer;
  /** `count` decimal byte lengths (without the 0x00) joined by commas. */
  lengths: string;
  /** Ids of the stored subtree hashes completed by this page's entries, ascending, comma-separated. */
  nodeIds: string;
  /** Their hashes, 32 bytes each, in the same order. */
  nodeHashes: Buffer;
}

/** What the hasher found in a page. */
export interface HashedPage {
  /** `count` leaf hashes, 32 bytes each. */
  hashes: Buffer;
  /**
   * Offset of the first entry that does not start with `{"event":{` or does not end
   * with `,"index":<first + offset>}`; -1 when all are bound.
   */
  firstUnbound: number;
  /**
   * The first subtree (in completion order) lying wholly inside the page whose stored
   * row is not the one expected there, or whose stored hash differs from the hash of
   * its children: the offset of the entry that completed it and its level, or -1 / 0.
   * Every other in-page subtree completed before it was checked and matches.
   */
  badNodeAt: number;
  badNodeLevel: number;
}

/**
 * The page routine, as JavaScript source: it runs on worker threads and, through
 * `new Function`, inline, so both paths are the same code. Hand-written: it is the
 * verify hot path. The one-shot `crypto.hash` (Node >= 20.12) hashes each
 * 0x00 || entry slice in place, without a Hash object per leaf; its latin1 digest is
 * a cheap heap string written straight into the output.
 *
 * Subtrees are checked locally: a stored hash must equal SHA-256(0x01 || left ||
 * right) of its children, where a child is a leaf hash computed here or a stored
 * subtree hash already checked here. By induction, the first failure found this way
 * is the first place where the stored tree and the entries disagree. Subtrees with a
 * child outside the page are left to the caller (marked foreign on the local stack).
 */
const HASH_PAGE_SOURCE = `
  const body = page.body;
  const lengths = page.lengths;
  const ids = page.nodeIds;
  const stored = page.nodeHashes;
  const out = Buffer.alloc(page.count * 32);
  const stack = Buffer.alloc(64 * 32);
  const foreign = new Uint8Array(64);
  const input = Buffer.alloc(65, 1);
  let depth = 0;
  let firstUnbound = -1;
  let badNodeAt = -1;
  let badNodeLevel = 0;
  let at = 0;
  let li = 0;
  let ii = 0;
  let nodeAt = 0;
  const digest = crypto.hash
    ? (data, into, offset) => into.write(crypto.hash('sha256', data, 'latin1'), offset, 32, 'latin1')
    : (data, into, offset) => crypto.createHash('sha256').update(data).digest().copy(into, offset);
  for (let k = 0; k < page.count; k++) {
    let len = 0;
    for (; li < lengths.length; li++) {
      const c = lengths.charCodeAt(li);
      if (c === 44) break;
      len = len * 10 + (c - 48);
    }
    li++;
    digest(body.subarray(at, at + 1 + len), out, k * 32);
    if (firstUnbound < 0 && !bound(body, at + 1, len, page.first + k)) firstUnbound = k;
    at += 1 + len;
    if (badNodeAt >= 0) continue;
    out.copy(stack, depth * 32, k * 32, k * 32 + 32);
    foreign[depth] = 0;
    depth++;
    let position = page.first + k;
    let level = 0;
    let span = 1;
    while (position % 2 === 1) {
      level++;
      span *= 2;
      position = (position - 1) / 2;
      let id = -1;
      if (ii < ids.length) {
        id = 0;
        for (; ii < ids.length; ii++) {
          const c = ids.charCodeAt(ii);
          if (c === 44) break;
          id = id * 10 + (c - 48);
        }
        ii++;
      }
      if (id !== ((position + 1) * span - 1) * 64 + level) {
        badNodeAt = k;
        badNodeLevel = level;
        break;
      }
      if (depth >= 2 && foreign[depth - 2] === 0) {
        const left = (depth - 2) * 32;
        stack.copy(input, 1, left, left + 64);
        digest(input, stack, left);
        if (stack.compare(stored, nodeAt * 32, nodeAt * 32 + 32, left, left + 32) !== 0) {
          badNodeAt = k;
          badNodeLevel = level;
          break;
        }
        depth--;
      } else {
        // The left child lies before the page: the caller checks this subtree.
        if (depth >= 2) depth--;
        foreign[depth - 1] = 1;
      }
      nodeAt++;
    }
  }
  return { hashes: out, firstUnbound, badNodeAt, badNodeLevel };

  // True when bytes [at, at + len) start with {"event":{ and end with ,"index":<index>}
  // (the decimal form JSON.stringify writes: no sign, no leading zero).
  function bound(b, at, len, index) {
    const head = '{"event":{';
    const tail = ',"index":';
    if (len < head.length + tail.length + 2) return false;
    for (let i = 0; i < head.length; i++) if (b[at + i] !== head.charCodeAt(i)) return false;
    const end = at + len - 1;
    if (b[end] !== 125) return false; // '}'
    let i = end - 1;
    let value = 0;
    let scale = 1;
    while (i > at && b[i] >= 48 && b[i] <= 57 && end - i <= 16) {
      value += (b[i] - 48) * scale;
      scale *= 10;
      i--;
    }
    const digits = end - 1 - i;
    if (digits === 0 || (digits > 1 && b[i + 1] === 48) || value !== index) return false;
    for (let j = 0; j < tail.length; j++) if (b[i - tail.length + 1 + j] !== tail.charCodeAt(j)) return false;
    return true;
  }
`;

const hashPageInline = new Function('page', 'Buffer', 'crypto', HASH_PAGE_SOURCE) as (
  page: LogPage,
  buffer: typeof Buffer,
  crypto: typeof nodeCrypto,
) => HashedPage;

/**
 * The worker is inline source (no file to resolve), which works the same from `src`
 * under tsx and from the compiled `dist`.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const crypto = require('node:crypto');
const hashPage = new Function('page', 'Buffer', 'crypto', ${JSON.stringify(HASH_PAGE_SOURCE)});
parentPort.on('message', ({ id, page }) => {
  page.body = Buffer.from(page.body);
  page.nodeHashes = Buffer.from(page.nodeHashes);
  const result = hashPage(page, Buffer, crypto);
  // Buffer.alloc of this size owns its ArrayBuffer: transfer it instead of copying.
  const own = result.hashes.byteOffset === 0 && result.hashes.byteLength === result.hashes.buffer.byteLength;
  if (!own) result.hashes = Buffer.from(result.hashes);
  parentPort.postMessage({ id, result }, own ? [result.hashes.buffer] : []);
});
`;

/**
 * Hashes pages of log entries for `verify` (RFC 6962 leaf hashes, SHA-256(0x00 ||
 * entry)), checks that each entry is bound to its index, and checks the stored
 * subtree hashes inside each page: on worker threads, so that pages are hashed on
 * the other cores while the main thread reads the next ones, or inline for small logs.
 */
export class PageHasher {
  private nextId = 0;
  private readonly waiting = new Map<
    number,
    { resolve: (page: HashedPage) => void; reject: (e: unknown) => void }
  >();

  private constructor(private readonly workers: Worker[]) {
    for (const worker of workers) {
      worker.on('message', ({ id, result }: { id: number; result: HashedPage }) => {
        const w = this.waiting.get(id);
        this.waiting.delete(id);
        const h = result.hashes;
        w?.resolve({ ...result, hashes: Buffer.from(h.buffer, h.byteOffset, h.byteLength) });
      });
      worker.on('error', (err) => {
        for (const w of this.waiting.values()) w.reject(err);
        this.waiting.clear();
      });
    }
  }

  /**
   * A hasher with its own worker threads (at least 2: the main thread mostly waits
   * for the database, so two workers keep two cores busy), or hashing inline when
   * `threaded` is false.
   */
  static create(threaded = true): PageHasher {
    const count = threaded ? Math.max(2, Math.min(4, availableParallelism())) : 0;
    return new PageHasher(Array.from({ length: count }, () => new Worker(WORKER_SOURCE, { eval: true })));
  }

  /** How many pages should be in flight to keep every worker busy. */
  get parallelism(): number {
    return Math.max(1, this.workers.length);
  }

  /**
   * Hashes and checks a page. With workers, `page.body`'s memory is transferred (a
   * copy is made first when it is a view into a larger or pooled buffer).
   */
  hash(page: LogPage): Promise<HashedPage> {
    if (this.workers.length === 0) return Promise.resolve(hashPageInline(page, Buffer, nodeCrypto));
    const id = this.nextId++;
    const body = ownedBuffer(page.body);
    const worker = this.workers[id % this.workers.length] as Worker;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      // nodeHashes is small and still needed here: it is copied, not transferred.
      worker.postMessage({ id, page: { ...page, body: body.buffer } }, [body.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/**
 * `buf` itself when it owns its whole ArrayBuffer, else a copy that does. Small
 * buffers are often slices of Node's shared pool (Buffer.from, concat), which must
 * never be transferred; Buffer.alloc never uses the pool.
 */
function ownedBuffer(buf: Buffer): Buffer {
  if (buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength) return buf;
  const copy = Buffer.alloc(buf.length);
  buf.copy(copy);
  return copy;
}

/** The entry part of a {@link LogPage} built from entry strings (the slow, gap-aware path). */
export function entryBytes(entries: readonly string[]): Pick<LogPage, 'count' | 'body' | 'lengths'> {
  const parts: Buffer[] = [];
  const lengths: number[] = [];
  for (const entry of entries) {
    const bytes = Buffer.from(entry, 'utf8');
    parts.push(Buffer.alloc(1), bytes);
    lengths.push(bytes.length);
  }
  return { count: entries.length, body: Buffer.concat(parts), lengths: lengths.join(',') };
}
