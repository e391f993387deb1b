import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ArtifactError } from '../artifact-error.js';
import { type DiffJob, type DiffJobResult, FileCache, runDiffJob } from './tensor-range-diff.js';

/**
 * Runs diff jobs on worker threads (or in-process with `workers: 0`), keeping
 * each worker busy with one job in flight and handing out the next as results
 * arrive. Jobs are row ranges, so one huge embedding matrix is shared by all
 * workers instead of leaving one core idle.
 */
export async function runDiffJobs(
  jobs: readonly DiffJob[],
  workers: number,
  onResult: (r: DiffJobResult) => void,
): Promise<void> {
  if (workers <= 0 || jobs.length === 0) {
    const files = new FileCache();
    try {
      for (const j of jobs) onResult(runDiffJob(j, files));
    } finally {
      files.close();
    }
    return;
  }
  const pool = Array.from({ length: Math.min(workers, jobs.length) }, () => startWorker());
  let next = 0;
  try {
    await Promise.all(
      pool.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const send = () => {
              const job = jobs[next++];
              if (job === undefined) {
                w.postMessage({ type: 'close' });
                resolve();
              } else w.postMessage({ type: 'job', job });
            };
            w.on(
              'message',
              (
                msg:
                  | { type: 'result'; result: DiffJobResult }
                  | { type: 'error'; id: number; message: string },
              ) => {
                if (msg.type === 'error') {
                  reject(
                    new ArtifactError(
                      'artifact.worker_failed',
                      `weight diff job ${msg.id} failed: ${msg.message}`,
                    ),
                  );
                  return;
                }
                onResult(msg.result);
                send();
              },
            );
            w.on('error', (err) =>
              reject(
                new ArtifactError('artifact.worker_failed', `weight diff worker failed: ${err.message}`, {
                  cause: err,
                }),
              ),
            );
            send();
          }),
      ),
    );
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
}

/**
 * Starts a diff worker. Built code runs `diff-worker.js`; from sources (tsx,
 * vitest) the worker is a .ts file, so a tiny bootstrap registers tsx's loader
 * in the worker thread first (loader hooks are per thread).
 */
function startWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./diff-worker.js', import.meta.url));
  // require.resolve picks the CommonJS build; the ESM entry sits beside it.
  const api = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const entry = new URL('./diff-worker.ts', import.meta.url).href;
  return new Worker(
    `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`,
    {
      eval: true,
    },
  );
}
