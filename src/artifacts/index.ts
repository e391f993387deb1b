/**
 * Model artifact analysis: strict safetensors/GGUF readers, the unsafe
 * serialization scanner (pickle, zip, npy), model file manifests, weight
 * deltas against a base model, LoRA adapter analysis and baselines.
 */
export { ArtifactError, type ArtifactErrorCode } from './artifact-error.js';
export { failsAt, parseFailOn, parseFormat } from './artifact-options.js';
export { type ArtifactScanOptions, type ArtifactScanResult, scanArtifact } from './artifact-scan.js';
export { type FileScanResult, scanArtifactBytes } from './containers/artifact-file-scan.js';
export { inspectChatTemplate } from './gguf/chat-template-inspect.js';
export { type GgufInfo, readGguf } from './gguf/gguf-reader.js';
export { buildModelManifest, type ModelManifest, sha256File } from './model-manifest.js';
export { classifyGlobal } from './pickle/pickle-allowlist.js';
export { type PickleScanResult, scanPickle } from './pickle/pickle-scanner.js';
export {
  readSafetensorsHeader,
  type SafetensorsHeader,
  type SafetensorsTensor,
} from './safetensors/safetensors-header.js';
export { type TensorToWrite, writeSafetensors } from './safetensors/safetensors-writer.js';
export { checkShardedIndex } from './safetensors/sharded-index.js';
export { type Checkpoint, checkpointFingerprint, openCheckpoint } from './weights/checkpoint-files.js';
export {
  type AdapterConfig,
  analyzeLora,
  type LoraModule,
  type LoraOptions,
} from './weights/lora-analysis.js';
export {
  addToBaseline,
  baselinePath,
  findBaseline,
  loadBaseline,
  robustZ,
  tunegateHome,
  type WeightsBaseline,
} from './weights/weights-baseline.js';
export {
  diffWeights,
  type TensorDelta,
  type WeightsDiffOptions,
  type WeightsDiffResult,
} from './weights/weights-diff.js';
export {
  loadWeightsPolicy,
  parseWeightsPolicy,
  type WeightsPolicy,
  WeightsPolicySchema,
} from './weights/weights-policy.js';
export { renderWeightsSummary } from './weights/weights-summary.js';
