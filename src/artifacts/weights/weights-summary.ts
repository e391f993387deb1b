import type { ScanReport } from '../../contracts/finding.js';
import type { EmbeddingRows, LayerDelta } from './delta-analysis.js';
import type { LoraModule } from './lora-analysis.js';

const pct = (x: number) => `${(x * 100).toFixed(3)}%`;

/**
 * Terminal summary of a weights report, printed after the findings table:
 * totals, the layers that changed most, and the most-changed embedding rows
 * (weights diff), or the largest adapter updates (LoRA).
 */
export function renderWeightsSummary(report: ScanReport, top = 8): string {
  const a = (report.artifact ?? {}) as Record<string, unknown>;
  const out: string[] = [''];
  const totals = a.totals as
    | { relative_change: number; fraction_changed: number; tensors_changed: number }
    | undefined;
  if (totals) {
    out.push(
      `total relative change ${pct(totals.relative_change)}, ${totals.tensors_changed} tensor(s) changed, ${pct(totals.fraction_changed)} of elements`,
    );
    const layers = [...((a.layers as LayerDelta[] | undefined) ?? [])]
      .sort((x, y) => y.relative_change - x.relative_change)
      .slice(0, top);
    if (layers.length > 0) {
      out.push('layers with the largest relative change:');
      for (const l of layers)
        out.push(
          `  layer ${String(l.layer).padStart(3)}  ${pct(l.relative_change).padStart(9)}  energy share ${pct(l.energy_share)}`,
        );
    }
    for (const e of (a.embedding_rows as EmbeddingRows[] | undefined) ?? []) {
      out.push(
        `most-changed rows of ${e.tensor} (median delta norm ${e.median_delta_norm.toExponential(2)}):`,
      );
      for (const r of e.top.slice(0, 5))
        out.push(
          `  row ${String(r.row).padStart(6)}  ${JSON.stringify(r.token ?? '')}${r.added_token ? ' (added)' : ''}  delta ${r.delta_norm.toExponential(2)}  z ${r.robust_z.toFixed(1)}`,
        );
    }
  }
  const modules = a.modules as LoraModule[] | undefined;
  if (modules && modules.length > 0) {
    out.push('largest adapter updates (scaling * B * A):');
    for (const m of [...modules].sort((x, y) => y.update_norm - x.update_norm).slice(0, top))
      out.push(
        `  ${m.module}  r=${m.rank} scale=${m.scaling.toFixed(3)}  |dW|=${m.update_norm.toExponential(2)}  sigma1=${m.spectral.top_singular_value.toExponential(2)}  top1 ${pct(m.spectral.top1_energy)}  erank ${m.spectral.effective_rank.toFixed(2)}${m.relative_change !== undefined ? `  rel ${pct(m.relative_change)}` : ''}`,
      );
  }
  return `${out.join('\n')}\n`;
}
