import { parentPort, workerData } from 'node:worker_threads';
import type { RecordShape } from '../dataset-record.js';
import type { DetectorContext } from '../detector.js';
import { resolveDetectors } from '../detector-registry.js';
import { createRecordProcessor, type WorkItem } from './record-processor.js';

/** Set-up a worker receives: which detectors, their contexts, and a forced shape. */
export interface WorkerSetup {
  detectorIds: string[];
  contexts: DetectorContext[];
  forcedShape?: RecordShape;
}

// Worker entry: detectors are resolved by id here (functions cannot cross threads).
const setup = workerData as WorkerSetup;
const processItem = createRecordProcessor(
  resolveDetectors(setup.detectorIds),
  setup.contexts,
  setup.forcedShape,
);
parentPort?.on('message', (msg: { seq: number; items: WorkItem[] }) => {
  try {
    parentPort?.postMessage({ seq: msg.seq, results: msg.items.map(processItem) });
  } catch (err) {
    parentPort?.postMessage({
      seq: msg.seq,
      error: err instanceof Error ? (err.stack ?? err.message) : String(err),
    });
  }
});
