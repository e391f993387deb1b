import { type Finding, riskFromFindings, type ScanReport, SEVERITIES } from '../../contracts/finding.js';
import { TOOL_VERSION } from '../../contracts/tool-version.js';

/** Inputs of {@link buildScanReport}. */
export interface BuildReportInput {
  kind: ScanReport['kind'];
  /** Subject facts: `report.dataset` for dataset scans, `report.artifact` otherwise. */
  subject: Record<string, unknown>;
  records: number;
  findings: Finding[];
  startedAt: Date;
  finishedAt?: Date;
}

/** Assembles a {@link ScanReport} with its summary (counts by severity and detector, overall risk). */
export function buildScanReport(input: BuildReportInput): ScanReport {
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<
    (typeof SEVERITIES)[number],
    number
  >;
  const byDetector: Record<string, number> = {};
  for (const f of input.findings) {
    bySeverity[f.severity] += 1;
    byDetector[f.detector] = (byDetector[f.detector] ?? 0) + 1;
  }
  return {
    tool: { name: 'tunegate', version: TOOL_VERSION },
    kind: input.kind,
    ...(input.kind === 'dataset' ? { dataset: input.subject } : { artifact: input.subject }),
    summary: {
      records: input.records,
      findings: input.findings.length,
      by_severity: bySeverity,
      by_detector: byDetector,
      risk: riskFromFindings(input.findings),
    },
    findings: input.findings,
    started_at: input.startedAt.toISOString(),
    finished_at: (input.finishedAt ?? new Date()).toISOString(),
  };
}
