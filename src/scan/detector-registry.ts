import type { Detector } from './detector.js';
import { contentDetectors } from './detectors/content-detectors.js';
import { embeddingOutlierDetector } from './detectors/embedding-outlier.js';
import { exactDuplicateDetector } from './detectors/exact-duplicate.js';
import { labelConsistencyDetector } from './detectors/label-consistency.js';
import { nearDuplicateDetector } from './detectors/near-duplicate.js';
import { ScanError } from './scan-error.js';

/** Statistical detectors of the scan engine (duplicates, label consistency, outliers). */
const statisticalDetectors: readonly Detector[] = [
  exactDuplicateDetector,
  nearDuplicateDetector,
  labelConsistencyDetector,
  embeddingOutlierDetector,
] as Detector[];

/** Every built-in detector: statistical ones first, then the content detectors. */
export function allDetectors(): Detector[] {
  return [...statisticalDetectors, ...contentDetectors] as Detector[];
}

/**
 * The detectors to run: all of them when `ids` is empty or undefined, else the
 * named ones in the given order. Unknown ids fail with `scan.unknown_detector`
 * listing what is available.
 */
export function resolveDetectors(ids?: readonly string[]): Detector[] {
  const all = allDetectors();
  if (!ids || ids.length === 0) return all;
  const byId = new Map(all.map((d) => [d.id, d]));
  const unknown = ids.filter((id) => !byId.has(id));
  if (unknown.length > 0) {
    throw new ScanError(
      'scan.unknown_detector',
      `unknown detector${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `"${u}"`).join(', ')}; available: ${all.map((d) => d.id).join(', ')}`,
      { details: { unknown, available: all.map((d) => d.id) } },
    );
  }
  return [...new Set(ids)].map((id) => byId.get(id) as Detector);
}
