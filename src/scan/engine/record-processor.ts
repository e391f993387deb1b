import { isUtf8 } from 'node:buffer';
import type { RecordShape } from '../dataset-record.js';
import type { Detector, DetectorContext, FindingDraft } from '../detector.js';
import type { LineBatch } from '../readers/line-batches.js';
import type { RawRecord } from '../readers/raw-record.js';
import { MalformedRecord, normalizeRecord } from '../record-normalizer.js';
import { type RecordStats, recordStats } from './dataset-stats.js';

/** A raw record with its dataset index, as sent to a worker. */
export interface WorkItem extends RawRecord {
  index: number;
}

/** A reader or parse problem with one record. */
export interface RecordProblem {
  rule: string;
  message: string;
  field: string | null;
}

/** What processing one record produced. */
export interface WorkResult {
  index: number;
  file: string;
  line: number;
  shape?: RecordShape;
  stats?: RecordStats;
  /** The record could not be used at all. */
  malformed?: RecordProblem;
  /** The record was used but had a problem (e.g. invalid UTF-8 replaced). */
  warning?: RecordProblem;
  /** Per detector (same order as the detector list): findings and observation. */
  analyses: ({ findings?: FindingDraft[]; observation?: unknown } | null)[];
}

/** Detector failures are findings, not crashes: one bad detector must not sink a scan. */
function analyzeSafely(
  d: Detector,
  record: Parameters<NonNullable<Detector['analyze']>>[0],
  ctx: DetectorContext,
) {
  try {
    return d.analyze?.(record, ctx) ?? null;
  } catch (err) {
    return {
      findings: [
        {
          detector: d.id,
          rule: `${d.id}.error`,
          severity: 'info' as const,
          message: `detector ${d.id} failed on this record: ${err instanceof Error ? err.message : String(err)}`,
          score: 0,
        },
      ],
    };
  }
}

/**
 * Builds the per-record function the workers (or the main thread, when no
 * workers are used) run: parse, normalise, collect stats, run every
 * detector's `analyze`.
 */
export function createRecordProcessor(
  detectors: readonly Detector[],
  contexts: readonly DetectorContext[],
  forcedShape: RecordShape | undefined,
): (item: WorkItem) => WorkResult {
  return (item) => {
    const base = { index: item.index, file: item.file, line: item.line, analyses: [] };
    let value = item.value;
    const readerProblem = item.error
      ? { rule: item.errorRule ?? 'reader.malformed', message: item.error, field: null }
      : undefined;
    if (item.json === undefined && item.value === undefined) return { ...base, malformed: readerProblem };
    if (item.json !== undefined) {
      try {
        value = JSON.parse(item.json);
      } catch (err) {
        const msg = (err as Error).message;
        return {
          ...base,
          malformed: {
            rule: 'reader.malformed-json',
            message: `${item.file}:${item.line}: invalid JSON: ${msg}`,
            field: null,
          },
        };
      }
    }
    let record: ReturnType<typeof normalizeRecord>;
    try {
      record = normalizeRecord(value, item, forcedShape);
    } catch (err) {
      if (!(err instanceof MalformedRecord)) throw err;
      return {
        ...base,
        malformed: {
          rule: 'reader.malformed-record',
          message: `${item.file}:${item.line}: ${err.message}`,
          field: err.field,
        },
      };
    }
    const analyses = detectors.map((d, i) => analyzeSafely(d, record, contexts[i] as DetectorContext));
    return {
      ...base,
      shape: record.shape,
      stats: recordStats(record, value),
      ...(readerProblem ? { warning: readerProblem } : {}),
      analyses,
    };
  };
}

/** A batch of raw lines of one file, with the dataset index of its first line. */
export interface LineWork {
  file: string;
  format: 'jsonl' | 'text';
  firstIndex: number;
  batch: LineBatch;
}

/**
 * Decodes the lines of a batch (UTF-8 checked on the bytes, so a bad byte is
 * reported with its line) and processes each as a record.
 */
export function processLineWork(work: LineWork, processItem: (item: WorkItem) => WorkResult): WorkResult[] {
  const { batch, file } = work;
  const bytes = Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.bytes.byteLength);
  const errors = new Map(batch.errors.map((e) => [e.at, e]));
  const out: WorkResult[] = new Array(batch.count);
  for (let i = 0; i < batch.count; i++) {
    const line = batch.lines[i] as number;
    const index = work.firstIndex + i;
    const start = batch.starts[i] as number;
    const dropped = errors.get(i);
    if (start < 0 || dropped) {
      out[i] = processItem({
        file,
        line,
        index,
        error: dropped?.error ?? `line ${line} could not be read`,
        errorRule: dropped?.errorRule ?? 'reader.malformed',
      });
      continue;
    }
    const end = batch.ends[i] as number;
    const text = bytes.toString('utf8', start, end);
    const valid = isUtf8(bytes.subarray(start, end));
    const item: WorkItem =
      work.format === 'jsonl' ? { file, line, index, json: text } : { file, line, index, value: text };
    if (!valid) {
      item.error = `line ${line} is not valid UTF-8 (invalid bytes replaced by U+FFFD)`;
      item.errorRule = 'reader.invalid-utf8';
    }
    out[i] = processItem(item);
  }
  return out;
}
