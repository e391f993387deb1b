import { parentPort, workerData } from 'node:worker_threads';
import { PartitionBuffers, type PartitionWork, type PoolArrays, sortPartitionGroup } from './gram-census.js';

/**
 * Worker entry of `visitPartitionsThreaded`: loads the caller's `PartitionWork` module, sorts the
 * partition groups it is sent over the shared pool arrays, runs the work on each partition and
 * posts back `{ part, result }` (the result's buffers transferred, not copied).
 */
export interface CensusWorkerData {
  arrays: PoolArrays;
  partitions: number;
  /** Partitions regenerated per pass (the `count` of every message). */
  group: number;
  capacity: number;
  /** A module URL exporting `createPartitionWork(data)`, and its data. */
  work: { module: string; data: unknown };
}

interface WorkModule {
  createPartitionWork(data: unknown): PartitionWork<unknown>;
}

const setup = workerData as CensusWorkerData;
const buffers = new PartitionBuffers(setup.capacity, setup.group);
const work = (import(setup.work.module) as Promise<WorkModule>).then((m) =>
  m.createPartitionWork(setup.work.data),
);
// Messages that come while the module loads wait on the same promise, so they run in order.
parentPort?.on('message', (msg: { first: number }) => {
  work
    .then((w) => {
      sortPartitionGroup(setup.arrays, msg.first, setup.group, setup.partitions, buffers, (part, sorted) => {
        const result = w.visit(part, sorted.ids, sorted.occ, sorted.length);
        parentPort?.postMessage({ part, result }, w.transfer(result));
      });
    })
    .catch((err: unknown) => {
      // Out of the promise chain, so the thread fails with an 'error' its parent sees.
      setImmediate(() => {
        throw err;
      });
    });
});
