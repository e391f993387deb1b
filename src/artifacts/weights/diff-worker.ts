import { parentPort } from 'node:worker_threads';
import { type DiffJob, FileCache, runDiffJob } from './tensor-range-diff.js';

/** Worker thread entry of the weight diff: runs {@link DiffJob}s sent by the pool, one at a time. */
const files = new FileCache();
parentPort?.on('message', (msg: { type: 'job'; job: DiffJob } | { type: 'close' }) => {
  if (msg.type === 'close') {
    files.close();
    parentPort?.close();
    return;
  }
  try {
    const r = runDiffJob(msg.job, files);
    const transfer: ArrayBuffer[] = [];
    for (const a of [r.z, r.rowDeltaSq, r.rowBaseSq]) if (a) transfer.push(a.buffer as ArrayBuffer);
    parentPort?.postMessage({ type: 'result', result: r }, transfer);
  } catch (err) {
    parentPort?.postMessage({
      type: 'error',
      id: msg.job.id,
      message: err instanceof Error ? err.message : String(err),
    });
  }
});
