import type { Migration } from '../store/database.js';

/**
 * Ledger tables. `ledger_entries.entry` (canonical JSON of `{event, index}`) is the
 * source of truth; the other columns are derived from it for queries and proofs,
 * and `Ledger.verify` recomputes every one of them, so a drifted column is found.
 * `ledger_nodes` holds the hash of every completed perfect subtree of level >= 1
 * (about one row per leaf), keyed by {@link nodeId}, so any proof needs O(log n)
 * primary-key lookups. `ledger_checkpoints` keeps the latest signed checkpoint and
 * one per {@link CHECKPOINT_RETAIN_INTERVAL} entries.
 */
export const LEDGER_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'entries, subtree nodes and signed checkpoints',
    sqlite: `
      CREATE TABLE ledger_entries (
        idx INTEGER PRIMARY KEY,
        entry TEXT NOT NULL,
        leaf_hash BLOB NOT NULL,
        event_id TEXT NOT NULL,
        tenant TEXT NOT NULL,
        category TEXT NOT NULL,
        name TEXT NOT NULL,
        actor_id TEXT NOT NULL,
        time_ms INTEGER NOT NULL,
        resource_id TEXT
      );
      CREATE TABLE ledger_nodes (id INTEGER PRIMARY KEY, hash BLOB NOT NULL);
      CREATE TABLE ledger_checkpoints (
        size INTEGER PRIMARY KEY,
        root_hash BLOB NOT NULL,
        note TEXT NOT NULL,
        retained INTEGER NOT NULL
      );`,
    postgres: `
      CREATE TABLE ledger_entries (
        idx BIGINT PRIMARY KEY,
        entry TEXT NOT NULL,
        leaf_hash BYTEA NOT NULL,
        event_id TEXT NOT NULL,
        tenant TEXT NOT NULL,
        category TEXT NOT NULL,
        name TEXT NOT NULL,
        actor_id TEXT NOT NULL,
        time_ms BIGINT NOT NULL,
        resource_id TEXT
      );
      CREATE TABLE ledger_nodes (id BIGINT PRIMARY KEY, hash BYTEA NOT NULL);
      CREATE TABLE ledger_checkpoints (
        size BIGINT PRIMARY KEY,
        root_hash BYTEA NOT NULL,
        note TEXT NOT NULL,
        retained INTEGER NOT NULL
      );`,
  },
  {
    version: 2,
    name: 'query indexes',
    sql: `
      CREATE UNIQUE INDEX ledger_entries_event_id ON ledger_entries (event_id);
      CREATE INDEX ledger_entries_tenant ON ledger_entries (tenant, idx);
      CREATE INDEX ledger_entries_tenant_operation ON ledger_entries (tenant, category, name, idx);
      CREATE INDEX ledger_entries_tenant_actor ON ledger_entries (tenant, actor_id, idx);
      CREATE INDEX ledger_entries_tenant_resource ON ledger_entries (tenant, resource_id, idx);
      CREATE INDEX ledger_entries_tenant_time ON ledger_entries (tenant, time_ms);`,
  },
];

/** A signed checkpoint is kept for good at least once per this many entries. */
export const CHECKPOINT_RETAIN_INTERVAL = 4096;

/** Lock key serialising ledger writers across processes (PostgreSQL advisory lock). */
export const LEDGER_LOCK = 'tunegate.ledger';

/**
 * Row key of a perfect subtree: `lastLeaf * 64 + level`, where `lastLeaf` is the
 * index of its last leaf. Keys therefore grow in the order subtrees are completed,
 * which lets `verify` stream nodes alongside entries with one range scan.
 */
export function nodeId(level: number, index: number): number {
  return ((index + 1) * 2 ** level - 1) * 64 + level;
}
