import type { Database } from '../store/database.js';
import { LeafHasher } from './leaf-hasher.js';
import { LedgerError } from './ledger-error.js';
import { nodeId } from './ledger-schema.js';
import { CompactRange } from './merkle-tree.js';
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
/** Entries read per keyset page while streaming. */
const PAGE = 20_000;

type EntryRow = {
  idx: number;
  entry: string;
  leaf_hash: Uint8Array;
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
export async function verifyLog(
  db: Database,
  options: {
    key: VerifierKey;
    origin: string;
    checkpoint?: string | undefined;
    /** Hash leaves on a worker thread (default: for logs of 50,000 entries or more). */
    threaded?: boolean;
  },
): Promise<VerifyResult> {
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

    await streamEntries(db, expected, latest, options.threaded ?? size >= THREADED_FROM);
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

async function streamEntries(
  db: Database,
  expected: readonly ExpectedRoot[],
  latest: number,
  threaded: boolean,
): Promise<void> {
  const range = CompactRange.empty();
  let nextExpected = 0;
  // Lowest index not yet vouched for by a matching signed root.
  let trustedUpTo = 0;
  const checkRoots = (): void => {
    while (nextExpected < expected.length && (expected[nextExpected] as ExpectedRoot).size <= range.size) {
      const want = expected[nextExpected] as ExpectedRoot;
      nextExpected++;
      if (want.size < range.size) continue; // only the size-0 root can be behind the range
      if (!range.root().equals(want.root)) {
        // Our own checkpoints vouch for a prefix; a foreign note says nothing about where we diverged.
        const from = want.own ? trustedUpTo : 0;
        throw new Bad(
          from,
          `the recomputed root at size ${want.size} differs from ${want.what}: entries from index ${from} on were altered`,
        );
      }
      if (want.own) trustedUpTo = want.size;
    }
  };
  checkRoots();
  let position = 0;
  const hasher = LeafHasher.create(threaded);
  try {
    const readPage = (from: number) =>
      db.query<EntryRow>(
        'SELECT idx, entry, leaf_hash FROM ledger_entries WHERE idx >= $1 ORDER BY idx LIMIT $2',
        [from, PAGE],
      );
    // Pipeline: the worker hashes page k while this thread reads page k+1 and rebuilds the tree.
    let rows = await readPage(0);
    let leaves = hasher.hash(rows.map((r) => r.entry));
    while (rows.length > 0) {
      const first = position;
      const last = Number((rows[rows.length - 1] as EntryRow).idx);
      const nextRows = readPage(last + 1);
      const nodes = await db.query<{ id: number; hash: Uint8Array }>(
        'SELECT id, hash FROM ledger_nodes WHERE id >= $1 AND id < $2 ORDER BY id',
        [first * 64, (last + 1) * 64],
      );
      const hashes = await leaves;
      const upcoming = await nextRows;
      leaves = hasher.hash(upcoming.map((r) => r.entry));
      let nodeAt = 0;
      for (const [k, row] of rows.entries()) {
        const p = position;
        const idx = Number(row.idx);
        if (idx !== p) throw new Bad(p, `entry ${p} is missing (the next stored entry is ${idx})`);
        if (p >= latest)
          throw new Bad(p, `entries from index ${p} on are not covered by any signed checkpoint`);
        const leaf = hashes.subarray(k * 32, k * 32 + 32);
        if (!leaf.equals(row.leaf_hash)) {
          throw new Bad(p, `entry ${p} was modified: its bytes do not match the stored leaf hash`);
        }
        if (!row.entry.endsWith(`,"index":${p}}`) || !row.entry.startsWith('{"event":{')) {
          throw new Bad(p, `entry ${p} is not bound to index ${p}: entries were reordered or moved`);
        }
        range.append(leaf, (level, index, hash) => {
          const id = nodeId(level, index);
          const node = nodes[nodeAt];
          if (!node || Number(node.id) !== id) {
            throw new Bad(
              p,
              `subtree hash (level ${level}, index ${index}) completed by entry ${p} is missing or misplaced`,
            );
          }
          if (Buffer.compare(hash, node.hash) !== 0) {
            throw new Bad(
              index * 2 ** level,
              `stored subtree hash (level ${level}, index ${index}) does not match the entries it covers`,
            );
          }
          nodeAt++;
        });
        position++;
        checkRoots();
      }
      if (nodeAt !== nodes.length) {
        const stray = Number((nodes[nodeAt] as { id: number }).id);
        throw new Bad(Math.floor(stray / 64), `unexpected subtree hash row ${stray} in the stored tree`);
      }
      rows = upcoming;
    }
  } finally {
    await hasher.close();
  }
  if (position < latest) {
    throw new Bad(position, `entry ${position} is missing: the signed checkpoint covers ${latest} entries`);
  }
  const [stray] = await db.query<{ id: number }>(
    'SELECT id FROM ledger_nodes WHERE id >= $1 ORDER BY id LIMIT 1',
    [position * 64],
  );
  if (stray) throw new Bad(position, `subtree hash row ${stray.id} lies beyond the end of the log`);
}
