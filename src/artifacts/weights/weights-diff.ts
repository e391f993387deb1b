import { availableParallelism } from 'node:os';
import type { Finding, ScanReport } from '../../contracts/finding.js';
import { buildScanReport } from '../../scan/report/index.js';
import { artifactFinding } from '../artifact-finding.js';
import {
  type Checkpoint,
  checkpointFingerprint,
  type LocatedTensor,
  openCheckpoint,
} from './checkpoint-files.js';
import { sketchMap } from './count-sketch.js';
import { type DeltaStats, emptyStats, mergeStats } from './delta-accumulator.js';
import { analyzeDeltas, type DirectionVector, type RowDelta } from './delta-analysis.js';
import { runDiffJobs } from './diff-pool.js';
import { DIFF_DTYPES, type DiffDtype } from './float-codec.js';
import { type TensorKind, tensorRole } from './layer-names.js';
import { randomizedSvd, type Spectrum } from './randomized-svd.js';
import type { DiffJob, DiffJobResult } from './tensor-range-diff.js';
import { loadTokenizerVocab } from './tokenizer-vocab.js';
import type { WeightsBaseline } from './weights-baseline.js';
import { parseWeightsPolicy, type WeightsPolicy } from './weights-policy.js';

/** Per-tensor statistics of the delta finetuned - base. */
export interface TensorDelta {
  name: string;
  shape: number[];
  dtype: { base: string; finetuned: string };
  kind: TensorKind;
  layer: number | null;
  module: string;
  elements: number;
  base_norm: number;
  delta_norm: number;
  /** ||D||_F / ||A||_F (null when the base tensor is all zeros). */
  relative_change: number | null;
  max_abs_change: number;
  cosine: number;
  fraction_changed: number;
  non_finite: number;
  spectral?: Spectrum;
  /** Rows present only in the fine-tune (vocabulary extension), not diffed. */
  added_rows?: number;
}

/** Options of {@link diffWeights}. */
export interface WeightsDiffOptions {
  /** Worker threads (default: all cores; 0 runs in-process). */
  workers?: number;
  policy?: WeightsPolicy;
  baseline?: WeightsBaseline | null;
  /** Elements per job (row ranges of at most this many elements). */
  jobElements?: number;
}

/** Report plus the fingerprint that keys baselines. */
export interface WeightsDiffResult {
  report: ScanReport;
  baseFingerprint: string;
}

// Large enough that folding the row sketch (128 x cols per job) stays a few percent of the work.
const DEFAULT_JOB_ELEMENTS = 16 << 20;

function isDiffDtype(d: string): d is DiffDtype {
  return (DIFF_DTYPES as readonly string[]).includes(d);
}

/**
 * Diffs a fine-tuned checkpoint against its base: per-tensor statistics,
 * spectral sketches of 2-D deltas, per-row embedding/lm_head changes, layer
 * aggregates, baseline scores and findings. Tensors stream from both files in
 * cache-sized row blocks on worker threads; memory stays flat whatever the
 * model size.
 */
export async function diffWeights(
  basePath: string,
  finetunedPath: string,
  options: WeightsDiffOptions = {},
): Promise<WeightsDiffResult> {
  const startedAt = new Date();
  const policy = options.policy ?? parseWeightsPolicy({});
  const base = openCheckpoint(basePath);
  const ft = openCheckpoint(finetunedPath);
  const findings: Finding[] = [];
  const flag = (
    rule: string,
    severity: Finding['severity'],
    message: string,
    field: string | null,
    evidence?: Record<string, unknown>,
  ) =>
    findings.push(
      artifactFinding({ detector: 'weights', rule, severity, file: finetunedPath, field, message, evidence }),
    );

  const pairs = pairTensors(base, ft, flag);
  const jobElements = options.jobElements ?? DEFAULT_JOB_ELEMENTS;
  const jobs: DiffJob[] = [];
  const owner: number[] = [];
  pairs.forEach((p, i) => {
    for (let r = 0; r < p.rows; r += Math.max(1, Math.floor(jobElements / p.cols))) {
      owner.push(i);
      jobs.push({
        id: jobs.length,
        base: { path: p.a.path, begin: p.a.begin, dtype: p.a.dtype as DiffDtype },
        finetuned: { path: p.b.path, begin: p.b.begin, dtype: p.b.dtype as DiffDtype },
        rowStart: r,
        rowEnd: Math.min(p.rows, r + Math.max(1, Math.floor(jobElements / p.cols))),
        cols: p.cols,
        totalRows: p.rows,
        sketch: p.sketch,
        rowNorms: p.role.kind === 'embedding' || p.role.kind === 'lm_head',
      });
    }
  });
  const acc = pairs.map((p) => ({
    stats: emptyStats(),
    z: null as Float64Array | null,
    rowDeltaSq: p.role.kind === 'embedding' || p.role.kind === 'lm_head' ? new Float64Array(p.rows) : null,
    rowBaseSq: p.role.kind === 'embedding' || p.role.kind === 'lm_head' ? new Float64Array(p.rows) : null,
  }));
  const workers = options.workers ?? availableParallelism();
  await runDiffJobs(jobs, workers, (r: DiffJobResult) => {
    const i = owner[r.id] as number;
    const a = acc[i];
    const job = jobs[r.id];
    if (!a || !job) return;
    mergeStats(a.stats, r.stats);
    if (r.z) {
      if (!a.z) a.z = r.z;
      else for (let k = 0; k < r.z.length; k++) a.z[k] = (a.z[k] as number) + (r.z[k] as number);
    }
    if (r.rowDeltaSq && a.rowDeltaSq) a.rowDeltaSq.set(r.rowDeltaSq, job.rowStart);
    if (r.rowBaseSq && a.rowBaseSq) a.rowBaseSq.set(r.rowBaseSq, job.rowStart);
  });

  const tensors: TensorDelta[] = [];
  const directions: DirectionVector[] = [];
  const rowDeltas: RowDelta[] = [];
  pairs.forEach((p, i) => {
    const a = acc[i];
    if (!a) return;
    const t = tensorDelta(p, a.stats);
    if (a.z && p.sketch) {
      const rm = sketchMap(p.rows);
      const cm = sketchMap(p.cols);
      const svd = randomizedSvd(a.z, rm.size, cm.size);
      t.spectral = svd.spectrum;
      directions.push({
        tensor: p.name,
        layer: p.role.layer,
        space: p.rows,
        vector: svd.u1,
        energy: svd.spectrum.top1_energy,
      });
      directions.push({
        tensor: p.name,
        layer: p.role.layer,
        space: p.cols,
        vector: svd.v1,
        energy: svd.spectrum.top1_energy,
      });
    }
    if (a.rowDeltaSq && a.rowBaseSq)
      rowDeltas.push({
        tensor: p.name,
        kind: p.role.kind,
        deltaSq: a.rowDeltaSq,
        baseSq: a.rowBaseSq,
        addedRows: p.addedRows,
      });
    tensors.push(t);
  });

  const vocab = loadTokenizerVocab([ft.dir, base.dir]);
  const analysis = analyzeDeltas({
    tensors,
    directions,
    rowDeltas,
    vocab,
    policy,
    baseline: options.baseline ?? null,
    flag,
  });
  const baseFingerprint = checkpointFingerprint(base);
  const report = buildScanReport({
    kind: 'weights',
    subject: {
      path: finetunedPath,
      base: basePath,
      finetuned: finetunedPath,
      base_fingerprint: baseFingerprint,
      tensors_compared: tensors.length,
      totals: analysis.totals,
      layers: analysis.layers,
      groups: analysis.groups,
      embedding_rows: analysis.embeddingRows,
      ...(analysis.baseline ? { baseline: analysis.baseline } : {}),
      tensors,
    },
    records: tensors.length,
    findings,
    startedAt,
  });
  return { report, baseFingerprint };
}

interface TensorPair {
  name: string;
  a: LocatedTensor;
  b: LocatedTensor;
  rows: number;
  cols: number;
  sketch: boolean;
  role: ReturnType<typeof tensorRole>;
  addedRows: number;
}

/** Pairs tensors by name and reports structural differences. */
function pairTensors(
  base: Checkpoint,
  ft: Checkpoint,
  flag: (
    rule: string,
    severity: Finding['severity'],
    message: string,
    field: string | null,
    evidence?: Record<string, unknown>,
  ) => void,
): TensorPair[] {
  const pairs: TensorPair[] = [];
  const added = [...ft.tensors.keys()].filter((n) => !base.tensors.has(n)).sort();
  const removed = [...base.tensors.keys()].filter((n) => !ft.tensors.has(n)).sort();
  if (added.length > 0)
    flag(
      'tensor_added',
      'high',
      `${added.length} tensor(s) exist only in the fine-tune (new modules): ${added.slice(0, 5).join(', ')}${added.length > 5 ? ', ...' : ''}`,
      added[0] ?? null,
      { tensors: added.slice(0, 50) },
    );
  if (removed.length > 0)
    flag(
      'tensor_removed',
      'high',
      `${removed.length} tensor(s) of the base are missing from the fine-tune: ${removed.slice(0, 5).join(', ')}${removed.length > 5 ? ', ...' : ''}`,
      removed[0] ?? null,
      { tensors: removed.slice(0, 50) },
    );
  for (const [name, b] of [...ft.tensors].sort(([x], [y]) => (x < y ? -1 : 1))) {
    const a = base.tensors.get(name);
    if (!a) continue;
    const role = tensorRole(name);
    if (!isDiffDtype(a.dtype) || !isDiffDtype(b.dtype)) {
      if (a.dtype !== b.dtype)
        flag('dtype_mismatch', 'medium', `${name}: dtype ${a.dtype} -> ${b.dtype} (not compared)`, name);
      continue;
    }
    if (a.dtype !== b.dtype) flag('dtype_changed', 'low', `${name}: dtype ${a.dtype} -> ${b.dtype}`, name);
    const sameTail = a.shape.slice(1).join(',') === b.shape.slice(1).join(',');
    let addedRows = 0;
    if (a.shape.join(',') !== b.shape.join(',')) {
      const extended =
        (role.kind === 'embedding' || role.kind === 'lm_head') &&
        sameTail &&
        (b.shape[0] ?? 0) > (a.shape[0] ?? 0);
      if (!extended) {
        flag(
          'shape_mismatch',
          'high',
          `${name}: shape ${JSON.stringify(a.shape)} -> ${JSON.stringify(b.shape)}`,
          name,
        );
        continue;
      }
      addedRows = (b.shape[0] ?? 0) - (a.shape[0] ?? 0);
      flag(
        'vocabulary_extended',
        'medium',
        `${name}: ${addedRows} row(s) added (new tokens); their values are not compared`,
        name,
        { added_rows: addedRows },
      );
    }
    const shape = a.shape;
    const elements = shape.reduce((x, y) => x * y, 1);
    if (elements === 0) continue;
    const rows = shape.length >= 2 ? (shape[0] as number) : 1;
    const cols = elements / rows;
    pairs.push({
      name,
      a,
      b,
      rows,
      cols,
      sketch: shape.length === 2 && rows >= 2 && cols >= 2,
      role,
      addedRows,
    });
  }
  return pairs;
}

function tensorDelta(p: TensorPair, s: DeltaStats): TensorDelta {
  const baseNorm = Math.sqrt(s.sumA2);
  const deltaNorm = Math.sqrt(s.sumD2);
  const dot = s.sumA2 + s.sumAD;
  const ftNorm = Math.sqrt(Math.max(0, s.sumA2 + 2 * s.sumAD + s.sumD2));
  return {
    name: p.name,
    shape: p.b.shape,
    dtype: { base: p.a.dtype, finetuned: p.b.dtype },
    kind: p.role.kind,
    layer: p.role.layer,
    module: p.role.module,
    elements: s.count,
    base_norm: baseNorm,
    delta_norm: deltaNorm,
    relative_change: baseNorm > 0 ? deltaNorm / baseNorm : deltaNorm > 0 ? null : 0,
    max_abs_change: s.maxAbs,
    cosine: baseNorm > 0 && ftNorm > 0 ? dot / (baseNorm * ftNorm) : 1,
    fraction_changed: s.count > 0 ? s.changed / s.count : 0,
    non_finite: s.nonFinite,
    ...(p.addedRows > 0 ? { added_rows: p.addedRows } : {}),
  };
}
