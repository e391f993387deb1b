import { parentPort, workerData } from 'node:worker_threads';
import type { RecordShape } from '../dataset-record.js';
import type { Detector, DetectorContext } from '../detector.js';
import { createBatchProcessor, type LineWork, processLineWork, type WorkItem } from './record-processor.js';

/** Set-up a worker receives: which detectors, their contexts, and a forced shape. */
export interface WorkerSetup {
  detectorIds: string[];
  /** Per detector, the module exporting it when it declares one (see `Detector.module`). */
  detectorModules?: (string | undefined)[];
  contexts: DetectorContext[];
  forcedShape?: RecordShape;
}

function isDetector(v: unknown, id: string): v is Detector {
  return typeof v === 'object' && v !== null && (v as { id?: unknown }).id === id;
}

/**
 * Detectors are resolved by id here (functions cannot cross threads). When
 * every detector names its module, only those modules are imported: loading
 * the whole registry was most of a worker's start-up time.
 */
async function loadDetectors(setup: WorkerSetup): Promise<Detector[]> {
  const modules = setup.detectorModules;
  if (modules && modules.length === setup.detectorIds.length && modules.every((m) => m !== undefined)) {
    const found: Detector[] = [];
    for (let i = 0; i < modules.length; i++) {
      const id = setup.detectorIds[i] as string;
      const exports = (await import(modules[i] as string)) as Record<string, unknown>;
      const d = Object.values(exports).find((v) => isDetector(v, id));
      if (!d) break;
      found.push(d as Detector);
    }
    if (found.length === modules.length) return found;
  }
  const { resolveDetectors } = await import('../detector-registry.js');
  return resolveDetectors(setup.detectorIds);
}

// Worker entry.
const setup = workerData as WorkerSetup;
const ready = loadDetectors(setup).then((detectors) =>
  createBatchProcessor(detectors, setup.contexts, setup.forcedShape),
);
ready.catch(() => {}); // reported with the first batch
parentPort?.on('message', async (msg: { seq: number; items?: WorkItem[]; lines?: LineWork }) => {
  try {
    // Batches arrive in order and wait for the same promise, so they are processed in order.
    const processItems = await ready;
    const results = msg.lines ? processLineWork(msg.lines, processItems) : processItems(msg.items ?? []);
    parentPort?.postMessage({ seq: msg.seq, results });
  } catch (err) {
    parentPort?.postMessage({
      seq: msg.seq,
      error: err instanceof Error ? (err.stack ?? err.message) : String(err),
    });
  }
});
