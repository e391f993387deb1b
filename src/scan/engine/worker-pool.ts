import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../module-worker.js';
import { ScanError } from '../scan-error.js';
import type { LineWork, WorkItem, WorkResult } from './record-processor.js';
import type { WorkerSetup } from './scan-worker.js';

/**
 * Young generation of a scan worker, MB. A worker allocates a parsed record, its texts and every
 * detector's scratch per record, and keeps a batch's results until the batch is posted: with
 * V8's default nursery it spent ~1.3 s of a 210 MB all-detector scan in scavenges, half of that
 * with 64 MB (about 40 MB more memory per worker).
 */
const WORKER_YOUNG_GENERATION_MB = 64;

/** A scan worker (`scan-worker.js`, or its `.ts` source under tsx). */
function createWorker(setup: WorkerSetup): Worker {
  return startModuleWorker(import.meta.url, 'scan-worker', setup, {
    maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB,
  });
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
