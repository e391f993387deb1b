import BetterSqlite3 from 'better-sqlite3';
import { tmpdir } from 'node:os';
const db = new BetterSqlite3(`${tmpdir()}/tunegate-ledger-bench/size_1000000.db`, { readonly: true });
db.pragma('cache_size = -65536'); db.pragma('mmap_size = 268435456');
const N = 200000, PAGE = 20000;
const variants: Record<string, () => number> = {
  all: () => { const s = db.prepare('SELECT idx, entry FROM ledger_entries WHERE idx >= ? ORDER BY idx LIMIT ?'); let n = 0; for (let p = 0; p < N; p += PAGE) n += s.all(p, PAGE).length; return n; },
  named: () => { const s = db.prepare('SELECT idx, entry FROM ledger_entries WHERE idx >= ?1 ORDER BY idx LIMIT ?2'); let n = 0; for (let p = 0; p < N; p += PAGE) n += s.all({1: p, 2: PAGE}).length; return n; },
  raw: () => { const s = db.prepare('SELECT idx, entry FROM ledger_entries WHERE idx >= ? ORDER BY idx LIMIT ?').raw(); let n = 0; for (let p = 0; p < N; p += PAGE) n += s.all(p, PAGE).length; return n; },
  pluck: () => { const s = db.prepare('SELECT entry FROM ledger_entries WHERE idx >= ? AND idx < ?').pluck(); let n = 0; for (let p = 0; p < N; p += PAGE) n += s.all(p, p + PAGE).length; return n; },
  groupconcat: () => { const s = db.prepare("SELECT group_concat(entry, char(10)) FROM ledger_entries WHERE idx >= ? AND idx < ?").pluck(); let n = 0; for (let p = 0; p < N; p += PAGE) n += (s.get(p, p + PAGE) as string).length; return n; },
};
for (const r of [1, 2]) for (const [name, f] of Object.entries(variants)) {
  const c0 = process.cpuUsage(); const t0 = performance.now(); f(); const c = process.cpuUsage(c0);
  console.log(r, name.padEnd(12), `cpu ${((c.user + c.system) / N).toFixed(2)} us/row wall ${((performance.now() - t0) * 1000 / N).toFixed(2)} us/row`);
}
