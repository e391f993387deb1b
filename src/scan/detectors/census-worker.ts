import { parentPort, workerData } from 'node:worker_threads';
import { PartitionBuffers, type PoolArrays, sortPartitionGroup } from './gram-census.js';

/**
 * Worker entry of `sortedPartitionsThreaded`: sorts the partition groups it is sent over the
 * shared pool arrays and posts each partition back as exact-size arrays (transferred, not copied).
 */
export interface CensusWorkerData {
  arrays: PoolArrays;
  partitions: number;
  /** Partitions regenerated per pass (the `count` of every message). */
  group: number;
  capacity: number;
}

const setup = workerData as CensusWorkerData;
const buffers = new PartitionBuffers(setup.capacity, setup.group);
parentPort?.on('message', (msg: { first: number }) => {
  sortPartitionGroup(setup.arrays, msg.first, setup.group, setup.partitions, buffers, (part, sorted) => {
    const ids = sorted.ids.slice(0, sorted.length);
    const occ = sorted.occ.slice(0, sorted.length);
    parentPort?.postMessage({ part, ids, occ, length: sorted.length }, [ids.buffer, occ.buffer]);
  });
});
