import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Finding, ScanReport } from '../../contracts/finding.js';
import { writeFileAtomic } from '../../scan/atomic-write.js';
import { ArtifactError } from '../artifact-error.js';
import type { LayerDelta } from './delta-analysis.js';
import type { WeightsPolicy } from './weights-policy.js';

/**
 * Baselines: per-layer statistics of approved fine-tunes of one base model,
 * kept as JSON under `$TUNEGATE_HOME/baselines/<base fingerprint>.json`.
 * Later diffs score each layer with a robust z (median/MAD) against them.
 */
export const BaselineEntrySchema = z
  .object({
    added_at: z.string(),
    finetuned: z.string(),
    total_relative_change: z.number(),
    layers: z.record(
      z.string(),
      z.object({ relative_change: z.number(), energy_share: z.number() }).strict(),
    ),
  })
  .strict();

export const WeightsBaselineSchema = z
  .object({
    schema: z.literal('tunegate.weights-baseline/v1'),
    base_fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
    fine_tunes: z.array(BaselineEntrySchema),
  })
  .strict();
export type WeightsBaseline = z.output<typeof WeightsBaselineSchema>;

/** Median, MAD and a scorer `(x - median) / (1.4826 * MAD)`, with a floor on MAD so near-identical samples do not explode. */
export function robustZ(values: ArrayLike<number>): {
  median: number;
  mad: number;
  score: (x: number) => number;
} {
  const sorted = Float64Array.from(values).sort();
  const med = medianOf(sorted);
  const dev = Float64Array.from(sorted, (v) => Math.abs(v - med)).sort();
  const mad = medianOf(dev);
  const scale = 1.4826 * Math.max(mad, Math.abs(med) * 0.05, 1e-12);
  return { median: med, mad, score: (x) => (x - med) / scale };
}

function medianOf(sorted: Float64Array): number {
  const n = sorted.length;
  if (n === 0) return 0;
  return n % 2
    ? (sorted[(n - 1) / 2] as number)
    : ((sorted[n / 2 - 1] as number) + (sorted[n / 2] as number)) / 2;
}

/** Baseline comparison summary added to a diff report. */
export interface BaselineScore {
  base_fingerprint: string;
  fine_tunes: number;
  total: { value: number; robust_z: number | null };
  layers: { layer: number; relative_change: number; robust_z: number | null; safety_critical: boolean }[];
}

/** Scores per-layer relative change against a baseline and flags outliers (stricter for safety-critical layers). */
export function scoreAgainstBaseline(
  baseline: WeightsBaseline,
  layers: LayerDelta[],
  totalRelative: number,
  policy: WeightsPolicy,
  flag: (
    rule: string,
    severity: Finding['severity'],
    message: string,
    field: string | null,
    evidence?: Record<string, unknown>,
  ) => void,
): BaselineScore {
  const n = baseline.fine_tunes.length;
  const enough = n >= 3;
  const totalZ = enough
    ? robustZ(baseline.fine_tunes.map((f) => f.total_relative_change)).score(totalRelative)
    : null;
  if (totalZ !== null && totalZ > policy.baseline_z)
    flag(
      'baseline_total',
      'medium',
      `overall relative change ${totalRelative.toExponential(3)} is ${totalZ.toFixed(1)} robust z above ${n} approved fine-tunes`,
      null,
      {
        robust_z: totalZ,
      },
    );
  const scored = layers.map((l) => {
    const samples = baseline.fine_tunes
      .map((f) => f.layers[String(l.layer)]?.relative_change)
      .filter((v): v is number => v !== undefined);
    const critical = policy.safety_critical.layers.includes(l.layer);
    const zs = samples.length >= 3 ? robustZ(samples).score(l.relative_change) : null;
    const limit = critical ? policy.safety_critical.baseline_z : policy.baseline_z;
    if (zs !== null && zs > limit)
      flag(
        critical ? 'baseline_safety_layer' : 'baseline_layer',
        critical ? 'high' : 'medium',
        `layer ${l.layer}${critical ? ' (safety-critical)' : ''} changed ${l.relative_change.toExponential(3)}, robust z ${zs.toFixed(1)} against ${samples.length} approved fine-tunes (limit ${limit})`,
        `layer ${l.layer}`,
        { layer: l.layer, relative_change: l.relative_change, robust_z: zs, limit },
      );
    return { layer: l.layer, relative_change: l.relative_change, robust_z: zs, safety_critical: critical };
  });
  if (!enough)
    flag(
      'baseline_small',
      'info',
      `baseline has ${n} approved fine-tune(s); robust z needs at least 3`,
      null,
    );
  return {
    base_fingerprint: baseline.base_fingerprint,
    fine_tunes: n,
    total: { value: totalRelative, robust_z: totalZ },
    layers: scored,
  };
}

/** `$TUNEGATE_HOME` (default `./.tunegate`). */
export function tunegateHome(): string {
  return process.env.TUNEGATE_HOME ?? '.tunegate';
}

/** Path of the baseline file of a base model. */
export function baselinePath(fingerprint: string, home = tunegateHome()): string {
  return join(home, 'baselines', `${fingerprint}.json`);
}

/** Reads and validates a baseline file. */
export function loadBaseline(path: string): WeightsBaseline {
  if (!existsSync(path)) throw new ArtifactError('artifact.baseline_not_found', `${path}: no such baseline`);
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ArtifactError('artifact.malformed_input', `${path}: baseline is not valid JSON`, {
      cause: err,
      details: { file: path },
    });
  }
  const r = WeightsBaselineSchema.safeParse(doc);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new ArtifactError('artifact.malformed_input', `${path}: ${i?.path.join('.')}: ${i?.message}`, {
      details: { file: path, field: i?.path.join('.') },
    });
  }
  return r.data;
}

/** Loads the baseline of a base model from `$TUNEGATE_HOME` if there is one. */
export function findBaseline(fingerprint: string, home = tunegateHome()): WeightsBaseline | null {
  const p = baselinePath(fingerprint, home);
  return existsSync(p) ? loadBaseline(p) : null;
}

/**
 * Adds an approved fine-tune (a `tunegate weights diff --format json` report)
 * to the baseline of its base model; written atomically. Returns the file path
 * and the number of fine-tunes now in it.
 */
export async function addToBaseline(
  report: unknown,
  home = tunegateHome(),
): Promise<{ path: string; fine_tunes: number }> {
  const r = report as Partial<ScanReport> | null;
  const art = r?.artifact as
    | {
        base_fingerprint?: unknown;
        finetuned?: unknown;
        layers?: unknown;
        totals?: { relative_change?: unknown };
      }
    | undefined;
  if (r?.kind !== 'weights' || !art || typeof art.base_fingerprint !== 'string' || !Array.isArray(art.layers))
    throw new ArtifactError(
      'artifact.malformed_input',
      'not a weights diff report (expected kind "weights" with artifact.base_fingerprint and artifact.layers)',
      {
        details: { field: 'artifact' },
      },
    );
  const layers: Record<string, { relative_change: number; energy_share: number }> = {};
  for (const l of art.layers as LayerDelta[]) {
    if (
      typeof l?.layer !== 'number' ||
      typeof l.relative_change !== 'number' ||
      typeof l.energy_share !== 'number'
    )
      throw new ArtifactError(
        'artifact.malformed_input',
        'report layer entries need layer, relative_change and energy_share',
        { details: { field: 'artifact.layers' } },
      );
    layers[String(l.layer)] = { relative_change: l.relative_change, energy_share: l.energy_share };
  }
  const path = baselinePath(art.base_fingerprint, home);
  const current: WeightsBaseline = existsSync(path)
    ? loadBaseline(path)
    : { schema: 'tunegate.weights-baseline/v1', base_fingerprint: art.base_fingerprint, fine_tunes: [] };
  current.fine_tunes.push({
    added_at: new Date().toISOString(),
    finetuned: typeof art.finetuned === 'string' ? art.finetuned : '',
    total_relative_change: typeof art.totals?.relative_change === 'number' ? art.totals.relative_change : 0,
    layers,
  });
  mkdirSync(join(home, 'baselines'), { recursive: true });
  await writeFileAtomic(path, `${JSON.stringify(current, null, 2)}\n`);
  return { path, fine_tunes: current.fine_tunes.length };
}
