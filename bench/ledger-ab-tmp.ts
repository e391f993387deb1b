import { Ledger } from '../src/ledger/index.js';
import { benchEvent, benchKey, ORIGIN, openBenchDatabase, numberArg } from './ledger-bench-support.js';
const N = numberArg('n', 50000);
const events = Array.from({ length: N }, (_, i) => benchEvent(i));
const plain = events.map((e) => structuredClone(e));
for (const round of [1, 2]) for (const [name, evs] of [['sealed', events], ['plain', plain]] as const) {
  const db = await openBenchDatabase(`ab_${name}`, true);
  const ledger = await Ledger.open(db, { signer: await benchKey(), origin: ORIGIN });
  const c0 = process.cpuUsage(); const t0 = performance.now();
  for (let i = 0; i < N; i += 1000) await ledger.append(evs.slice(i, i + 1000));
  const cpu = process.cpuUsage(c0); const cs = (cpu.user + cpu.system) / 1e6; const us = cpu.user/1e6, sy = cpu.system/1e6;
  console.log(round, name, `wall ${Math.round(N / ((performance.now() - t0) / 1000))}/s  cpu ${Math.round(N / cs)}/CPU-s (user ${us.toFixed(2)} sys ${sy.toFixed(2)})`);
  await db.close();
}
