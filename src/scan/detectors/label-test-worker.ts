import { parentPort } from 'node:worker_threads';
import { type LabelTestWork, testLabelPairs } from './label-contradictions.js';

/**
 * Worker entry of `testLabelPairsThreaded`: started before the model is built, it waits for its
 * `LabelTestWork`, tests those pairs of the shared model and posts back the `LabelTestResult`
 * (caret grams deferred to the main thread, which holds their texts).
 */
parentPort?.once('message', ({ model, from, to }: LabelTestWork) => {
  parentPort?.postMessage(testLabelPairs(model, from, to));
});
