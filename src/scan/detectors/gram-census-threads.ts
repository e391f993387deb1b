import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../module-worker.js';
import type { CensusWorkerData } from './census-worker.js';
import {
  PartitionBuffers,
  type PartitionVisitor,
  type PoolArrays,
  partitionCapacity,
  partitionsFor,
  poolArrays,
  type SortedPartition,
  sortPartition,
  type TokenPool,
} from './gram-census.js';

/**
 * The gram census's partition sorts on worker threads. They run after the scan, when the scan's
 * workers are idle, and took ~3 s of the trigger miner's ~5.5 s single-threaded `finish` on the
 * 210 MB benchmark corpus; the main thread now visits partition k while threads sort k+1, k+2.
 * Each thread regenerates a group of partitions per pass over the pool (see `sortPartitionGroup`).
 * The result is the same as `sortedPartitions`: the same partitions, visited in order.
 */

/** Partitions per regeneration pass on a thread. */
const GROUP = 2;

/** Below this many pooled tokens starting threads costs more than it saves. */
export const THREADED_MIN_TOKENS = 2_000_000;

/** A shared-memory copy of an array (one copy of the pool, read by every thread). */
function shared<T extends Int32Array | Uint32Array>(
  src: ArrayLike<number>,
  make: (b: SharedArrayBuffer) => T,
): T {
  const out = make(new SharedArrayBuffer(Math.max(4, src.length * 4)));
  out.set(src);
  return out;
}

/**
 * `sortedPartitions` with the sorts on `threads` worker threads (default: the cores, at most 4).
 * At most `(threads + 1) * group` sorted partitions are held at once. If a thread fails, the partitions not
 * yet visited are sorted on this thread, so `visit` still sees every partition exactly once, in order.
 */
export async function sortedPartitionsThreaded(
  pool: TokenPool,
  visit: PartitionVisitor,
  options: { partitions?: number; threads?: number } = {},
): Promise<void> {
  const partitions = options.partitions ?? partitionsFor(pool, 6 << 20);
  const group = Math.min(GROUP, partitions);
  const threads = Math.max(
    1,
    Math.min(options.threads ?? Math.min(4, availableParallelism()), partitions / group),
  );
  const local = poolArrays(pool);
  const arrays: PoolArrays = {
    hashes:
      local.hashes.length > 0
        ? shared(local.hashes, (b) => new Int32Array(b, 0, local.hashes.length))
        : local.hashes,
    starts: shared(local.starts, (b) => new Uint32Array(b, 0, local.starts.length)),
    breaks: shared(local.breaks, (b) => new Int32Array(b, 0, local.breaks.length)),
    records: local.records,
  };
  const capacity = partitionCapacity(pool, partitions);
  const data: CensusWorkerData = { arrays, partitions, group, capacity };
  const done = new Map<number, SortedPartition>();
  const workers: Worker[] = [];
  let failed: unknown;
  let wake: (() => void) | undefined;
  let next = 0;
  let visited = 0;
  const idle: Worker[] = [];
  const dispatch = () => {
    while (idle.length > 0 && next < partitions && next <= visited + threads * group) {
      (idle.pop() as Worker).postMessage({ first: next });
      next += group;
    }
  };
  try {
    for (let t = 0; t < threads; t++) {
      const w = startModuleWorker(import.meta.url, 'census-worker', data);
      w.on('message', (msg: { part: number } & SortedPartition) => {
        done.set(msg.part, msg);
        // The group's last partition: the thread is free.
        if (msg.part % group === group - 1) {
          idle.push(w);
          dispatch();
        }
        wake?.();
      });
      w.on('error', (err) => {
        failed ??= err;
        wake?.();
      });
      workers.push(w);
      idle.push(w);
    }
    dispatch();
    while (visited < partitions && failed === undefined) {
      const sorted = done.get(visited);
      if (!sorted) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
        continue;
      }
      done.delete(visited);
      visit(sorted.ids, sorted.occ, sorted.length);
      visited++;
      dispatch();
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  if (visited < partitions) {
    // A thread failed: finish here, from the first partition not yet visited.
    const buffers = new PartitionBuffers(capacity);
    for (let part = visited; part < partitions; part++) {
      const sorted = sortPartition(local, part, partitions, buffers);
      visit(sorted.ids, sorted.occ, sorted.length);
    }
  }
}
