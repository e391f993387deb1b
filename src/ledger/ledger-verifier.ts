import type { Database, Queryable } from '../store/database.js';
import { LedgerError } from './ledger-error.js';
import { nodeId } from './ledger-schema.js';
import { EMPTY_ROOT, hashChildren, hashLeaf } from './merkle-tree.js';
import { entryBytes, type HashedPage, type LogPage, PageHasher } from './page-hasher.js';
import { openCheckpoint, type VerifierKey } from './signed-note.js';

/** Outcome of {@link verifyLog}, in the shape `tunegate audit verify --json` prints. */
export interface VerifyResult {
  ok: boolean;
  /** Number of entries stored in the log. */
  size: number;
  /** Lowest index that cannot be trusted, or null when the log is intact. */
  first_bad_index: number | null;
  reason: string;
}

/** Logs at least this large are hashed on worker threads (starting them costs more below). */
const THREADED_FROM = 50_000;
/**
 * Entries per page. A page travels as one buffer (about 1 MB at 2,048 entries), so
 * its fixed costs (two queries, a message to a worker, a promise) are spread thin,
 * while pages stay small enough to keep both workers and this thread busy. Measured
 * on a 1,000,000-entry log: 2,048 was fastest of 1,000, 2,048, 4,096 and 16,384.
 */
const PAGE = 2048;

type EntryRow = {
  idx: number;
  entry: string;
};

/** A root the recomputed tree must have at `size`. */
interface ExpectedRoot {
  size: number;
  root: Buffer;
  /** What asserted it, for the reason text. */
  what: string;
  /** True for checkpoints stored in this log, false for the caller's note. */
  own: boolean;
}

class Bad extends Error {
  constructor(
    readonly index: number,
    reason: string,
  ) {
    super(reason);
  }
}

/**
 * Recomputes the whole log from the stored entry bytes: leaf hashes, contiguous
 * indices bound into each entry, stored subtree hashes,
 * the root and signature of every stored checkpoint, and optionally a checkpoint
 * note the caller saved (rollback detection). Streams in keyset pages.
 * Throws `ledger.invalid_checkpoint` only when the supplied note itself is unusable.
 * Query columns need no check: the database generates them from the entry bytes.
 */
export async function verifyLog(db: Database, options: VerifyOptions): Promise<VerifyResult> {
  // Every read happens on one snapshot: a writer committing between two of verify's
  // queries (another process, or a killed client's backend finishing its COMMIT) would
  // otherwise look like entries that no signed checkpoint covers.
  return db.transaction((tx) => verifySnapshot(snapshotView(db, tx), options), { snapshot: true });
}

interface VerifyOptions {
  key: VerifierKey;
  origin: string;
  checkpoint?: string | undefined;
  /** Hash leaves on a worker thread (default: for logs of 50,000 entries or more). */
  threaded?: boolean;
  /** Entries per page (default 1,000; tests use small pages to cover full and partial ones). */
  pageSize?: number;
}

/** The reads verify needs, bound to one snapshot transaction. */
type SnapshotReader = Queryable & Pick<Database, 'dialect'>;

function snapshotView(db: Database, tx: Queryable): SnapshotReader {
  return {
    dialect: db.dialect,
    query: (sql, params) => tx.query(sql, params),
    execute: (sql, params) => tx.execute(sql, params),
  };
}

async function verifySnapshot(db: SnapshotReader, options: VerifyOptions): Promise<VerifyResult> {
  let size = 0;
  try {
    const expected: ExpectedRoot[] = [];
    const stored = await db.query<{ size: number; root_hash: Uint8Array; note: string }>(
      'SELECT size, root_hash, note FROM ledger_checkpoints ORDER BY size',
    );
    let previous = 0;
    for (const row of stored) {
      const cpSize = Number(row.size);
      let cp: ReturnType<typeof openCheckpoint>;
      try {
        cp = openCheckpoint(row.note, options.key);
      } catch (err) {
        throw new Bad(previous, `stored checkpoint at size ${cpSize}: ${(err as Error).message}`);
      }
      if (
        cp.origin !== options.origin ||
        cp.size !== cpSize ||
        !cp.rootHash.equals(Buffer.from(row.root_hash))
      ) {
        throw new Bad(previous, `stored checkpoint at size ${cpSize} does not match its signed note`);
      }
      expected.push({
        size: cpSize,
        root: cp.rootHash,
        what: `signed checkpoint at size ${cpSize}`,
        own: true,
      });
      previous = cpSize;
    }
    const latest = stored.length > 0 ? previous : 0;
    const [countRow] = await db.query<{ m: number | null }>('SELECT MAX(idx) AS m FROM ledger_entries');
    size = countRow?.m === null || countRow?.m === undefined ? 0 : Number(countRow.m) + 1;
    if (stored.length === 0) throw new Bad(0, 'the log has no signed checkpoint');

    let user: ExpectedRoot | null = null;
    if (options.checkpoint !== undefined) {
      const cp = openCheckpoint(options.checkpoint, options.key);
      if (cp.origin !== options.origin) {
        throw new LedgerError(
          'ledger.invalid_checkpoint',
          `checkpoint is for log "${cp.origin}", this log is "${options.origin}"`,
        );
      }
      user = {
        size: cp.size,
        root: cp.rootHash,
        what: `the supplied checkpoint (size ${cp.size})`,
        own: false,
      };
      if (cp.size > size) {
        throw new Bad(
          size,
          `rolled back: the supplied checkpoint covers ${cp.size} entries, the log holds ${size}`,
        );
      }
      expected.push(user);
      expected.sort((a, b) => a.size - b.size);
    }

    await streamEntries(
      db,
      expected,
      latest,
      options.threaded ?? size >= THREADED_FROM,
      Math.max(1, Math.floor(options.pageSize ?? PAGE)),
    );
    return {
      ok: true,
      size,
      first_bad_index: null,
      reason: `verified ${size} entries against ${describe(latest, user)}`,
    };
  } catch (err) {
    if (err instanceof Bad) return { ok: false, size, first_bad_index: err.index, reason: err.message };
    throw err;
  }
}

function describe(latest: number, user: ExpectedRoot | null): string {
  const own = `the signed checkpoint at size ${latest}`;
  return user ? `${own} and ${user.what}` : own;
}

/**
 * The subtree hashes with ids in a range, read as one byte string and one
 * comma-separated id list (far cheaper than a row each). Ids are parsed lazily, in
 * order, by {@link NodePage.peek} / {@link NodePage.next}, without splitting the list.
 */
class NodePage {
  private at = 0;
  /** How many ids {@link next} has moved past; the hash of the current one is at `consumed * 32`. */
  consumed = 0;

  constructor(
    readonly ids: string,
    readonly count: number,
    readonly hashes: Buffer,
  ) {}

  /** The next id, or -1 when all were consumed. */
  peek(): number {
    const ids = this.ids;
    let i = this.at;
    if (i >= ids.length) return -1;
    let value = 0;
    for (; i < ids.length; i++) {
      const c = ids.charCodeAt(i);
      if (c === 44) break; // ','
      value = value * 10 + (c - 48);
    }
    return value;
  }

  /** Moves past the id {@link peek} returned. */
  next(): void {
    const comma = this.ids.indexOf(',', this.at);
    this.at = comma < 0 ? this.ids.length : comma + 1;
    this.consumed++;
  }
}

async function readNodes(db: SnapshotReader, from: number, to: number): Promise<NodePage> {
  // One row per page: ids as one list, hashes as one byte string, in primary-key order.
  const sql =
    db.dialect === 'postgres'
      ? `SELECT count(*) AS n, string_agg(id::text, ',' ORDER BY id) AS ids,
           string_agg(hash, ''::bytea ORDER BY id) AS hashes,
           count(*) FILTER (WHERE octet_length(hash) <> 32) AS odd
         FROM ledger_nodes WHERE id >= $1 AND id < $2`
      : `SELECT count(*) AS n, group_concat(id, ',') AS ids, CAST(group_concat(hash, '') AS BLOB) AS hashes,
           sum(length(CAST(hash AS BLOB)) <> 32) AS odd
         FROM (SELECT id, hash FROM ledger_nodes WHERE id >= $1 AND id < $2 ORDER BY id)`;
  const [row] = await db.query<{
    n: number | string;
    ids: string | null;
    hashes: Uint8Array | null;
    odd: number | string | null;
  }>(sql, [from, to]);
  const count = Number(row?.n ?? 0);
  const hashes = row?.hashes
    ? Buffer.from(row.hashes.buffer, row.hashes.byteOffset, row.hashes.byteLength)
    : Buffer.alloc(0);
  if (Number(row?.odd ?? 0) > 0 || hashes.length !== count * 32) {
    throw new Bad(Math.floor(from / 64), `a subtree hash row in ids ${from}..${to - 1} is not 32 bytes`);
  }
  return new NodePage(row?.ids ?? '', count, hashes);
}

/**
 * A page of entries in index order with the subtree rows they complete. On the fast
 * path the entries are known to be indices `log.first, log.first + 1, ...` and only
 * their bytes are read; on the slow path (a gap, or rows that did not split cleanly)
 * `idxs` and the entry texts are read too, so gaps and unbound entries are reported
 * precisely.
 */
interface ReadPage {
  log: LogPage;
  idxs: number[] | null;
  entries: string[] | null;
  /** The same subtree rows as `log.nodeIds` / `log.nodeHashes`, for this thread. */
  nodes: NodePage;
}

/**
 * Reads the page of entries from index `from` on, and the subtree rows they complete.
 * Fast path: one aggregate row holding the entries as one byte string and their byte
 * lengths (far cheaper than a row and a string per entry), used when the indices found
 * are exactly `from .. from + n - 1`. Otherwise the page is read again row by row.
 */
async function readPage(db: SnapshotReader, from: number, pageSize: number): Promise<ReadPage> {
  // The ORDER BY of the inner query is served by the primary key (no sort); the
  // aggregate keeps that order, and PageHasher's binding check would catch it if not.
  const sql =
    db.dialect === 'postgres'
      ? `SELECT count(*) AS n, min(idx) AS lo, max(idx) AS hi,
           string_agg(octet_length(entry)::text, ',' ORDER BY idx) AS lengths,
           string_agg('\\x00'::bytea || convert_to(entry, 'UTF8'), ''::bytea ORDER BY idx) AS body
         FROM ledger_entries WHERE idx >= $1 AND idx < $2`
      : `SELECT count(*) AS n, min(idx) AS lo, max(idx) AS hi,
           group_concat(length(CAST(entry AS BLOB)), ',') AS lengths,
           CAST(char(0) || group_concat(entry, char(0)) AS BLOB) AS body
         FROM (SELECT idx, entry FROM ledger_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx)`;
  const [row] = await db.query<{
    n: number | string;
    lo: number | string | null;
    hi: number | string | null;
    lengths: string | null;
    body: Uint8Array | null;
  }>(sql, [from, from + pageSize]);
  const n = Number(row?.n ?? 0);
  let entryPart: Pick<LogPage, 'count' | 'body' | 'lengths'> | null = null;
  let idxs: number[] | null = null;
  let entries: string[] | null = null;
  if (row && n > 0 && Number(row.lo) === from && Number(row.hi) === from + n - 1 && row.body) {
    const body = Buffer.isBuffer(row.body)
      ? row.body
      : Buffer.from(row.body.buffer, row.body.byteOffset, row.body.byteLength);
    const lengths = row.lengths ?? '';
    if (sumOfLengths(lengths) + n === body.length) entryPart = { count: n, body, lengths };
  }
  if (!entryPart) {
    const rows = await db.query<EntryRow>(
      'SELECT idx, entry FROM ledger_entries WHERE idx >= $1 ORDER BY idx LIMIT $2',
      [from, pageSize],
    );
    entries = rows.map((r) => String(r.entry));
    idxs = rows.map((r) => Number(r.idx));
    entryPart = entryBytes(entries);
  }
  const last = idxs ? (idxs[idxs.length - 1] ?? from - 1) : from + entryPart.count - 1;
  const nodes = entryPart.count > 0 ? await readNodes(db, from * 64, (last + 1) * 64) : EMPTY_NODES;
  return {
    log: { first: from, ...entryPart, nodeIds: nodes.ids, nodeHashes: nodes.hashes },
    idxs,
    entries,
    nodes,
  };
}

const EMPTY_NODES = new NodePage('', 0, Buffer.alloc(0));

/** Sum of comma-separated decimal lengths (NaN when the list is malformed). */
function sumOfLengths(lengths: string): number {
  let sum = 0;
  let value = 0;
  for (let i = 0; i < lengths.length; i++) {
    const c = lengths.charCodeAt(i);
    if (c === 44) {
      sum += value;
      value = 0;
    } else if (c >= 48 && c <= 57) value = value * 10 + (c - 48);
    else return Number.NaN;
  }
  return sum + value;
}

/** The binding check of the slow path (the fast path's runs in `PageHasher`). */
function isBound(entry: string, index: number): boolean {
  return entry.startsWith('{"event":{') && entry.endsWith(`,"index":${index}}`);
}

/**
 * Called when recomputed hashes disagree with stored ones over leaves [from, to):
 * names the first entry whose bytes no longer match its stored leaf hash, if any.
 */
async function firstModified(db: SnapshotReader, from: number, to: number): Promise<number | null> {
  for (let start = from; start < to; start += PAGE) {
    const rows = await db.query<{ idx: number; entry: string; leaf_hash: Uint8Array }>(
      'SELECT idx, entry, leaf_hash FROM ledger_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx',
      [start, Math.min(to, start + PAGE)],
    );
    for (const row of rows) {
      if (!hashLeaf(row.entry).equals(row.leaf_hash)) return Number(row.idx);
    }
  }
  return null;
}

/**
 * Streams entries and subtree hashes in keyset pages and rebuilds the tree. Pages are
 * hashed and their inner subtree hashes checked by a {@link PageHasher} (worker
 * threads), several pages ahead of this loop, which walks the entries in order, checks
 * indices, coverage and bindings, the ids of the stored subtree rows, the subtrees
 * that span pages, and the signed roots. Stored leaf hashes are not read on the happy
 * path: every pair of leaves is confirmed by its stored level-1 subtree hash (and the
 * last one by the signed root), and only on a mismatch are the stored leaf hashes
 * consulted to name the modified entry.
 */
async function streamEntries(
  db: SnapshotReader,
  expected: readonly ExpectedRoot[],
  latest: number,
  threaded: boolean,
  pageSize: number,
): Promise<void> {
  // Right edge of the verified tree: perfect subtree hashes, largest first.
  const edge = new HashStack();
  let nextExpected = 0;
  // Lowest index not yet vouched for by a matching signed root.
  let trustedUpTo = 0;
  let position = 0;
  /** Throws for a hash mismatch over [from, to), naming a modified entry when there is one. */
  const mismatch = async (from: number, to: number, fallback: Bad): Promise<never> => {
    const modified = await firstModified(db, from, to);
    if (modified !== null) {
      throw new Bad(modified, `entry ${modified} was modified: its bytes do not match the stored leaf hash`);
    }
    throw fallback;
  };
  /** Throws for the stored hash of subtree (level, index), completed by entry p, not matching its leaves. */
  const subtreeMismatch = (level: number, index: number, p: number): Promise<never> => {
    const from = index * 2 ** level;
    return mismatch(
      from,
      p + 1,
      new Bad(
        from,
        `stored subtree hash (level ${level}, index ${index}) does not match the entries it covers`,
      ),
    );
  };
  /** Compares the root at each expected size; returns the failure instead of throwing (async follow-up). */
  const checkRoots = (): { from: number; bad: Bad } | null => {
    while (nextExpected < expected.length && (expected[nextExpected] as ExpectedRoot).size <= position) {
      const want = expected[nextExpected] as ExpectedRoot;
      nextExpected++;
      if (want.size < position) continue; // only the size-0 root can be behind the range
      if (!edge.root().equals(want.root)) {
        // Our own checkpoints vouch for a prefix; a foreign note says nothing about where we diverged.
        const from = want.own ? trustedUpTo : 0;
        return {
          from,
          bad: new Bad(
            from,
            `the recomputed root at size ${want.size} differs from ${want.what}: entries from index ${from} on were altered`,
          ),
        };
      }
      if (want.own) trustedUpTo = want.size;
    }
    return null;
  };
  const initial = checkRoots();
  if (initial) throw initial.bad;
  const hasher = PageHasher.create(threaded);
  // Pages read and handed to the hasher, oldest first.
  const inFlight: Array<Promise<{ page: ReadPage; hashed: HashedPage } | null>> = [];
  let readFrom = 0;
  let reading: Promise<unknown> = Promise.resolve();
  const enqueue = (): void => {
    // Reads are chained (each starts where the previous page ended); hashing is not, so
    // several pages are being hashed on the workers while this thread reads the next.
    const read = reading.then(async () => {
      if (readFrom < 0) return null;
      const page = await readPage(db, readFrom, pageSize);
      if (page.log.count === 0) {
        readFrom = -1;
        return null;
      }
      const { idxs } = page;
      readFrom = (idxs ? (idxs[idxs.length - 1] as number) : page.log.first + page.log.count - 1) + 1;
      return { page, hashing: hasher.hash(page.log) };
    });
    reading = read.then(
      () => undefined,
      () => undefined,
    );
    inFlight.push(read.then(async (r) => (r ? { page: r.page, hashed: await r.hashing } : null)));
  };
  try {
    // Two pages per worker in flight (and one more being read) keep every thread busy.
    for (let i = 0; i <= 2 * hasher.parallelism; i++) enqueue();
    for (;;) {
      const current = await inFlight.shift();
      if (!current) break;
      enqueue();
      const { page, hashed } = current;
      const { idxs, entries, nodes } = page;
      const { hashes, firstUnbound, badNodeAt, badNodeLevel } = hashed;
      const pageFirst = page.log.first;
      const count = page.log.count;
      if (
        entries === null &&
        firstUnbound < 0 &&
        badNodeAt < 0 &&
        pageFirst === position &&
        pageFirst + count <= latest
      ) {
        // A clean page: the hasher found every entry bound, every subtree row where it
        // belongs and every subtree inside the page sound. Left: the subtrees reaching
        // back into earlier pages, and the signed roots.
        let nodeAt = 0;
        for (let k = 0; k < count; k++) {
          const p = position;
          edge.push(hashes, k * 32);
          let index = p;
          let level = 0;
          let span = 1;
          while (index % 2 === 1) {
            level++;
            span *= 2;
            index = (index - 1) / 2;
            const from = index * span;
            if (from < pageFirst && !edge.mergeMatches(nodes.hashes, nodeAt * 32)) {
              await subtreeMismatch(level, index, p);
            }
            edge.replaceTopPair(nodes.hashes, nodeAt * 32);
            nodeAt++;
          }
          position++;
          if (nextExpected < expected.length && (expected[nextExpected] as ExpectedRoot).size <= position) {
            const rootFailure = checkRoots();
            if (rootFailure) await mismatch(rootFailure.from, position, rootFailure.bad);
          }
        }
        if (nodeAt !== nodes.count) {
          for (let i = 0; i < nodeAt; i++) nodes.next();
          const stray = nodes.peek();
          throw new Bad(Math.floor(stray / 64), `unexpected subtree hash row ${stray} in the stored tree`);
        }
        continue;
      }
      for (let k = 0; k < count; k++) {
        const p = position;
        const idx = idxs ? (idxs[k] as number) : pageFirst + k;
        // An odd p means leaf p-1 awaits its pair's subtree check: settle it first.
        const unconfirmed = p % 2 === 1 ? p - 1 : p;
        if (idx !== p) {
          await mismatch(
            unconfirmed,
            p,
            new Bad(p, `entry ${p} is missing (the next stored entry is ${idx})`),
          );
        }
        if (p >= latest) {
          await mismatch(
            unconfirmed,
            p,
            new Bad(p, `entries from index ${p} on are not covered by any signed checkpoint`),
          );
        }
        if (entries ? !isBound(entries[k] as string, p) : k === firstUnbound) {
          await mismatch(
            unconfirmed,
            p,
            new Bad(p, `entry ${p} is not bound to index ${p}: entries were reordered or moved`),
          );
        }
        edge.push(hashes, k * 32);
        let index = p;
        let level = 0;
        while (index % 2 === 1) {
          level++;
          index = Math.floor(index / 2);
          const from = index * 2 ** level;
          if (nodes.peek() !== nodeId(level, index)) {
            await mismatch(
              from,
              p + 1,
              new Bad(
                p,
                `subtree hash (level ${level}, index ${index}) completed by entry ${p} is missing or misplaced`,
              ),
            );
          }
          // Subtrees inside the page were checked by the hasher, up to the first bad one.
          const ok =
            from >= pageFirst
              ? !(k === badNodeAt && level === badNodeLevel)
              : edge.mergeMatches(nodes.hashes, nodes.consumed * 32);
          if (!ok) await subtreeMismatch(level, index, p);
          edge.replaceTopPair(nodes.hashes, nodes.consumed * 32);
          nodes.next();
        }
        position++;
        if (nextExpected < expected.length && (expected[nextExpected] as ExpectedRoot).size <= position) {
          const rootFailure = checkRoots();
          if (rootFailure) await mismatch(rootFailure.from, position, rootFailure.bad);
        }
      }
      if (nodes.consumed !== nodes.count) {
        const stray = nodes.peek();
        throw new Bad(Math.floor(stray / 64), `unexpected subtree hash row ${stray} in the stored tree`);
      }
    }
  } finally {
    // Settle reads still running before the snapshot transaction ends.
    await Promise.allSettled(inFlight);
    await hasher.close();
  }
  if (position < latest) {
    const missing = new Bad(
      position,
      `entry ${position} is missing: the signed checkpoint covers ${latest} entries`,
    );
    if (position % 2 === 1) {
      const modified = await firstModified(db, position - 1, position);
      if (modified !== null) {
        throw new Bad(
          modified,
          `entry ${modified} was modified: its bytes do not match the stored leaf hash`,
        );
      }
    }
    throw missing;
  }
  const [stray] = await db.query<{ id: number }>(
    'SELECT id FROM ledger_nodes WHERE id >= $1 ORDER BY id LIMIT 1',
    [position * 64],
  );
  if (stray) throw new Bad(position, `subtree hash row ${stray.id} lies beyond the end of the log`);
}

/**
 * The right edge of the tree as `verify` confirms it: a stack of perfect subtree
 * hashes (largest first). It holds references (buffer, offset) into the pages' leaf
 * hashes and stored subtree hashes rather than copies: most entries are pushed and
 * merged away again without their bytes ever being read here.
 */
class HashStack {
  private readonly buffers: Buffer[] = [];
  private readonly offsets: number[] = [];
  private depth = 0;
  private readonly input = Buffer.alloc(65, 0x01);

  push(hashes: Buffer, at: number): void {
    this.buffers[this.depth] = hashes;
    this.offsets[this.depth] = at;
    this.depth++;
  }

  /** True when SHA-256(0x01 || top two) equals `hashes[at .. at + 32)`. */
  mergeMatches(hashes: Buffer, at: number): boolean {
    if (this.depth < 2) return false;
    this.copyInto(this.depth - 2, this.input, 1);
    this.copyInto(this.depth - 1, this.input, 33);
    return hashChildren(this.input.subarray(1, 33), this.input.subarray(33, 65)).equals(
      hashes.subarray(at, at + 32),
    );
  }

  /** Replaces the top two hashes by their parent's, `hashes[at .. at + 32)`. */
  replaceTopPair(hashes: Buffer, at: number): void {
    this.depth--;
    this.buffers[this.depth - 1] = hashes;
    this.offsets[this.depth - 1] = at;
  }

  /** MTH of the tree the stack is the right edge of. */
  root(): Buffer {
    if (this.depth === 0) return EMPTY_ROOT;
    const hash = (i: number): Buffer => {
      const at = this.offsets[i] as number;
      return (this.buffers[i] as Buffer).subarray(at, at + 32);
    };
    let r: Uint8Array = hash(this.depth - 1);
    for (let i = this.depth - 2; i >= 0; i--) r = hashChildren(hash(i), r);
    return Buffer.from(r);
  }

  private copyInto(i: number, target: Buffer, offset: number): void {
    const at = this.offsets[i] as number;
    (this.buffers[i] as Buffer).copy(target, offset, at, at + 32);
  }
}
