import type { Database, Queryable } from '../store/database.js';
import { LeafHasher } from './leaf-hasher.js';
import { LedgerError } from './ledger-error.js';
import { nodeId } from './ledger-schema.js';
import { FlatCompactRange, hashLeaf } from './merkle-tree.js';
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

/** Logs at least this large hash leaves on a worker thread (starting one costs more below). */
const THREADED_FROM = 50_000;
/**
 * Entries read per keyset page while streaming. Small pages keep the entry strings in
 * the young generation (cheap scavenges instead of old-space collections): measured
 * ~20% less CPU per entry than 20,000.
 */
const PAGE = 1000;

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
type SnapshotReader = Queryable & Pick<Database, 'dialect'> & Partial<ColumnReader>;

function snapshotView(db: Database, tx: Queryable): SnapshotReader {
  const column = (tx as Partial<ColumnReader>).queryColumn;
  return {
    dialect: db.dialect,
    query: (sql, params) => tx.query(sql, params),
    execute: (sql, params) => tx.execute(sql, params),
    ...(column ? { queryColumn: column } : {}),
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
 * The subtree hashes with ids in [from, to), read as one concatenated hex string and one
 * comma-separated id list (far cheaper than a row each). Ids are parsed lazily, in
 * order, by {@link NodePage.peek} / {@link NodePage.next}, without splitting the list.
 */
class NodePage {
  private at = 0;

  constructor(
    private readonly ids: string,
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
  }

  static readonly EMPTY = new NodePage('', 0, Buffer.alloc(0));
}

async function readNodes(db: SnapshotReader, from: number, to: number): Promise<NodePage> {
  const sql =
    db.dialect === 'postgres'
      ? `SELECT count(*) AS n, string_agg(id::text, ',' ORDER BY id) AS ids, string_agg(encode(hash, 'hex'), '' ORDER BY id) AS hashes
         FROM ledger_nodes WHERE id >= $1 AND id < $2`
      : `SELECT count(*) AS n, group_concat(id, ',' ORDER BY id) AS ids, group_concat(hex(hash), '' ORDER BY id) AS hashes
         FROM ledger_nodes WHERE id >= $1 AND id < $2`;
  const [row] = await db.query<{ n: number | string; ids: string | null; hashes: string | null }>(sql, [
    from,
    to,
  ]);
  const count = Number(row?.n ?? 0);
  const hashes = Buffer.from(row?.hashes ?? '', 'hex');
  if (hashes.length !== count * 32) {
    throw new Bad(Math.floor(from / 64), `a subtree hash row in ids ${from}..${to - 1} is not 32 bytes`);
  }
  return new NodePage(row?.ids ?? '', count, hashes);
}

/** A page of entries in index order; `idxs` is null when they are known to be `first, first + 1, ...`. */
interface EntryPage {
  first: number;
  entries: string[];
  idxs: number[] | null;
}

/** What `SqliteDatabase` offers beyond the port: the first column of each row, without row objects. */
interface ColumnReader {
  queryColumn<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

function columnReader(db: SnapshotReader): ColumnReader | null {
  return typeof db.queryColumn === 'function' ? (db as ColumnReader) : null;
}

/**
 * Reads the next page of entries from index `from` on. Fast path: the entry texts of
 * indices [from, from + pageSize) alone; when all of them are there (the primary key makes
 * them distinct), they are exactly from, from + 1, ... Otherwise (a gap, or the end
 * of the log) the page is read again with its indices, so gaps are reported precisely.
 */
async function readEntries(db: SnapshotReader, from: number, pageSize: number): Promise<EntryPage> {
  const reader = columnReader(db);
  if (reader) {
    const entries = await reader.queryColumn<string>(
      'SELECT entry FROM ledger_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx',
      [from, from + pageSize],
    );
    if (entries.length === pageSize) return { first: from, entries, idxs: null };
  }
  const rows = await db.query<EntryRow>(
    'SELECT idx, entry FROM ledger_entries WHERE idx >= $1 ORDER BY idx LIMIT $2',
    [from, pageSize],
  );
  return { first: from, entries: rows.map((r) => r.entry), idxs: rows.map((r) => Number(r.idx)) };
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
 * Streams entries and subtree hashes in keyset pages and rebuilds the tree. Stored
 * leaf hashes are not read on the happy path: every pair of leaves is confirmed by
 * its stored level-1 subtree hash (and the last one by the signed root), and only
 * on a mismatch are the stored leaf hashes consulted to name the modified entry.
 */
async function streamEntries(
  db: SnapshotReader,
  expected: readonly ExpectedRoot[],
  latest: number,
  threaded: boolean,
  pageSize: number,
): Promise<void> {
  const range = new FlatCompactRange();
  let nextExpected = 0;
  // Lowest index not yet vouched for by a matching signed root.
  let trustedUpTo = 0;
  /** Throws for a hash mismatch over [from, to), naming a modified entry when there is one. */
  const mismatch = async (from: number, to: number, fallback: Bad): Promise<never> => {
    const modified = await firstModified(db, from, to);
    if (modified !== null) {
      throw new Bad(modified, `entry ${modified} was modified: its bytes do not match the stored leaf hash`);
    }
    throw fallback;
  };
  /** Compares the root at each expected size; returns the failure instead of throwing (async follow-up). */
  const checkRoots = (): { from: number; bad: Bad } | null => {
    while (nextExpected < expected.length && (expected[nextExpected] as ExpectedRoot).size <= range.size) {
      const want = expected[nextExpected] as ExpectedRoot;
      nextExpected++;
      if (want.size < range.size) continue; // only the size-0 root can be behind the range
      if (!range.root().equals(want.root)) {
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
  let position = 0;
  const hasher = LeafHasher.create(threaded);
  // State of the entry being appended, read by `onNode` (one callback for the whole run).
  let p = 0;
  let nodeAt = 0;
  let nodes = NodePage.EMPTY;
  let bad: { from: number; to: number; bad: Bad } | null = null;
  const onNode = (level: number, index: number, hash: Buffer, at: number): boolean => {
    const id = nodeId(level, index);
    const from = index * 2 ** level;
    if (nodes.peek() !== id) {
      bad = {
        from,
        to: p + 1,
        bad: new Bad(
          p,
          `subtree hash (level ${level}, index ${index}) completed by entry ${p} is missing or misplaced`,
        ),
      };
      return false;
    }
    if (nodes.hashes.compare(hash, at, at + 32, nodeAt * 32, nodeAt * 32 + 32) !== 0) {
      bad = {
        from,
        to: p + 1,
        bad: new Bad(
          from,
          `stored subtree hash (level ${level}, index ${index}) does not match the entries it covers`,
        ),
      };
      return false;
    }
    nodes.next();
    nodeAt++;
    return true;
  };
  try {
    const readPage = (from: number) => readEntries(db, from, pageSize);
    // Pipeline: the worker hashes page k while this thread reads page k+1 and rebuilds the tree.
    let page = await readPage(0);
    let leaves = hasher.hash(page.entries);
    while (page.entries.length > 0) {
      const { entries, idxs } = page;
      const first = position;
      const last = idxs ? (idxs[idxs.length - 1] as number) : page.first + entries.length - 1;
      const nextPage = readPage(last + 1);
      nodes = await readNodes(db, first * 64, (last + 1) * 64);
      const hashes = await leaves;
      const upcoming = await nextPage;
      leaves = hasher.hash(upcoming.entries);
      nodeAt = 0;
      for (let k = 0; k < entries.length; k++) {
        const entry = entries[k] as string;
        p = position;
        const idx = idxs ? (idxs[k] as number) : page.first + k;
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
        if (!entry.startsWith('{"event":{') || !entry.endsWith(`,"index":${p}}`)) {
          await mismatch(
            unconfirmed,
            p,
            new Bad(p, `entry ${p} is not bound to index ${p}: entries were reordered or moved`),
          );
        }
        bad = null;
        range.append(hashes, k * 32, onNode);
        const found = bad as { from: number; to: number; bad: Bad } | null;
        if (found) await mismatch(found.from, found.to, found.bad);
        position++;
        if (nextExpected < expected.length && (expected[nextExpected] as ExpectedRoot).size <= position) {
          const rootFailure = checkRoots();
          if (rootFailure) await mismatch(rootFailure.from, position, rootFailure.bad);
        }
      }
      if (nodeAt !== nodes.count) {
        const stray = nodes.peek();
        throw new Bad(Math.floor(stray / 64), `unexpected subtree hash row ${stray} in the stored tree`);
      }
      page = upcoming;
    }
  } finally {
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
