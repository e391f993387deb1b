/**
 * HTTP API append throughput and latency, end to end (bearer auth, zod validation,
 * durable ledger append) over loopback on the embedded SQLite store:
 * `npx tsx bench/api-append.ts [--requests 2000]`.
 * Reports one-event-per-request throughput with 1 and 8 concurrent clients, and
 * 100-event batches. No target in the issue; the ledger's own targets are in ledger-append.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrap, loadConfig, openControlPlane } from '../src/control-plane/index.js';
import { startServer } from '../src/server/index.js';

const arg = process.argv.indexOf('--requests');
const requests = arg > 0 ? Number(process.argv[arg + 1]) : 2000;

const home = await mkdtemp(join(tmpdir(), 'tunegate-bench-api-'));
const cp = await openControlPlane(loadConfig({ TUNEGATE_HOME: home, TUNEGATE_LOG_LEVEL: 'silent' }));
const { token } = await bootstrap(cp);
const server = await startServer(cp, {
  host: '127.0.0.1',
  port: 0,
  handleSignals: false,
  logLevel: 'silent',
});
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

const event = (i: number) => ({
  operation: { category: 'training_run', name: 'heartbeat' },
  resource: { training_run: { run_id: `run-${i % 50}`, step: i } },
  context: { orchestrator: 'bench' },
});

async function post(body: unknown): Promise<number> {
  const t = performance.now();
  const res = await fetch(`${server.url}/v1/events`, { method: 'POST', headers, body: JSON.stringify(body) });
  if (res.status !== 201) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
  return performance.now() - t;
}

async function run(label: string, clients: number, total: number, batch: number): Promise<void> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < total) {
        const i = next++;
        const body =
          batch === 1 ? event(i) : { events: Array.from({ length: batch }, (_, j) => event(i * batch + j)) };
        latencies.push(await post(body));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const p = (q: number) =>
    (latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0).toFixed(2);
  console.log(
    `${label}: ${((total * batch) / seconds).toFixed(0)} events/s (${(total / seconds).toFixed(0)} req/s), ` +
      `latency p50 ${p(0.5)} ms, p99 ${p(0.99)} ms`,
  );
}

try {
  await run('1 client, 1 event/request ', 1, Math.min(requests, 1000), 1);
  await run('8 clients, 1 event/request', 8, requests, 1);
  await run('4 clients, 100 events/request', 4, Math.max(1, Math.floor(requests / 20)), 100);
  console.log(`ledger size ${await cp.ledger.size()}, verify: ${JSON.stringify(await cp.ledger.verify())}`);
} finally {
  await server.close();
  await rm(home, { recursive: true, force: true });
}
