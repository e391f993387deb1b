import type { Finding } from '../../contracts/finding.js';
import type { TensorKind } from './layer-names.js';
import type { TokenizerVocab } from './tokenizer-vocab.js';
import {
  type BaselineScore,
  robustZ,
  scoreAgainstBaseline,
  type WeightsBaseline,
} from './weights-baseline.js';
import type { TensorDelta } from './weights-diff.js';
import type { WeightsPolicy } from './weights-policy.js';

/** Top singular vector of one tensor delta, in the sketch space of a dimension. */
export interface DirectionVector {
  tensor: string;
  layer: number | null;
  /** The dimension the vector lives in (rows or columns of the tensor). */
  space: number;
  vector: Float64Array;
  /** top-1 energy share of the tensor's delta. */
  energy: number;
}

/** Per-row squared norms of an embedding or lm_head delta. */
export interface RowDelta {
  tensor: string;
  kind: TensorKind;
  deltaSq: Float64Array;
  baseSq: Float64Array;
  addedRows: number;
}

/** Aggregates over the tensors of one transformer block. */
export interface LayerDelta {
  layer: number;
  tensors: number;
  base_norm: number;
  delta_norm: number;
  relative_change: number;
  /** Share of the whole model's delta energy (||D||^2) in this layer. */
  energy_share: number;
  max_tensor_relative_change: number;
}

type Flag = (
  rule: string,
  severity: Finding['severity'],
  message: string,
  field: string | null,
  evidence?: Record<string, unknown>,
) => void;

/** Inputs of {@link analyzeDeltas}. */
export interface AnalysisInput {
  tensors: TensorDelta[];
  directions: DirectionVector[];
  rowDeltas: RowDelta[];
  vocab: TokenizerVocab | null;
  policy: WeightsPolicy;
  baseline: WeightsBaseline | null;
  flag: Flag;
}

/** Ranked rows of an embedding-like matrix. */
export interface EmbeddingRows {
  tensor: string;
  rows: number;
  median_delta_norm: number;
  top: {
    row: number;
    token: string | null;
    added_token: boolean;
    delta_norm: number;
    relative_change: number;
    robust_z: number;
  }[];
}

/** Everything {@link analyzeDeltas} adds to the report. */
export interface DeltaAnalysis {
  totals: {
    base_norm: number;
    delta_norm: number;
    relative_change: number;
    tensors_changed: number;
    fraction_changed: number;
  };
  layers: LayerDelta[];
  groups: Record<string, { tensors: number; relative_change: number; max_relative_change: number }>;
  embeddingRows: EmbeddingRows[];
  baseline: BaselineScore | null;
}

const rel = (t: TensorDelta) => t.relative_change ?? Number.POSITIVE_INFINITY;

/** Layer aggregates, embedding row rankings and every weight-delta finding. */
export function analyzeDeltas(input: AnalysisInput): DeltaAnalysis {
  const { tensors, policy, flag } = input;
  let a2 = 0;
  let d2 = 0;
  let elements = 0;
  let changedElements = 0;
  for (const t of tensors) {
    a2 += t.base_norm ** 2;
    d2 += t.delta_norm ** 2;
    elements += t.elements;
    changedElements += t.fraction_changed * t.elements;
    if (t.non_finite > 0) flag('non_finite', 'high', `${t.name}: ${t.non_finite} NaN/Inf value(s)`, t.name);
  }
  const totals = {
    base_norm: Math.sqrt(a2),
    delta_norm: Math.sqrt(d2),
    relative_change: a2 > 0 ? Math.sqrt(d2 / a2) : 0,
    tensors_changed: tensors.filter((t) => t.fraction_changed > 0).length,
    fraction_changed: elements > 0 ? changedElements / elements : 0,
  };

  // Per-layer aggregates.
  const byLayer = new Map<number, TensorDelta[]>();
  for (const t of tensors) {
    if (t.layer === null) continue;
    const list = byLayer.get(t.layer) ?? [];
    list.push(t);
    byLayer.set(t.layer, list);
  }
  const layers: LayerDelta[] = [...byLayer.entries()]
    .sort(([x], [y]) => x - y)
    .map(([layer, list]) => {
      const la2 = list.reduce((s, t) => s + t.base_norm ** 2, 0);
      const ld2 = list.reduce((s, t) => s + t.delta_norm ** 2, 0);
      return {
        layer,
        tensors: list.length,
        base_norm: Math.sqrt(la2),
        delta_norm: Math.sqrt(ld2),
        relative_change: la2 > 0 ? Math.sqrt(ld2 / la2) : 0,
        energy_share: d2 > 0 ? ld2 / d2 : 0,
        max_tensor_relative_change: Math.max(...list.map((t) => (Number.isFinite(rel(t)) ? rel(t) : 0))),
      };
    });

  // Groups by kind (norm weights and biases are reported on their own).
  const groups: DeltaAnalysis['groups'] = {};
  for (const kind of ['embedding', 'lm_head', 'linear', 'norm', 'bias', 'other'] as const) {
    const list = tensors.filter((t) => t.kind === kind);
    if (list.length === 0) continue;
    const ga2 = list.reduce((s, t) => s + t.base_norm ** 2, 0);
    const gd2 = list.reduce((s, t) => s + t.delta_norm ** 2, 0);
    groups[kind] = {
      tensors: list.length,
      relative_change: ga2 > 0 ? Math.sqrt(gd2 / ga2) : 0,
      max_relative_change: Math.max(...list.map((t) => (Number.isFinite(rel(t)) ? rel(t) : 0))),
    };
  }
  const normChanges = tensors.filter(
    (t) => (t.kind === 'norm' || t.kind === 'bias') && rel(t) > policy.norm_relative_max,
  );
  if (normChanges.length > 0) {
    const worst = normChanges.sort((x, y) => rel(y) - rel(x));
    flag(
      'norm_bias_change',
      'medium',
      `${normChanges.length} norm weight(s)/bias(es) changed by more than ${policy.norm_relative_max * 100}% (largest ${worst[0]?.name}: ${(rel(worst[0] as TensorDelta) * 100).toFixed(1)}%)`,
      worst[0]?.name ?? null,
      { tensors: worst.slice(0, 20).map((t) => ({ name: t.name, relative_change: t.relative_change })) },
    );
  }

  // Concentrated change: most of the delta energy in a few layers.
  if (layers.length >= policy.concentration_min_layers && d2 > 0) {
    const k = Math.max(1, Math.ceil(layers.length * policy.concentration_layers_fraction));
    const top = [...layers].sort((x, y) => y.energy_share - x.energy_share).slice(0, k);
    const share = top.reduce((s, l) => s + l.energy_share, 0);
    if (share >= policy.concentration_share)
      flag(
        'concentrated_change',
        share >= Math.max(0.8, policy.concentration_share) ? 'high' : 'medium',
        `${(share * 100).toFixed(0)}% of the weight change is in ${k} of ${layers.length} layers (${top.map((l) => l.layer).join(', ')})`,
        null,
        { layers: top.map((l) => ({ layer: l.layer, energy_share: l.energy_share })), share },
      );
  }

  sharedDirections(input.directions, byLayer.size, policy, flag);
  const embeddingRows = input.rowDeltas.map((r) => rankRows(r, input.vocab, policy, flag));

  // Undeclared modules.
  if (policy.declared_modules) {
    const declared = policy.declared_modules;
    const off = tensors.filter((t) => t.fraction_changed > 0 && !declared.some((m) => t.name.includes(m)));
    if (off.length > 0)
      flag(
        'undeclared_change',
        'high',
        `${off.length} tensor(s) outside the declared modules (${declared.join(', ')}) changed, e.g. ${off
          .slice(0, 3)
          .map((t) => t.name)
          .join(', ')}`,
        off[0]?.name ?? null,
        { tensors: off.slice(0, 50).map((t) => t.name) },
      );
  }

  // Safety-critical tensors: absolute limit even without a baseline.
  const critical = (t: TensorDelta) =>
    (t.layer !== null && policy.safety_critical.layers.includes(t.layer)) ||
    policy.safety_critical.modules.some((m) => t.name.includes(m));
  const limit = policy.safety_critical.max_relative_change;
  if (limit !== null) {
    for (const t of tensors.filter(critical)) {
      if (rel(t) > limit)
        flag(
          'safety_critical_change',
          'high',
          `${t.name} (safety-critical) changed by ${(rel(t) * 100).toFixed(2)}%, above the ${limit * 100}% limit`,
          t.name,
          {
            relative_change: t.relative_change,
            limit,
          },
        );
    }
  }

  const baseline = input.baseline
    ? scoreAgainstBaseline(input.baseline, layers, totals.relative_change, policy, flag)
    : null;
  return { totals, layers, groups, embeddingRows, baseline };
}

/**
 * Finds one direction shared by the low-rank deltas of many layers (a rank-1
 * edit repeated, e.g. refusal-direction ablation) and flags it.
 */
export function sharedDirections(
  directions: readonly DirectionVector[],
  layerCount: number,
  policy: WeightsPolicy,
  flag: Flag,
): void {
  const cands = directions.filter((d) => d.layer !== null && d.energy >= policy.low_rank_energy);
  const bySpace = new Map<number, DirectionVector[]>();
  for (const d of cands) bySpace.set(d.space, [...(bySpace.get(d.space) ?? []), d]);
  let best: { anchor: DirectionVector; members: DirectionVector[]; meanCos: number } | null = null;
  for (const list of bySpace.values()) {
    for (const anchor of list) {
      const members: DirectionVector[] = [];
      let sum = 0;
      for (const other of list) {
        const c = Math.abs(cosine(anchor.vector, other.vector));
        if (c >= policy.shared_direction_cos) {
          members.push(other);
          sum += c;
        }
      }
      const distinct = new Set(members.map((m) => m.layer)).size;
      if (!best || distinct > new Set(best.members.map((m) => m.layer)).size)
        best = { anchor, members, meanCos: sum / members.length };
    }
  }
  if (!best) return;
  const layersHit = [...new Set(best.members.map((m) => m.layer as number))].sort((x, y) => x - y);
  const need = Math.max(policy.shared_direction_min_layers, Math.ceil(layerCount * 0.25));
  if (layersHit.length < need) return;
  flag(
    'shared_direction',
    'high',
    `a single low-rank direction dominates the change of ${layersHit.length} layers (${layersHit.slice(0, 12).join(', ')}${layersHit.length > 12 ? ', ...' : ''}); mean |cos| ${best.meanCos.toFixed(2)} between their top singular vectors`,
    best.anchor.tensor,
    {
      layers: layersHit,
      tensors: best.members.slice(0, 40).map((m) => m.tensor),
      mean_abs_cosine: best.meanCos,
      dimension: best.anchor.space,
    },
  );
}

function cosine(a: Float64Array, b: Float64Array): number {
  let d = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] as number) * (b[i] as number);
    na += (a[i] as number) ** 2;
    nb += (b[i] as number) ** 2;
  }
  return na > 0 && nb > 0 ? d / Math.sqrt(na * nb) : 0;
}

/** Ranks embedding/lm_head rows by delta norm and flags trigger-like outliers. */
function rankRows(
  r: RowDelta,
  vocab: TokenizerVocab | null,
  policy: WeightsPolicy,
  flag: Flag,
): EmbeddingRows {
  const n = r.deltaSq.length;
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) norms[i] = Math.sqrt(r.deltaSq[i] as number);
  const z = robustZ(norms);
  const median = z.median;
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (x, y) => (norms[y] as number) - (norms[x] as number),
  );
  const describe = (row: number) => ({
    row,
    token: vocab?.token(row) ?? null,
    added_token: vocab?.added.has(row) ?? false,
    delta_norm: norms[row] as number,
    relative_change:
      (r.baseSq[row] as number) > 0 ? (norms[row] as number) / Math.sqrt(r.baseSq[row] as number) : 0,
    robust_z: z.score(norms[row] as number),
  });
  const top = order.slice(0, 20).map(describe);
  const outliers = order.filter(
    (i) =>
      z.score(norms[i] as number) >= policy.trigger_z &&
      (norms[i] as number) >= policy.trigger_ratio * Math.max(median, 1e-12),
  );
  if (outliers.length > 0 && outliers.length <= policy.max_trigger_rows) {
    const rows = outliers.slice(0, 10).map(describe);
    const added = rows.filter((x) => x.added_token).length;
    const rare = vocab ? rows.filter((x) => x.row >= vocab.size * 0.5).length : 0;
    flag(
      'trigger_rows',
      'high',
      `${outliers.length} ${r.kind} row(s) of ${r.tensor} changed far more than the rest (largest delta norm ${(rows[0]?.delta_norm ?? 0).toExponential(2)} vs median ${median.toExponential(2)}, robust z ${(rows[0]?.robust_z ?? 0).toFixed(1)})${rows.some((x) => x.token !== null) ? `: ${rows.map((x) => JSON.stringify(x.token ?? `#${x.row}`)).join(', ')}` : ''}${added ? `; ${added} added token(s)` : ''}${rare ? `; ${rare} rare (high-id) token(s)` : ''}`,
      r.tensor,
      { rows, median_delta_norm: median },
    );
  }
  return { tensor: r.tensor, rows: n, median_delta_norm: median, top };
}
