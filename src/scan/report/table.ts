import { type ScanReport, SEVERITIES, severityRank } from '../../contracts/finding.js';

const MAX_ROWS = 200;

function truncate(s: string, width: number): string {
  const flat = s.replace(/\s+/g, ' ');
  return flat.length <= width ? flat : `${flat.slice(0, width - 1)}…`;
}

function pad(s: string, width: number): string {
  return s.length >= width ? s : s + ' '.repeat(width - s.length);
}

/**
 * Human-readable report for a terminal: subject line, a severity summary and the
 * findings sorted worst first (capped, with a note on how many were left out).
 */
export function renderTable(report: ScanReport): string {
  const out: string[] = [];
  const subject = (report.dataset ?? report.artifact ?? {}) as Record<string, unknown>;
  const name = typeof subject.path === 'string' ? subject.path : report.kind;
  out.push(`tunegate ${report.kind} scan: ${name}`);
  if (typeof subject.digest === 'string') out.push(`digest: sha256:${subject.digest}`);
  const s = report.summary;
  const sev = SEVERITIES.slice()
    .reverse()
    .map((k) => `${k} ${s.by_severity[k] ?? 0}`)
    .join(', ');
  out.push(`records: ${s.records}  findings: ${s.findings} (${sev})  risk: ${s.risk}`);
  if (report.findings.length === 0) {
    out.push('no findings');
    return `${out.join('\n')}\n`;
  }
  const sorted = report.findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => severityRank(b.f.severity) - severityRank(a.f.severity) || a.i - b.i)
    .slice(0, MAX_ROWS);
  const rows = sorted.map(({ f }) => [
    f.severity.toUpperCase(),
    f.rule ?? f.detector,
    f.file === null
      ? f.record === null
        ? '-'
        : `#${f.record}`
      : `${f.file}${f.line === null ? '' : `:${f.line}`}`,
    truncate(f.message, 100),
  ]);
  const header = ['SEVERITY', 'RULE', 'LOCATION', 'MESSAGE'];
  const widths = header.map((h, c) =>
    Math.min(60, Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length))),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, c) =>
        c === cells.length - 1 ? cell : pad(truncate(cell, widths[c] ?? 10), widths[c] ?? 10),
      )
      .join('  ');
  out.push('', line(header));
  for (const r of rows) out.push(line(r));
  if (report.findings.length > MAX_ROWS) {
    out.push(`… ${report.findings.length - MAX_ROWS} more findings (use --format json for all)`);
  }
  return `${out.join('\n')}\n`;
}
