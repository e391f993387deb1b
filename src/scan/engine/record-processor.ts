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

/** A record ready for the detectors, or what processing it already produced. */
type Prepared =
  | { done: WorkResult }
  | { done?: undefined; result: WorkResult; record: ReturnType<typeof normalizeRecord> };

/**
 * Parses and normalises one item and collects its stats; the result's `analyses` are filled in
 * later, detector by detector.
 */
function prepare(item: WorkItem, detectorCount: number, forcedShape: RecordShape | undefined): Prepared {
  const base = { index: item.index, file: item.file, line: item.line, analyses: [] };
  let value = item.value;
  const readerProblem = item.error
    ? { rule: item.errorRule ?? 'reader.malformed', message: item.error, field: null }
    : undefined;
  if (item.json === undefined && item.value === undefined)
    return { done: { ...base, malformed: readerProblem } };
  if (item.json !== undefined) {
    try {
      value = JSON.parse(item.json);
    } catch (err) {
      const msg = (err as Error).message;
      return {
        done: {
          ...base,
          malformed: {
            rule: 'reader.malformed-json',
            message: `${item.file}:${item.line}: invalid JSON: ${msg}`,
            field: null,
          },
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
      done: {
        ...base,
        malformed: {
          rule: 'reader.malformed-record',
          message: `${item.file}:${item.line}: ${err.message}`,
          field: err.field,
        },
      },
    };
  }
  const result: WorkResult = {
    ...base,
    shape: record.shape,
    stats: recordStats(record, value),
    ...(readerProblem ? { warning: readerProblem } : {}),
    analyses: new Array(detectorCount).fill(null),
  };
  return { result, record };
}

/**
 * Builds the function the workers (or the main thread, when no workers are used) run on a batch
 * of items: parse, normalise, collect stats, then every detector's `analyze`.
 *
 * The detectors run detector by detector over the batch, not record by record: each detector's
 * tables (model weights, automata, kernels' memory) then stay in cache across the batch's records
 * instead of being evicted by the other detectors between records. Results do not depend on the
 * order, since `analyze` sees one record at a time and keeps no state between records.
 */
export function createBatchProcessor(
  detectors: readonly Detector[],
  contexts: readonly DetectorContext[],
  forcedShape: RecordShape | undefined,
): (items: readonly WorkItem[]) => WorkResult[] {
  return (items) => {
    const out: WorkResult[] = new Array(items.length);
    const ready: { result: WorkResult; record: ReturnType<typeof normalizeRecord> }[] = [];
    for (let k = 0; k < items.length; k++) {
      const p = prepare(items[k] as WorkItem, detectors.length, forcedShape);
      if (p.done) out[k] = p.done;
      else {
        out[k] = p.result;
        ready.push(p);
      }
    }
    for (let i = 0; i < detectors.length; i++) {
      const d = detectors[i] as Detector;
      const ctx = contexts[i] as DetectorContext;
      for (const r of ready) r.result.analyses[i] = analyzeSafely(d, r.record, ctx);
    }
    return out;
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
export function processLineWork(
  work: LineWork,
  processItems: (items: readonly WorkItem[]) => WorkResult[],
): WorkResult[] {
  const { batch, file } = work;
  const bytes = Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.bytes.byteLength);
  const errors = new Map(batch.errors.map((e) => [e.at, e]));
  const items: WorkItem[] = new Array(batch.count);
  for (let i = 0; i < batch.count; i++) {
    const line = batch.lines[i] as number;
    const index = work.firstIndex + i;
    const start = batch.starts[i] as number;
    const dropped = errors.get(i);
    if (start < 0 || dropped) {
      items[i] = {
        file,
        line,
        index,
        error: dropped?.error ?? `line ${line} could not be read`,
        errorRule: dropped?.errorRule ?? 'reader.malformed',
      };
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
    items[i] = item;
  }
  return processItems(items);
}
