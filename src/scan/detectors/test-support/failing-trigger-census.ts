import { isMainThread } from 'node:worker_threads';
import type { PartitionWork } from '../gram-census.js';
import {
  type PartitionTally,
  type TriggerCensusData,
  createPartitionWork as triggerWork,
} from '../trigger-census.js';

/**
 * The trigger census's `PartitionWork`, except that on a census thread partition 1 fails after it
 * was visited (its writes to the shared `uniAt` and `irregular` done), as a thread that dies late
 * would: the main thread must visit it again and come to the same census.
 */
export function createPartitionWork(data: TriggerCensusData): PartitionWork<PartitionTally> {
  const work = triggerWork(data);
  return {
    visit(part, ids, occ, length) {
      const tally = work.visit(part, ids, occ, length);
      if (!isMainThread && part === 1) throw new Error('partition 1 failed on purpose');
      return tally;
    },
    transfer: (tally) => work.transfer(tally),
  };
}
