import type { Finding, Severity } from '../contracts/finding.js';

/** Detector ids used by artifact and weight findings (the `detector` field). */
export type ArtifactDetector =
  | 'safetensors'
  | 'gguf'
  | 'chat-template'
  | 'pickle'
  | 'container'
  | 'manifest'
  | 'weights'
  | 'lora';

const SCORE: Record<Severity, number> = { info: 0.1, low: 0.3, medium: 0.5, high: 0.8, critical: 1 };

/** Input of {@link artifactFinding}; `file` is relative to the scanned root where there is one. */
export interface ArtifactFindingInput {
  detector: ArtifactDetector;
  rule: string;
  severity: Severity;
  file: string | null;
  message: string;
  /** JSON path, tensor name, zip member... whatever locates the problem inside the file. */
  field?: string | null;
  evidence?: Record<string, unknown>;
  score?: number;
}

/** Builds a {@link Finding} of the shared contract for an artifact-level problem. */
export function artifactFinding(input: ArtifactFindingInput): Finding {
  return {
    detector: input.detector,
    rule: `${input.detector}.${input.rule}`,
    severity: input.severity,
    record: null,
    file: input.file,
    line: null,
    field: input.field ?? null,
    message: input.message,
    evidence: input.evidence ?? {},
    score: input.score ?? SCORE[input.severity],
  };
}
