import { type ScanReport, type Severity, SeveritySchema, severityRank } from '../contracts/finding.js';
import { REPORT_FORMATS, type ReportFormat } from '../scan/report/index.js';
import { ArtifactError } from './artifact-error.js';

/** Narrows a `--fail-on` value. */
export function parseFailOn(value: string): Severity {
  const r = SeveritySchema.safeParse(value);
  if (!r.success)
    throw new ArtifactError(
      'artifact.invalid_config',
      `--fail-on: "${value}" is not one of info, low, medium, high, critical`,
    );
  return r.data;
}

/** Narrows a `--format` value. */
export function parseFormat(value: string): ReportFormat {
  if ((REPORT_FORMATS as readonly string[]).includes(value)) return value as ReportFormat;
  throw new ArtifactError(
    'artifact.invalid_config',
    `--format: unknown format "${value}"; use one of ${REPORT_FORMATS.join(', ')}`,
  );
}

/** True when a finding is at or above `failOn` (the CLI then exits 1). */
export function failsAt(report: ScanReport, failOn: Severity): boolean {
  const min = severityRank(failOn);
  return report.findings.some((f) => severityRank(f.severity) >= min);
}
