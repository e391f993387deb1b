import { availableParallelism } from 'node:os';
import type { Finding, ScanReport, Severity } from '../../contracts/finding.js';
import { severityRank } from '../../contracts/finding.js';
import type { RecordShape } from '../dataset-record.js';
import type { Aggregator, Detector, DetectorContext, FindingDraft } from '../detector.js';
import { resolveDetectors } from '../detector-registry.js';
import { listDatasetFiles } from '../readers/dataset-files.js';
import { type FileNotice, readDatasetBatches } from '../readers/dataset-reader.js';
import { DEFAULT_LIMITS, type InputFormat, type ReaderLimits } from '../readers/raw-record.js';
import { buildScanReport } from '../report/build-report.js';
import { ScanError } from '../scan-error.js';
import { DatasetStatsCollector } from './dataset-stats.js';
import { datasetDigest, sha256File } from './file-digest.js';
import {
  createBatchProcessor,
  type LineWork,
  processLineWork,
  type WorkItem,
  type WorkResult,
} from './record-processor.js';
import { WorkerPool } from './worker-pool.js';

/** Progress of a running scan (for a progress bar). */
export interface ScanProgress {
  bytesRead: number;
  totalBytes: number;
  records: number;
  elapsedMs: number;
}

/** Options of {@link scanDataset}. */
export interface ScanOptions {
  /** Detector ids to run; all registered detectors when empty. */
  detectors?: readonly string[];
  /** Per-detector options keyed by detector id (validated by each detector up front). */
  detectorOptions?: Record<string, Record<string, unknown>>;
  /** Force a record shape instead of detecting it per record. */
  shape?: RecordShape;
  /** Fail on the first malformed record or unreadable file (`scan.malformed_input`). */
  strict?: boolean;
  seed?: number;
  /** Worker threads; 0 runs detectors on the calling thread. Default: available cores (max 8). */
  workers?: number;
  limits?: ReaderLimits;
  signal?: AbortSignal;
  onProgress?: (p: ScanProgress) => void;
  /** Records per worker batch. */
  batchSize?: number;
}

/** One scanned file. */
export interface ScannedFile {
  path: string;
  sha256: string;
  bytes: number;
  records: number;
  format?: string;
}

/** The outcome of a scan: the report plus what the manifest command needs. */
export interface ScanResult {
  report: ScanReport;
  files: ScannedFile[];
  digest: string;
  records: number;
  stats: Record<string, unknown>;
}

function toFinding(d: FindingDraft, fallback?: { index: number; file: string; line: number }): Finding {
  return {
    detector: d.detector,
    ...(d.rule !== undefined ? { rule: d.rule } : {}),
    severity: d.severity,
    record: d.record !== undefined ? d.record : (fallback?.index ?? null),
    file: d.file !== undefined ? d.file : (fallback?.file ?? null),
    line: d.line !== undefined ? d.line : (fallback?.line ?? null),
    field: d.field ?? null,
    message: d.message,
    evidence: d.evidence ?? {},
    score: Math.min(1, Math.max(0, Number.isFinite(d.score) ? d.score : 0)),
  };
}

/** True when some finding is at or above `failOn` (the CLI then exits 1). */
export function reportFailsAt(report: ScanReport, failOn: Severity): boolean {
  const min = severityRank(failOn);
  return report.findings.some((f) => severityRank(f.severity) >= min);
}

/** Validates detector options before any reading starts; returns one context per detector. */
export function configureDetectors(detectors: readonly Detector[], options: ScanOptions): DetectorContext[] {
  const known = new Set(detectors.map((d) => d.id));
  for (const id of Object.keys(options.detectorOptions ?? {})) {
    if (!known.has(id) && !resolveDetectors().some((d) => d.id === id)) {
      throw new ScanError('scan.invalid_config', `options given for unknown detector "${id}"`);
    }
  }
  return detectors.map((d) => {
    const ctx: DetectorContext = {
      options: options.detectorOptions?.[d.id] ?? {},
      seed: options.seed ?? 1,
      ...(options.shape ? { shape: options.shape } : {}),
    };
    d.configure?.(ctx);
    return ctx;
  });
}

/**
 * Scans a dataset (a file or a directory of files): streams records in
 * dataset order, runs every detector's `analyze` on worker threads in
 * batches, feeds observations to the aggregators on this thread in order, and
 * returns the report with file digests and statistics. Never loads a whole
 * file; memory is bounded by batches in flight plus aggregator state.
 */
export async function scanDataset(path: string, options: ScanOptions = {}): Promise<ScanResult> {
  const startedAt = new Date();
  const t0 = Date.now();
  const detectors = resolveDetectors(options.detectors);
  const contexts = configureDetectors(detectors, options);
  const aggregators: (Aggregator<unknown> | undefined)[] = detectors.map((d, i) =>
    d.createAggregator?.(contexts[i] as DetectorContext),
  );
  const listing = await listDatasetFiles(path);
  const limits = options.limits ?? DEFAULT_LIMITS;
  const totalBytes = listing.files.reduce((s, f) => s + f.bytes, 0);
  const digests = listing.files.map((f) => sha256File(f.path));
  // Avoid unhandled rejections if we abort before awaiting them.
  for (const d of digests) d.catch(() => {});
  const findings: Finding[] = [];
  const stats = new DatasetStatsCollector();
  const perFile = new Map<string, { records: number; format?: InputFormat }>();
  let bytesRead = 0;
  let lastProgress = 0;
  const progress = () => {
    const now = Date.now();
    if (options.onProgress && now - lastProgress > 100) {
      lastProgress = now;
      options.onProgress({ bytesRead, totalBytes, records: stats.records, elapsedMs: now - t0 });
    }
  };

  const strictFail = (message: string) => {
    throw new ScanError('scan.malformed_input', `${message} (--strict)`);
  };
  const onNotice = (n: FileNotice) => {
    if (options.strict && n.fatal) strictFail(n.message);
    findings.push({
      detector: 'reader',
      rule: n.rule,
      severity: n.severity,
      record: null,
      file: n.file,
      line: null,
      field: null,
      message: n.message,
      evidence: {},
      score: n.severity === 'info' ? 0.1 : 0.5,
    });
  };
  if (listing.skipped.length > 0) {
    findings.push({
      detector: 'reader',
      rule: 'reader.skipped-files',
      severity: 'info',
      record: null,
      file: null,
      line: null,
      field: null,
      message: `${listing.skipped.length} file(s) in the dataset directory are not data and were skipped: ${listing.skipped.slice(0, 5).join(', ')}${listing.skipped.length > 5 ? ', …' : ''}`,
      evidence: { skipped: listing.skipped.slice(0, 100) },
      score: 0,
    });
  }

  const handle = (r: WorkResult) => {
    const fileStats = perFile.get(r.file);
    if (r.malformed) {
      if (options.strict) strictFail(r.malformed.message);
      stats.malformed += 1;
      findings.push({
        detector: 'reader',
        rule: r.malformed.rule,
        severity: 'medium',
        record: r.index,
        file: r.file,
        line: r.line,
        field: r.malformed.field,
        message: r.malformed.message,
        evidence: {},
        score: 0.5,
      });
      return;
    }
    if (r.warning) {
      if (options.strict) strictFail(r.warning.message);
      findings.push({
        detector: 'reader',
        rule: r.warning.rule,
        severity: 'low',
        record: r.index,
        file: r.file,
        line: r.line,
        field: null,
        message: `${r.file}:${r.line}: ${r.warning.message}`,
        evidence: {},
        score: 0.3,
      });
    }
    if (fileStats) fileStats.records += 1;
    if (r.stats) stats.add(r.stats, r.shape ?? 'text');
    const ref = { index: r.index, file: r.file, line: r.line };
    for (let i = 0; i < detectors.length; i++) {
      const a = r.analyses[i];
      if (!a) continue;
      if (a.findings) for (const d of a.findings) findings.push(toFinding(d, ref));
      const agg = aggregators[i];
      if (agg && a.observation !== undefined) agg.add(ref, a.observation);
    }
  };

  const workers = options.workers ?? Math.min(8, availableParallelism());
  const setup = {
    detectorIds: detectors.map((d) => d.id),
    detectorModules: detectors.map((d) => d.module),
    contexts,
    ...(options.shape ? { forcedShape: options.shape } : {}),
  };
  const pool = workers > 0 ? new WorkerPool(workers, setup) : undefined;
  const inline = pool ? undefined : createBatchProcessor(detectors, contexts, options.shape);
  const batchSize = options.batchSize ?? 64;
  const maxInFlight = Math.max(2, workers * 3);
  const queue: Promise<WorkResult[]>[] = [];
  let index = 0;

  const checkAbort = () => {
    if (options.signal?.aborted) throw new ScanError('scan.aborted', 'scan interrupted');
  };
  const submit = async (work: WorkItem[] | LineWork) => {
    if (inline) {
      const results = Array.isArray(work) ? inline(work) : processLineWork(work, inline);
      for (const r of results) handle(r);
      return;
    }
    const pending = (pool as WorkerPool).run(work);
    pending.catch(() => {}); // awaited below in order; this only stops an early rejection being "unhandled"
    queue.push(pending);
    // Results are consumed strictly in submission order, so aggregators see dataset order.
    while (queue.length >= maxInFlight)
      for (const r of await (queue.shift() as Promise<WorkResult[]>)) handle(r);
  };

  try {
    for (const file of listing.files) {
      perFile.set(file.relPath, { records: 0 });
      const batches = readDatasetBatches(file, {
        limits,
        batchRecords: batchSize,
        ...(options.batchSize !== undefined ? { batchLines: options.batchSize } : {}),
        onNotice,
        onFormat: (_f, format) => {
          const s = perFile.get(file.relPath);
          if (s) s.format = format;
        },
        onBytes: (n) => {
          bytesRead += n;
        },
      });
      for await (const piece of batches) {
        checkAbort();
        if (piece.kind === 'lines') {
          const work: LineWork = {
            file: file.relPath,
            format: piece.format,
            firstIndex: index,
            batch: piece.batch,
          };
          index += piece.batch.count;
          await submit(work);
        } else {
          await submit(piece.records.map((r) => ({ ...r, index: index++ })));
        }
        progress();
      }
    }
    while (queue.length > 0) {
      checkAbort();
      for (const r of await (queue.shift() as Promise<WorkResult[]>)) handle(r);
      progress();
    }
  } finally {
    await pool?.close();
  }
  checkAbort();

  const detectorSummaries: Record<string, unknown> = {};
  let outlierMap: unknown;
  for (let i = 0; i < detectors.length; i++) {
    const agg = aggregators[i];
    if (!agg) continue;
    const drafts = await agg.finish();
    for (const d of drafts) findings.push(toFinding(d));
    const summary = agg.summary?.();
    if (summary) {
      const { outlier_map, ...rest } = summary;
      if (outlier_map) outlierMap = outlier_map;
      detectorSummaries[(detectors[i] as Detector).id] = rest;
    }
  }
  findings.sort((a, b) => (a.record ?? Number.MAX_SAFE_INTEGER) - (b.record ?? Number.MAX_SAFE_INTEGER));

  const hashes = await Promise.all(digests);
  const files: ScannedFile[] = listing.files.map((f, i) => ({
    path: f.relPath,
    sha256: hashes[i] as string,
    bytes: f.bytes,
    records: perFile.get(f.relPath)?.records ?? 0,
    ...(perFile.get(f.relPath)?.format ? { format: perFile.get(f.relPath)?.format } : {}),
  }));
  const digest = datasetDigest(files);
  const dupSummary = detectorSummaries['exact-duplicate'] as { duplicates?: number } | undefined;
  const statSummary = {
    ...stats.summary(),
    ...(dupSummary?.duplicates !== undefined && stats.records > 0
      ? { duplicate_rate: Math.round((dupSummary.duplicates / stats.records) * 1e4) / 1e4 }
      : {}),
  };
  options.onProgress?.({
    bytesRead: totalBytes,
    totalBytes,
    records: stats.records,
    elapsedMs: Date.now() - t0,
  });
  const report = buildScanReport({
    kind: 'dataset',
    subject: {
      path,
      digest,
      records: stats.records,
      files: files.length,
      bytes: totalBytes,
      detectors: detectors.map((d) => d.id),
      stats: statSummary,
      ...(Object.keys(detectorSummaries).length > 0 ? { detector_summaries: detectorSummaries } : {}),
      charts: {
        length_histogram: stats.lengths.histogram(),
        ...(outlierMap ? { outlier_map: outlierMap } : {}),
      },
    },
    records: stats.records,
    findings,
    startedAt,
  });
  return { report, files, digest, records: stats.records, stats: statSummary };
}
