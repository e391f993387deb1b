import { parentPort, workerData } from 'node:worker_threads';
import { PartitionBuffers, type PoolArrays, sortPartition } from './gram-census.js';

/**
 * Worker entry of `sortedPartitionsThreaded`: sorts the partitions it is sent over the shared
 * pool arrays and posts each back as exact-size arrays (transferred, not copied).
 */
export interface CensusWorkerData {
  arrays: PoolArrays;
  partitions: number;
  capacity: number;
}

const setup = workerData as CensusWorkerData;
const buffers = new PartitionBuffers(setup.capacity);
parentPort?.on('message', (msg: { part: number }) => {
  const sorted = sortPartition(setup.arrays, msg.part, setup.partitions, buffers);
  const ids = sorted.ids.slice(0, sorted.length);
  const occ = sorted.occ.slice(0, sorted.length);
  parentPort?.postMessage({ part: msg.part, ids, occ, length: sorted.length }, [ids.buffer, occ.buffer]);
});
