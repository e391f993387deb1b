import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../module-worker.js';
import type { CensusWorkerData } from './census-worker.js';
import {
  PartitionBuffers,
  type PartitionWork,
  type PoolArrays,
  partitionCapacity,
  partitionsFor,
  poolArrays,
  sortPartition,
  type TokenPool,
} from './gram-census.js';

/**
 * The gram census on worker threads: each thread regenerates a group of partitions per pass over
 * the pool (see `sortPartitionGroup`), sorts them and runs the caller's `PartitionWork` on each, so
 * only the partitions' results come back. They run after the scan, when the scan's workers are
 * idle. Visiting on the threads instead of here keeps the sorted partitions (tens of MB each) on
 * the thread that sorted them (no copies, no garbage here) and takes the visit off this thread,
 * which otherwise ran alone after the sorts. The results are those of `visitPartitions`.
 */

/**
 * Most partitions a thread regenerates per pass. Each pass regenerates every gram of the pool
 * (`collect`, ~0.7 s on the 210 MB benchmark corpus), so on 2 threads and 8 partitions one pass
 * per thread saves a second one; each region costs `partitionCapacity` * 8 bytes (~47 MB there).
 */
const MAX_GROUP = 4;

/** Below this many pooled tokens starting threads costs more than it saves. */
export const THREADED_MIN_TOKENS = 2_000_000;

/** A shared-memory copy of an array (one copy, read by every thread). */
export function sharedCopy<T extends Int32Array | Uint32Array | Uint8Array>(
  src: ArrayLike<number>,
  make: (b: SharedArrayBuffer, length: number) => T,
  bytesPerElement: number,
): T {
  const out = make(new SharedArrayBuffer(Math.max(4, src.length * bytesPerElement)), src.length);
  out.set(src);
  return out;
}

/**
 * Where a census thread finds its `PartitionWork`: the module at `module` (an `import.meta.url`)
 * exports `createPartitionWork(data)`, the same function as `create`. `data` is posted to every
 * thread: arrays on a `SharedArrayBuffer` are shared (the work may write its results there, as
 * long as each element is written by one partition only), others are copied.
 */
export interface ThreadedPartitionWork<D, R> {
  module: string;
  data: D;
  /** The module's `createPartitionWork`, for partitions visited on this thread (after a thread failed). */
  create: (data: D) => PartitionWork<R>;
}

/**
 * `visitPartitions` with the sorts and the work on `threads` worker threads (default: the cores, at
 * most 4), `group` partitions per regeneration pass (default: as many as keep every thread busy,
 * at most `MAX_GROUP`). If a thread fails, the partitions without a
 * result are sorted and visited on this thread once the threads are stopped, so every partition
 * still has exactly one result.
 */
export async function visitPartitionsThreaded<D, R>(
  pool: TokenPool,
  work: ThreadedPartitionWork<D, R>,
  options: { partitions?: number; threads?: number; group?: number } = {},
): Promise<R[]> {
  const partitions = options.partitions ?? partitionsFor(pool, 6 << 20);
  const wanted = Math.max(1, Math.min(options.threads ?? Math.min(4, availableParallelism()), partitions));
  // As few passes as the threads allow: the largest power of two up to partitions / threads.
  let group = options.group ?? 1;
  if (options.group === undefined) while (group * 2 <= Math.min(MAX_GROUP, partitions / wanted)) group *= 2;
  group = Math.min(group, partitions);
  const threads = Math.max(1, Math.min(wanted, partitions / group));
  const local = poolArrays(pool);
  const arrays: PoolArrays = {
    // The pool's hashes are on shared memory already (see `TokenPool`).
    hashes:
      local.hashes.length > 0 && !(local.hashes.buffer instanceof SharedArrayBuffer)
        ? sharedCopy(local.hashes, (b, n) => new Int32Array(b, 0, n), 4)
        : local.hashes,
    starts: sharedCopy(local.starts, (b, n) => new Uint32Array(b, 0, n), 4),
    breaks: sharedCopy(local.breaks, (b, n) => new Int32Array(b, 0, n), 4),
    records: local.records,
  };
  const capacity = partitionCapacity(pool, partitions);
  const data: CensusWorkerData = {
    arrays,
    partitions,
    group,
    capacity,
    work: { module: work.module, data: work.data },
  };
  const results: (R | undefined)[] = new Array(partitions).fill(undefined);
  let received = 0;
  const workers: Worker[] = [];
  let failed: unknown;
  let wake: (() => void) | undefined;
  let next = 0;
  const dispatch = (w: Worker) => {
    if (next >= partitions) return;
    w.postMessage({ first: next });
    next += group;
  };
  try {
    for (let t = 0; t < threads; t++) {
      const w = startModuleWorker(import.meta.url, 'census-worker', data);
      w.on('message', (msg: { part: number; result: R }) => {
        results[msg.part] = msg.result;
        received++;
        // The group's last partition: the thread is free.
        if (msg.part % group === group - 1) dispatch(w);
        wake?.();
      });
      w.on('error', (err) => {
        failed ??= err;
        wake?.();
      });
      w.on('exit', (code) => {
        failed ??= new Error(`census thread exited (${code})`);
        wake?.();
      });
      workers.push(w);
      dispatch(w);
    }
    while (received < partitions && failed === undefined) {
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  } finally {
    for (const w of workers) w.removeAllListeners('exit');
    await Promise.all(workers.map((w) => w.terminate()));
  }
  if (received < partitions) {
    // A thread failed: the partitions without a result, here.
    const buffers = new PartitionBuffers(capacity);
    const visitor = work.create(work.data);
    for (let part = 0; part < partitions; part++) {
      if (results[part] !== undefined) continue;
      const sorted = sortPartition(local, part, partitions, buffers);
      results[part] = visitor.visit(part, sorted.ids, sorted.occ, sorted.length);
    }
  }
  return results as R[];
}
