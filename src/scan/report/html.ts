import { type ScanReport, SEVERITIES, type Severity, severityRank } from '../../contracts/finding.js';

/** Optional chart data a dataset scan puts under `report.dataset.charts`. */
export interface ReportCharts {
  /** Histogram of record lengths in characters. */
  length_histogram?: { edges: number[]; counts: number[] };
  /** 2-D projection of record embeddings; `outlier` marks flagged records. */
  outlier_map?: { x: number; y: number; record: number; outlier: boolean }[];
}

const COLORS: Record<Severity, string> = {
  info: '#6b7280',
  low: '#2563eb',
  medium: '#d97706',
  high: '#dc2626',
  critical: '#7f1d1d',
};

function esc(value: unknown): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A bar chart as inline SVG (no scripts, no external assets: the file is self-contained). */
function barChart(title: string, labels: string[], values: number[], color = '#2563eb'): string {
  const w = 640;
  const h = 220;
  const pad = 36;
  const max = Math.max(1, ...values);
  const bw = (w - pad * 2) / Math.max(1, values.length);
  const bars = values
    .map((v, i) => {
      const bh = ((h - pad * 2) * v) / max;
      const x = pad + i * bw;
      const y = h - pad - bh;
      return `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1, bw - 2).toFixed(1)}" height="${bh.toFixed(1)}" fill="${color}"><title>${esc(labels[i])}: ${v}</title></rect>`;
    })
    .join('');
  const step = Math.max(1, Math.ceil(labels.length / 8));
  const ticks = labels
    .map((l, i) =>
      i % step === 0
        ? `<text x="${(pad + i * bw + bw / 2).toFixed(1)}" y="${h - pad + 14}" font-size="10" text-anchor="middle">${esc(l)}</text>`
        : '',
    )
    .join('');
  return `<figure><figcaption>${esc(title)}</figcaption><svg viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(title)}"><line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="#999"/><text x="4" y="${pad - 8}" font-size="10">max ${max}</text>${bars}${ticks}</svg></figure>`;
}

function scatter(title: string, points: NonNullable<ReportCharts['outlier_map']>): string {
  const w = 640;
  const h = 360;
  const pad = 20;
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const sx = (x: number) => pad + ((x - x0) / (x1 - x0 || 1)) * (w - pad * 2);
  const sy = (y: number) => h - pad - ((y - y0) / (y1 - y0 || 1)) * (h - pad * 2);
  const dots = points
    .slice()
    .sort((a, b) => Number(a.outlier) - Number(b.outlier))
    .map(
      (p) =>
        `<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="${p.outlier ? 4 : 2}" fill="${p.outlier ? '#dc2626' : '#93c5fd'}"><title>record ${p.record}${p.outlier ? ' (outlier)' : ''}</title></circle>`,
    )
    .join('');
  return `<figure><figcaption>${esc(title)}</figcaption><svg viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(title)}"><rect x="0" y="0" width="${w}" height="${h}" fill="#f9fafb"/>${dots}</svg></figure>`;
}

function charts(report: ScanReport): string {
  const parts: string[] = [];
  parts.push(
    barChart(
      'Findings by severity',
      SEVERITIES.slice(),
      SEVERITIES.map((s) => report.summary.by_severity[s] ?? 0),
      '#d97706',
    ),
  );
  const c = ((report.dataset ?? report.artifact)?.charts ?? {}) as ReportCharts;
  if (c.length_histogram && c.length_histogram.counts.length > 0) {
    const { edges, counts } = c.length_histogram;
    parts.push(
      barChart(
        'Record length distribution (characters)',
        counts.map((_, i) => `${Math.round(edges[i] ?? 0)}`),
        counts,
      ),
    );
  }
  const clusterSizes = new Map<number, number>();
  for (const f of report.findings) {
    const size = f.evidence.cluster_size;
    if ((f.detector === 'near-duplicate' || f.detector === 'exact-duplicate') && typeof size === 'number') {
      clusterSizes.set(size, (clusterSizes.get(size) ?? 0) + 1);
    }
  }
  if (clusterSizes.size > 0) {
    const sizes = [...clusterSizes.keys()].sort((a, b) => a - b);
    parts.push(
      barChart(
        'Duplicate clusters by size',
        sizes.map(String),
        sizes.map((s) => clusterSizes.get(s) ?? 0),
        '#7c3aed',
      ),
    );
  }
  if (c.outlier_map && c.outlier_map.length > 0)
    parts.push(scatter('Embedding outlier map (2-D projection)', c.outlier_map));
  return parts.join('\n');
}

/**
 * A self-contained HTML report (inline CSS and SVG, no scripts or external
 * requests) that a reviewer opens in a browser: summary, charts, findings.
 */
export function renderHtml(report: ScanReport): string {
  const subject = (report.dataset ?? report.artifact ?? {}) as Record<string, unknown>;
  const title = `tunegate ${report.kind} scan${typeof subject.path === 'string' ? `: ${subject.path}` : ''}`;
  const facts = Object.entries(subject)
    .filter(([, v]) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`)
    .join('');
  const rows = report.findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => severityRank(b.f.severity) - severityRank(a.f.severity) || a.i - b.i)
    .map(
      ({ f }) =>
        `<tr><td><span class="sev" style="background:${COLORS[f.severity]}">${esc(f.severity)}</span></td><td>${esc(f.rule ?? f.detector)}</td><td>${esc(f.file ?? '')}${f.line === null ? '' : `:${f.line}`}</td><td>${f.record ?? ''}</td><td>${esc(f.field ?? '')}</td><td>${esc(f.message)}<details><summary>evidence</summary><pre>${esc(JSON.stringify(f.evidence, null, 2))}</pre></details></td><td>${f.score.toFixed(2)}</td></tr>`,
    )
    .join('\n');
  const s = report.summary;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#111}table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #e5e7eb;padding:4px 8px;text-align:left;vertical-align:top;font-size:13px}
.sev{color:#fff;border-radius:3px;padding:1px 6px;font-size:12px}figure{display:inline-block;margin:0 1rem 1rem 0}
figcaption{font-weight:600;margin-bottom:4px}pre{white-space:pre-wrap;max-width:60rem}.risk{font-size:1.4rem;font-weight:700}
</style></head><body>
<h1>${esc(title)}</h1>
<p class="risk">Risk: ${esc(s.risk)} · ${s.records} records · ${s.findings} findings</p>
<p>Tool ${esc(report.tool.name)} ${esc(report.tool.version)} · started ${esc(report.started_at)} · finished ${esc(report.finished_at)}</p>
<table class="facts">${facts}</table>
<h2>Charts</h2>
${charts(report)}
<h2>Findings</h2>
<table><thead><tr><th>Severity</th><th>Rule</th><th>Location</th><th>Record</th><th>Field</th><th>Message</th><th>Score</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="7">No findings.</td></tr>'}
</tbody></table>
</body></html>
`;
}
