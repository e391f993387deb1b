import type { Finding, Severity } from '../contracts/finding.js';
import type { DatasetRecord, RecordShape } from './dataset-record.js';

/**
 * Where a finding points. Detectors fill `detector`, `severity`, `message`,
 * `score`, `evidence` and optionally `rule`/`field`; the engine fills the
 * location from the record unless the detector sets it.
 */
export type FindingDraft = Omit<Finding, 'record' | 'file' | 'line' | 'field' | 'evidence'> & {
  record?: number | null;
  file?: string | null;
  line?: number | null;
  field?: string | null;
  evidence?: Record<string, unknown>;
};

/** Settings a detector receives (from `--config scan.yaml`, keyed by detector id). */
export interface DetectorContext {
  /** This detector's own options; unknown keys must be rejected by the detector. */
  options: Record<string, unknown>;
  /** The dominant record shape of the dataset, when known before the scan. */
  shape?: RecordShape;
  /** Seed for anything random, so scans are reproducible. */
  seed: number;
}

/**
 * Per-record result: findings about this record alone, and an optional compact,
 * structured-clone-able observation that the aggregator receives in dataset order.
 */
export interface RecordAnalysis<O> {
  findings?: FindingDraft[];
  observation?: O;
}

/** Dataset-level state; runs on the main thread, sees observations in dataset order. */
export interface Aggregator<O> {
  add(record: RecordRef, observation: O): void;
  /** Called once after the last record; returns dataset-level and cross-record findings. */
  finish(): FindingDraft[] | Promise<FindingDraft[]>;
  /**
   * Optional dataset-level facts for the report (called after `finish`), kept
   * under `report.dataset.detectors[id]`; an `outlier_map` array feeds the
   * HTML report's outlier chart.
   */
  summary?(): Record<string, unknown>;
}

/** The location of a record, kept by aggregators instead of the whole record. */
export interface RecordRef {
  index: number;
  file: string;
  line: number;
}

/**
 * A scan detector. `analyze` must be pure and fast: the engine runs it in worker
 * threads on batches of records (so a detector module must be importable in a
 * worker and hold no shared mutable state). Cross-record logic (duplicates,
 * label consistency, outliers, trigger mining) lives in the aggregator.
 */
export interface Detector<O = unknown> {
  /** Kebab-case id used in `--detectors` and in findings, e.g. `near-duplicate`. */
  readonly id: string;
  readonly description: string;
  /** Severity of this detector's typical finding, for documentation and SARIF rule defaults. */
  readonly defaultSeverity: Severity;
  /**
   * Optional URL of the module that exports this detector (`import.meta.url`).
   * Worker threads then import only the modules of the detectors they run
   * instead of every registered detector, which makes starting them cheaper.
   */
  readonly module?: string;
  /** Validates options up front (throws ScanError 'scan.invalid_config' naming the field). */
  configure?(ctx: DetectorContext): void;
  analyze?(record: DatasetRecord, ctx: DetectorContext): RecordAnalysis<O> | undefined;
  createAggregator?(ctx: DetectorContext): Aggregator<O>;
}
