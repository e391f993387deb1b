import type { ScanReport } from '../../contracts/finding.js';
import { ScanError } from '../scan-error.js';
import { renderHtml } from './html.js';
import { type ReportRule, renderSarif } from './sarif.js';
import { renderTable } from './table.js';

export { type BuildReportInput, buildScanReport } from './build-report.js';
export type { ReportCharts } from './html.js';
export type { ReportRule } from './sarif.js';
export { sarifLevel } from './sarif.js';

export const REPORT_FORMATS = ['table', 'json', 'jsonl', 'sarif', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** Options for {@link renderReport}. */
export interface RenderOptions {
  /** Rule descriptions for SARIF (e.g. from the detector registry); unknown rules get a generic text. */
  rules?: readonly ReportRule[];
}

/**
 * Renders any scan report (dataset, artifact or weights) in one of the output
 * formats. `jsonl` is one header line (`type: "report"`, without findings)
 * followed by one line per finding (`type: "finding"`), for streaming consumers.
 */
export function renderReport(report: ScanReport, format: ReportFormat, options: RenderOptions = {}): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'jsonl': {
      const { findings, ...header } = report;
      const lines = [JSON.stringify({ type: 'report', ...header })];
      for (const f of findings) lines.push(JSON.stringify({ type: 'finding', ...f }));
      return `${lines.join('\n')}\n`;
    }
    case 'sarif':
      return renderSarif(report, options.rules);
    case 'table':
      return renderTable(report);
    case 'html':
      return renderHtml(report);
    default:
      throw new ScanError(
        'scan.invalid_config',
        `unknown report format "${String(format)}"; use one of ${REPORT_FORMATS.join(', ')}`,
      );
  }
}

/** Narrows a user-supplied string to a {@link ReportFormat} or throws a usage error. */
export function parseReportFormat(value: string): ReportFormat {
  if ((REPORT_FORMATS as readonly string[]).includes(value)) return value as ReportFormat;
  throw new ScanError(
    'scan.invalid_config',
    `--format: unknown format "${value}"; use one of ${REPORT_FORMATS.join(', ')}`,
  );
}
