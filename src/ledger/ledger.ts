import { type EventEnvelope, EventEnvelopeSchema, type LedgerEntry } from '../contracts/event.js';
import { parseContract } from '../contracts/validate.js';
import type { Database, Queryable, SqlValue } from '../store/database.js';
import { StoreError } from '../store/store-error.js';
import { canonicalJson } from './canonical-json.js';
import { exportLine } from './event-export.js';
import { type EventQuery, EventQuerySchema } from './event-query.js';
import { LedgerError } from './ledger-error.js';
import { CHECKPOINT_RETAIN_INTERVAL, LEDGER_LOCK, LEDGER_MIGRATIONS, nodeId } from './ledger-schema.js';
import { type VerifyResult, verifyLog } from './ledger-verifier.js';
import {
  CompactRange,
  type ConsistencyProof,
  consistencyPath,
  hashLeaf,
  type InclusionProof,
  inclusionPath,
  type NodeSource,
} from './merkle-tree.js';
import type { Receipt } from './receipt.js';
import {
  type CheckpointSigner,
  formatCheckpointBody,
  openCheckpoint,
  parseVerifierKey,
  type SignedCheckpoint,
  signNote,
  type VerifierKey,
} from './signed-note.js';
import { validatedJson } from './validated-events.js';

/** Result of appending one event. */
export interface AppendedEntry {
  index: number;
  /** Hex leaf hash. */
  leafHash: string;
  /** The event id. */
  id: string;
}

/** Export formats of {@link Ledger.export}. */
export type ExportFormat = 'jsonl' | 'cloudevents' | 'openlineage';

/** Options of {@link Ledger.open}. */
export interface LedgerOptions {
  signer: CheckpointSigner;
  /** Checkpoint origin line, e.g. `tunegate.example.com/log` (no spaces or newlines). */
  origin: string;
}

interface PreparedEvent {
  id: string;
  /** Canonical JSON of the event. */
  json: string;
}

interface PendingAppend {
  events: PreparedEvent[];
  resolve: (entries: AppendedEntry[]) => void;
  reject: (err: unknown) => void;
}

/** Most events committed in one group transaction. */
const MAX_GROUP_EVENTS = 5000;
/** Rows per multi-row INSERT (10 columns: stays far below both engines' parameter limits). */
const INSERT_CHUNK = 200;
const PLACEHOLDER_PROBE = Buffer.alloc(32);

/**
 * The tamper-evident audit ledger: an append-only RFC 9162 Merkle tree of events
 * with signed C2SP checkpoints, on any {@link Database}.
 *
 * Appends are group-committed: concurrent callers in one process share one
 * transaction, which also writes the signed checkpoint covering them, so a crash
 * can only lose a whole unacknowledged group. Writers in other threads or processes
 * are serialised by the database (SQLite write lock, PostgreSQL advisory lock).
 */
export class Ledger {
  private readonly key: VerifierKey;
  private pending: PendingAppend[] = [];
  private flushing = false;
  /** Right edge of the tree after our last commit; reused when no one else appended since. */
  private cachedRange: CompactRange | null = null;

  private constructor(
    private readonly db: Database,
    private readonly signer: CheckpointSigner,
    /** The checkpoint origin line. */
    readonly origin: string,
  ) {
    this.key = parseVerifierKey(signer.publicKey());
  }

  /** Opens the ledger on `db`: applies its migrations and writes the empty-tree checkpoint on first use. */
  static async open(db: Database, options: LedgerOptions): Promise<Ledger> {
    const origin = options.origin;
    if (origin.length === 0 || /[\n\r]/.test(origin) || origin.trim() !== origin) {
      throw new LedgerError('ledger.invalid_checkpoint', `invalid log origin "${origin}"`);
    }
    await db.migrate('ledger', LEDGER_MIGRATIONS);
    const ledger = new Ledger(db, options.signer, origin);
    await db.transaction(
      async (tx) => {
        const rows = await tx.query('SELECT size FROM ledger_checkpoints LIMIT 1');
        if (rows.length > 0) return;
        const range = CompactRange.empty();
        await ledger.insertCheckpoint(tx, 0, range.root(), true);
      },
      { lock: LEDGER_LOCK },
    );
    // A log signed with another key (or origin) would fail every verification; say so now.
    const latest = await ledger.latestCheckpoint();
    if (latest.size > 0) ledger.openNote(latest.text, 'latest stored checkpoint');
    return ledger;
  }

  /** The C2SP verifier key of the checkpoint signer. */
  publicKey(): string {
    return this.signer.publicKey();
  }

  /**
   * Appends events; resolves when they are durable. Concurrent callers in one
   * process are group-committed into one transaction. Events are validated against
   * the envelope contract (`ContractError`); an event id already in the log is a
   * `ledger.duplicate_event` conflict.
   */
  append(events: readonly EventEnvelope[]): Promise<AppendedEntry[]> {
    let prepared: PreparedEvent[];
    try {
      prepared = this.prepare(events);
    } catch (err) {
      return Promise.reject(err);
    }
    if (prepared.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.pending.push({ events: prepared, resolve, reject });
      void this.drain();
    });
  }

  /** Number of entries in the log (the size of the latest signed checkpoint). */
  async size(): Promise<number> {
    return (await this.latestCheckpoint()).size;
  }

  /** The latest signed checkpoint. */
  async latestCheckpoint(): Promise<SignedCheckpoint> {
    const [row] = await this.db.query<{ size: number; root_hash: Uint8Array; note: string }>(
      'SELECT size, root_hash, note FROM ledger_checkpoints ORDER BY size DESC LIMIT 1',
    );
    if (!row)
      throw new LedgerError(
        'ledger.corrupt',
        'the ledger has no checkpoint; was it opened with Ledger.open?',
      );
    return { size: Number(row.size), rootHash: Buffer.from(row.root_hash).toString('hex'), text: row.note };
  }

  /** Inclusion proof of leaf `index` in the tree of `treeSize` leaves (default: latest checkpoint). */
  async inclusionProof(index: number, treeSize?: number): Promise<InclusionProof> {
    const size = await this.size();
    const n = treeSize ?? size;
    this.checkSize(n, size, 'tree size');
    if (!Number.isSafeInteger(index) || index < 0) {
      throw new LedgerError('ledger.invalid_index', `index must be a non-negative integer, got ${index}`);
    }
    if (index >= n) {
      throw new LedgerError('ledger.not_found', `no entry ${index} in a tree of size ${n}`, {
        details: { index, treeSize: n },
      });
    }
    const [leaf, path] = await this.withNodes((source) => [
      source(0, index),
      inclusionPath(source, index, n),
    ]);
    return {
      index,
      treeSize: n,
      leafHash: Buffer.from(leaf as Uint8Array).toString('hex'),
      hashes: (path as Uint8Array[]).map((h) => Buffer.from(h).toString('hex')),
    };
  }

  /** Consistency proof between tree sizes (default `toSize`: latest checkpoint). */
  async consistencyProof(fromSize: number, toSize?: number): Promise<ConsistencyProof> {
    const size = await this.size();
    const to = toSize ?? size;
    this.checkSize(to, size, 'to size');
    this.checkSize(fromSize, to, 'from size');
    const path = await this.withNodes((source) => consistencyPath(source, fromSize, to));
    return { fromSize, toSize: to, hashes: path.map((h) => Buffer.from(h).toString('hex')) };
  }

  /** An offline-verifiable receipt for entry `index` against the latest checkpoint. */
  async receipt(index: number): Promise<Receipt> {
    const checkpoint = await this.latestCheckpoint();
    const inclusion = await this.inclusionProof(index, checkpoint.size);
    const [row] = await this.db.query<{ entry: string }>('SELECT entry FROM ledger_entries WHERE idx = $1', [
      index,
    ]);
    if (!row) throw new LedgerError('ledger.not_found', `entry ${index} is missing from the log`);
    return { index, entry: row.entry, inclusion, checkpoint: checkpoint.text };
  }

  /**
   * Recomputes the whole log from the stored entry bytes and checks every leaf hash,
   * embedded index, stored subtree hash and signed checkpoint, plus `checkpoint` (a
   * note the caller saved earlier) when given. Never throws for a damaged log: the
   * result names the first bad index.
   */
  verify(options?: { checkpoint?: string }): Promise<VerifyResult> {
    return verifyLog(this.db, { key: this.key, origin: this.origin, checkpoint: options?.checkpoint });
  }

  /** One page of a tenant's events in log order, filtered. */
  async query(filter: EventQuery): Promise<{ entries: LedgerEntry[]; nextCursor: string | null }> {
    const parsed = EventQuerySchema.safeParse(filter);
    if (!parsed.success) {
      const why = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      throw new LedgerError('ledger.invalid_query', `invalid event query: ${why}`);
    }
    const f = parsed.data;
    const where: string[] = ['tenant = $1'];
    const params: SqlValue[] = [f.tenant];
    const add = (clause: string, value: SqlValue): void => {
      params.push(value);
      where.push(clause.replace('?', `$${params.length}`));
    };
    if (f.category !== undefined) add('category = ?', f.category);
    if (f.name !== undefined) add('name = ?', f.name);
    if (f.actor !== undefined) add('actor_id = ?', f.actor);
    if (f.resource_id !== undefined) add('resource_id = ?', f.resource_id);
    // Stored times are normalised to `toISOString()` form, so text order is time order.
    if (f.since !== undefined) add('time >= ?', new Date(f.since).toISOString());
    if (f.until !== undefined) add('time < ?', new Date(f.until).toISOString());
    if (f.cursor !== undefined) add('idx > ?', decodeCursor(f.cursor));
    params.push(f.limit);
    const rows = await this.db.query<{ idx: number; entry: string }>(
      `SELECT idx, entry FROM ledger_entries WHERE ${where.join(' AND ')} ORDER BY idx LIMIT $${params.length}`,
      params,
    );
    const entries = rows.map((row) => parseEntry(row.entry, Number(row.idx)));
    const last = rows[rows.length - 1];
    return {
      entries,
      nextCursor: rows.length === f.limit && last ? encodeCursor(Number(last.idx)) : null,
    };
  }

  /** The entry at `index`, or null when the log has none there. */
  async getByIndex(index: number): Promise<LedgerEntry | null> {
    if (!Number.isSafeInteger(index) || index < 0) {
      throw new LedgerError('ledger.invalid_index', `index must be a non-negative integer, got ${index}`);
    }
    const [row] = await this.db.query<{ entry: string }>('SELECT entry FROM ledger_entries WHERE idx = $1', [
      index,
    ]);
    return row ? parseEntry(row.entry, index) : null;
  }

  /**
   * Streams a tenant's matching events in log order, one JSON document per yielded
   * string, each ending with `\n`. `openlineage` yields only `training_run` and
   * `dataset_ingest` events.
   */
  async *export(format: ExportFormat, filter: Omit<EventQuery, 'cursor' | 'limit'>): AsyncIterable<string> {
    let cursor: string | undefined;
    do {
      const page = await this.query({ ...filter, limit: 1000, ...(cursor ? { cursor } : {}) });
      for (const entry of page.entries) {
        const line = exportLine(format, entry, this.origin);
        if (line !== null) yield `${line}\n`;
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  private prepare(events: readonly EventEnvelope[]): PreparedEvent[] {
    const seen = new Set<string>();
    return events.map((input, i) => {
      let id: string;
      // Envelopes from `newEvent` are frozen after validation: their canonical JSON is already known.
      let json = validatedJson(input);
      if (json !== undefined) {
        id = input.id;
      } else {
        const parsed = parseContract(EventEnvelopeSchema, input, `event ${i}`);
        // One time format (ms precision, `Z`) keeps the generated `time` column sortable as text.
        const event = { ...parsed, time: new Date(parsed.time).toISOString() };
        id = event.id;
        json = canonicalJson(event);
      }
      if (seen.has(id)) {
        throw new LedgerError('ledger.duplicate_event', `event ${i}: id ${id} appears twice in this append`);
      }
      seen.add(id);
      return { id, json };
    });
  }

  private async drain(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      // Callers woken by the previous commit re-append in queued microtasks: let them
      // join this group instead of committing the first of them alone.
      await new Promise((resolve) => setImmediate(resolve));
      while (this.pending.length > 0) {
        const group: PendingAppend[] = [];
        let count = 0;
        while (this.pending.length > 0) {
          const next = this.pending[0] as PendingAppend;
          if (group.length > 0 && count + next.events.length > MAX_GROUP_EVENTS) break;
          group.push(next);
          count += next.events.length;
          this.pending.shift();
        }
        try {
          const entries = await this.commit(group.flatMap((p) => p.events));
          let offset = 0;
          for (const p of group) {
            p.resolve(entries.slice(offset, offset + p.events.length));
            offset += p.events.length;
          }
        } catch (err) {
          if (group.length === 1) {
            group[0]?.reject(err);
            continue;
          }
          // One caller's bad batch (e.g. a duplicate id) must not fail the others: retry alone.
          for (const p of group) {
            try {
              p.resolve(await this.commit(p.events));
            } catch (single) {
              p.reject(single);
            }
          }
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private async commit(events: readonly PreparedEvent[]): Promise<AppendedEntry[]> {
    const { range, appended } = await this.db.transaction(
      async (tx) => {
        const head = await this.readHead(tx);
        const cached = this.cachedRange;
        const range =
          cached && cached.size === head.size && cached.root().equals(head.rootHash)
            ? cached.clone()
            : await this.loadRange(tx, head.size);
        if (!range.root().equals(head.rootHash)) {
          throw new LedgerError(
            'ledger.corrupt',
            'stored subtree hashes do not match the latest checkpoint; run verify',
          );
        }
        const entryRows: SqlValue[][] = [];
        const nodeRows: SqlValue[][] = [];
        const appended: AppendedEntry[] = [];
        events.forEach((e, i) => {
          const index = head.size + i;
          const entry = `{"event":${e.json},"index":${index}}`;
          const leaf = hashLeaf(entry);
          range.append(leaf, (level, nodeIndex, hash) => nodeRows.push([nodeId(level, nodeIndex), hash]));
          entryRows.push([index, entry, leaf]);
          appended.push({ index, leafHash: leaf.toString('hex'), id: e.id });
        });
        if (this.db.dialect === 'sqlite') {
          // The unique event_id index rejects a duplicate anyway; only then look up which one
          // (SQLite undoes just the failed statement, so the transaction can still be queried).
          try {
            await insertRows(tx, 'ledger_entries (idx, entry, leaf_hash)', entryRows);
          } catch (err) {
            if (err instanceof StoreError && err.code === 'store.conflict')
              await this.checkNewIds(tx, events);
            throw err;
          }
        } else {
          // A failed statement aborts a PostgreSQL transaction: check before inserting.
          await this.checkNewIds(tx, events);
          await insertRows(tx, 'ledger_entries (idx, entry, leaf_hash)', entryRows);
        }
        await insertRows(tx, 'ledger_nodes (id, hash)', nodeRows);
        const retained =
          Math.floor(range.size / CHECKPOINT_RETAIN_INTERVAL) >
          Math.floor(head.size / CHECKPOINT_RETAIN_INTERVAL);
        await this.insertCheckpoint(tx, range.size, range.root(), retained);
        await tx.execute('DELETE FROM ledger_checkpoints WHERE size = $1 AND retained = 0', [head.size]);
        return { range, appended };
      },
      { lock: LEDGER_LOCK },
    );
    this.cachedRange = range;
    return appended;
  }

  private async checkNewIds(tx: Queryable, events: readonly PreparedEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += INSERT_CHUNK) {
      const ids = events.slice(i, i + INSERT_CHUNK).map((e) => e.id);
      const rows = await tx.query<{ event_id: string; idx: number }>(
        `SELECT event_id, idx FROM ledger_entries WHERE event_id IN (${ids.map((_, j) => `$${j + 1}`).join(', ')})`,
        ids,
      );
      const [row] = rows;
      if (row) {
        throw new LedgerError(
          'ledger.duplicate_event',
          `event ${row.event_id} is already in the log at index ${row.idx}`,
          {
            details: { id: row.event_id, index: Number(row.idx) },
          },
        );
      }
    }
  }

  private async readHead(tx: Queryable): Promise<{ size: number; rootHash: Buffer }> {
    const [cp] = await tx.query<{ size: number; root_hash: Uint8Array; m: number | null }>(
      `SELECT size, root_hash, (SELECT MAX(idx) FROM ledger_entries) AS m
       FROM ledger_checkpoints ORDER BY size DESC LIMIT 1`,
    );
    if (!cp) throw new LedgerError('ledger.corrupt', 'the ledger has no checkpoint');
    const size = Number(cp.size);
    const entries = cp.m === null || cp.m === undefined ? 0 : Number(cp.m) + 1;
    if (entries !== size) {
      // Appending on top of a damaged log would bury the damage under valid signatures.
      throw new LedgerError(
        'ledger.corrupt',
        `the log holds entries up to index ${entries - 1} but the latest checkpoint covers ${size}; run verify`,
      );
    }
    return { size, rootHash: Buffer.from(cp.root_hash) };
  }

  private async loadRange(q: Queryable, size: number): Promise<CompactRange> {
    const keys = CompactRange.frontierNodes(size);
    const nodes = await fetchNodes(q, keys);
    return CompactRange.fromSource(size, (level, index) => nodes.get(level, index));
  }

  private async insertCheckpoint(
    tx: Queryable,
    size: number,
    root: Buffer,
    retained: boolean,
  ): Promise<void> {
    const note = signNote(formatCheckpointBody(this.origin, size, root), this.signer);
    await tx.execute(
      'INSERT INTO ledger_checkpoints (size, root_hash, note, retained) VALUES ($1, $2, $3, $4)',
      [size, root, note, retained ? 1 : 0],
    );
  }

  private openNote(note: string, what: string): void {
    const cp = openCheckpoint(note, this.key);
    if (cp.origin !== this.origin) {
      throw new LedgerError(
        'ledger.invalid_checkpoint',
        `${what} has origin "${cp.origin}", expected "${this.origin}"`,
      );
    }
  }

  private checkSize(n: number, max: number, what: string): void {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new LedgerError('ledger.invalid_index', `${what} must be a non-negative integer, got ${n}`);
    }
    if (n > max) throw new LedgerError('ledger.invalid_index', `${what} ${n} exceeds the log size ${max}`);
  }

  /**
   * Runs a pure proof computation twice: first against a probe to learn which
   * perfect subtrees it needs, then against those hashes fetched in one batch.
   */
  private async withNodes<T>(compute: (source: NodeSource) => T): Promise<T> {
    const wanted = new Map<number, [number, number]>();
    compute((level, index) => {
      wanted.set(nodeId(level, index), [level, index]);
      return PLACEHOLDER_PROBE;
    });
    const nodes = await fetchNodes(this.db, [...wanted.values()]);
    return compute((level, index) => nodes.get(level, index));
  }
}

/** Hashes of perfect subtrees fetched by `(level, index)`. */
interface NodeMap {
  get(level: number, index: number): Buffer;
}

async function fetchNodes(q: Queryable, keys: ReadonlyArray<readonly [number, number]>): Promise<NodeMap> {
  // One round trip: leaf hashes (level 0) come from the entries, keyed like nodes (`idx * 64`,
  // which no level >= 1 node id can equal), the rest from ledger_nodes.
  const leaves = keys.filter(([level]) => level === 0).map(([, index]) => index);
  const inner = keys.filter(([level]) => level > 0).map(([level, index]) => nodeId(level, index));
  const params: SqlValue[] = [];
  const list = (values: number[]): string =>
    values
      .map((v) => {
        params.push(v);
        return `$${params.length}`;
      })
      .join(', ');
  const parts: string[] = [];
  if (leaves.length > 0) {
    parts.push(`SELECT idx * 64 AS id, leaf_hash AS hash FROM ledger_entries WHERE idx IN (${list(leaves)})`);
  }
  if (inner.length > 0) parts.push(`SELECT id, hash FROM ledger_nodes WHERE id IN (${list(inner)})`);
  const found = new Map<number, Buffer>();
  if (parts.length > 0) {
    const rows = await q.query<{ id: number; hash: Uint8Array }>(parts.join(' UNION ALL '), params);
    for (const row of rows) found.set(Number(row.id), Buffer.from(row.hash));
  }
  return {
    get(level, index) {
      const hash = found.get(nodeId(level, index));
      if (!hash) {
        throw new LedgerError(
          'ledger.corrupt',
          `subtree hash (level ${level}, index ${index}) is missing; run verify`,
        );
      }
      return hash;
    },
  };
}

async function insertRows(tx: Queryable, table: string, rows: readonly SqlValue[][]): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    const chunk = rows.slice(i, i + INSERT_CHUNK);
    const params: SqlValue[] = [];
    const tuples = chunk.map((row) => {
      const start = params.length;
      params.push(...row);
      return `(${row.map((_, j) => `$${start + j + 1}`).join(', ')})`;
    });
    await tx.execute(`INSERT INTO ${table} VALUES ${tuples.join(', ')}`, params);
  }
}

function parseEntry(text: string, index: number): LedgerEntry {
  try {
    const parsed = JSON.parse(text) as LedgerEntry;
    return { index: parsed.index, event: parsed.event };
  } catch (err) {
    throw new LedgerError('ledger.corrupt', `entry ${index} is not valid JSON; run verify`, { cause: err });
  }
}

function encodeCursor(index: number): string {
  return Buffer.from(`i${index}`).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString();
  const index = /^i(0|[1-9][0-9]{0,15})$/.test(text) ? Number(text.slice(1)) : Number.NaN;
  if (!Number.isSafeInteger(index)) throw new LedgerError('ledger.invalid_query', 'invalid cursor');
  return index;
}
