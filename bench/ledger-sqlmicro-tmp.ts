import BetterSqlite3 from 'better-sqlite3';
import { rmSync } from 'node:fs';
import { LEDGER_MIGRATIONS } from '../src/ledger/ledger-schema.ts';
import { benchEvent } from '../bench/ledger-bench-support.ts';
import { canonicalJson } from '../src/ledger/canonical-json.ts';
import { hashLeaf } from '../src/ledger/merkle-tree.ts';
const N = 30000;
const entries = Array.from({ length: N }, (_, i) => `{"event":${canonicalJson(benchEvent(i))},"index":${i}}`);
const leaves = entries.map((e) => hashLeaf(e));
for (const variant of process.argv.slice(2)) {
  const path = `/tmp/lb/micro-${variant}.db`;
  for (const s of ['', '-wal', '-shm']) rmSync(path + s, { force: true });
  const db = new BetterSqlite3(path);
  db.pragma('journal_mode = WAL'); db.pragma('synchronous = FULL'); db.pragma('cache_size = -65536');
  db.exec((LEDGER_MIGRATIONS[0] as any).sqlite);
  if (variant !== 'noidx') {
    let sql = LEDGER_MIGRATIONS[1]!.sql!;
    db.exec(sql);
  }
  const rows = 200;
  const sqlNum = `INSERT INTO ledger_entries (idx, entry, leaf_hash) VALUES ${Array.from({ length: rows }, (_, r) => `(?${3 * r + 1}, ?${3 * r + 2}, ?${3 * r + 3})`).join(', ')}`;
  const sqlPos = `INSERT INTO ledger_entries (idx, entry, leaf_hash) VALUES ${Array.from({ length: rows }, () => `(?, ?, ?)`).join(', ')}`;
  const stmt = db.prepare(variant === 'pos' ? sqlPos : sqlNum);
  const single = db.prepare('INSERT INTO ledger_entries (idx, entry, leaf_hash) VALUES (?, ?, ?)');
  const c0 = process.cpuUsage(); const t0 = performance.now();
  for (let b = 0; b < N; b += 1000) {
    db.exec('BEGIN IMMEDIATE');
    for (let c = b; c < b + 1000; c += rows) {
      if (variant === 'single') { for (let i = c; i < c + rows; i++) single.run(i, entries[i], leaves[i]); continue; }
      if (variant === 'pos') {
        const args: unknown[] = [];
        for (let i = c; i < c + rows; i++) args.push(i, entries[i], leaves[i]);
        stmt.run(...args);
      } else {
        const named: Record<number, unknown> = {};
        let k = 1;
        for (let i = c; i < c + rows; i++) { named[k++] = i; named[k++] = entries[i]; named[k++] = leaves[i]; }
        stmt.run(named);
      }
    }
    db.exec('COMMIT');
  }
  const cpu = process.cpuUsage(c0); const cs = (cpu.user + cpu.system) / 1e6;
  console.log(variant, `wall ${((performance.now() - t0) / 1000).toFixed(2)}s cpu ${cs.toFixed(2)}s => ${Math.round(N / cs)} rows/CPU-s, ${(cs / N * 1e6).toFixed(1)} us/row`);
  db.close();
}
