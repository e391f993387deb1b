import { isMainThread } from 'node:worker_threads';
import type { PartitionWork } from '../gram-census.js';

/**
 * A `PartitionWork` module for the census-thread tests: each partition's result is a copy of its
 * sorted occurrences. With `failAt`, a census thread (never the main thread) throws on that
 * partition, as a failing thread would.
 */

export interface PartitionCopy {
  part: number;
  ids: Int32Array<ArrayBuffer>;
  occ: Int32Array<ArrayBuffer>;
  /** Whether the partition was visited on the main thread. */
  onMainThread: boolean;
}

export function createPartitionWork(data: { failAt?: number }): PartitionWork<PartitionCopy> {
  return {
    visit(part, ids, occ, length) {
      if (!isMainThread && part === data.failAt) throw new Error(`partition ${part} failed on purpose`);
      return { part, ids: ids.slice(0, length), occ: occ.slice(0, length), onMainThread: isMainThread };
    },
    transfer: (copy) => [copy.ids.buffer, copy.occ.buffer],
  };
}
