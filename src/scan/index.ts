/**
 * Dataset scanning: readers, the streaming engine, detectors and reports.
 * Library entry for `tunegate scan` / `tunegate dataset manifest`.
 */
export { writeFileAtomic } from './atomic-write.js';
export type { ChatTurn, DatasetRecord, RecordShape, TextField } from './dataset-record.js';
export type {
  Aggregator,
  Detector,
  DetectorContext,
  FindingDraft,
  RecordAnalysis,
  RecordRef,
} from './detector.js';
export { allDetectors, resolveDetectors } from './detector-registry.js';
export { datasetDigest, sha256File } from './engine/file-digest.js';
export { formatProgress } from './engine/progress.js';
export {
  reportFailsAt,
  type ScannedFile,
  type ScanOptions,
  type ScanProgress,
  type ScanResult,
  scanDataset,
} from './engine/scan-engine.js';
export {
  checkManifest,
  datasetManifest,
  loadManifest,
  type ManifestCheck,
  type ManifestFacts,
} from './manifest/dataset-manifest-check.js';
export { normalizeRecord, RECORD_SHAPES } from './record-normalizer.js';
export * from './report/index.js';
export { loadScanConfig, parseSeverity, type ScanConfig, ScanConfigSchema } from './scan-config.js';
export { ScanError, type ScanErrorCode } from './scan-error.js';
