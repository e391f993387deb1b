import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ScanError } from '../scan-error.js';
import type { LineWork, WorkItem, WorkResult } from './record-processor.js';
import type { WorkerSetup } from './scan-worker.js';

/**
 * The worker script next to this module: `scan-worker.js` in the built
 * package. When running from TypeScript sources (tests, `tsx`), Node 20 does
 * not pass tsx's loader to workers, so a tiny bootstrap registers tsx in the
 * worker and then imports the `.ts` entry (tsx is then necessarily installed).
 */
function createWorker(setup: WorkerSetup): Worker {
  const js = new URL('./scan-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return new Worker(js, { workerData: setup });
  const require = createRequire(import.meta.url);
  // require.resolve gives the CommonJS build; the ESM build sits beside it.
  const tsxApi = pathToFileURL(require.resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const entry = new URL('./scan-worker.ts', import.meta.url).href;
  const bootstrap = `(async () => { const { register } = await import(${JSON.stringify(tsxApi)}); register(); await import(${JSON.stringify(entry)}); })().catch((e) => { throw e; });`;
  return new Worker(bootstrap, { eval: true, workerData: setup });
}

interface Pending {
  resolve: (r: WorkResult[]) => void;
  reject: (e: Error) => void;
}

/** A fixed pool of worker threads that process batches of records. */
export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly load: number[] = [];
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private failed: Error | undefined;

  constructor(size: number, setup: WorkerSetup) {
    for (let i = 0; i < size; i++) {
      const w = createWorker(setup);
      w.on('message', (msg: { seq: number; results?: WorkResult[]; error?: string }) => {
        const p = this.pending.get(msg.seq);
        this.pending.delete(msg.seq);
        this.load[i] = (this.load[i] ?? 1) - 1;
        if (!p) return;
        if (msg.error) p.reject(new ScanError('scan.worker_failed', `scan worker failed: ${msg.error}`));
        else p.resolve(msg.results ?? []);
      });
      w.on('error', (err) => this.fail(err));
      w.on('exit', (code) => {
        if (code !== 0 && !this.closing) this.fail(new Error(`scan worker exited with code ${code}`));
      });
      this.workers.push(w);
      this.load.push(0);
    }
  }

  private closing = false;

  private fail(err: Error): void {
    this.failed = new ScanError('scan.worker_failed', `scan worker failed: ${err.message}`, { cause: err });
    for (const p of this.pending.values()) p.reject(this.failed);
    this.pending.clear();
  }

  /** Batches in flight across all workers. */
  get inFlight(): number {
    return this.pending.size;
  }

  /**
   * Sends a batch to the least-loaded worker: records, or raw lines whose
   * bytes are transferred (not copied) to the worker.
   */
  run(work: WorkItem[] | LineWork): Promise<WorkResult[]> {
    if (this.failed) return Promise.reject(this.failed);
    let best = 0;
    for (let i = 1; i < this.load.length; i++) if ((this.load[i] ?? 0) < (this.load[best] ?? 0)) best = i;
    const seq = this.seq++;
    this.load[best] = (this.load[best] ?? 0) + 1;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      if (Array.isArray(work)) this.workers[best]?.postMessage({ seq, items: work });
      else this.workers[best]?.postMessage({ seq, lines: work }, [work.batch.bytes.buffer as ArrayBuffer]);
    });
  }

  /** Stops every worker (also on abort: no thread outlives the scan). */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
