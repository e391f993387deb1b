/**
 * A ledger writer for concurrency tests, run as a child process (or worker thread):
 *   node --import tsx append-writer.ts <db> <keyPath> <origin> <events> <maxBatch> <inFlight> <tag>
 * Prints `ack <index> <eventId>` for every event once `append` has resolved
 * (i.e. it is durable), then `done`. Tests SIGKILL it at arbitrary moments.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../../store/open-database.js';
import { Ledger } from '../ledger.js';
import { SigningKey } from '../signing-key.js';
import { sampleEvent } from './ledger-fixtures.js';

const args: string[] = parentPort ? (workerData as string[]) : process.argv.slice(2);
const [location, keyPath, origin, total, maxBatch, inFlight, tag] = args as [
  string,
  string,
  string,
  string,
  string,
  string,
  string,
];
const emit = (line: string): void => {
  if (parentPort) parentPort.postMessage(line);
  else process.stdout.write(`${line}\n`);
};

const db = openDatabase(location);
const ledger = await Ledger.open(db, { signer: await SigningKey.loadOrCreate(keyPath, origin), origin });
let next = 0;
const count = Number(total);
async function lane(): Promise<void> {
  while (next < count) {
    const size = Math.min(count - next, 1 + Math.floor(Math.random() * Number(maxBatch)));
    const start = next;
    next += size;
    const events = Array.from({ length: size }, (_, i) => sampleEvent(start + i, 'acme', tag));
    for (const entry of await ledger.append(events)) emit(`ack ${entry.index} ${entry.id}`);
  }
}
await Promise.all(Array.from({ length: Number(inFlight) }, () => lane()));
await db.close();
emit('done');
