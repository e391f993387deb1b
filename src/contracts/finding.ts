import { z } from 'zod';

/** Severity ladder shared by dataset scans, artifact scans and gates. */
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export const SeveritySchema = z.enum(SEVERITIES);
export type Severity = z.output<typeof SeveritySchema>;

/** Numeric rank of a severity (info = 0 ... critical = 4), for `--fail-on` comparisons. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/**
 * One finding of a scan. `record` is the 0-based index in dataset order (null for
 * dataset-level or file-level findings); `file`/`line` locate it on disk.
 * `evidence` never holds a secret or PII value whole: detectors mask them.
 */
export const FindingSchema = z
  .object({
    detector: z.string().min(1),
    /** Optional finer rule id inside the detector, e.g. `pii.email`. Used as SARIF ruleId. */
    rule: z.string().optional(),
    severity: SeveritySchema,
    record: z.number().int().nonnegative().nullable(),
    file: z.string().nullable(),
    line: z.number().int().positive().nullable(),
    field: z.string().nullable(),
    message: z.string().min(1),
    evidence: z.record(z.string(), z.unknown()).default({}),
    score: z.number().min(0).max(1),
  })
  .strict();
export type Finding = z.output<typeof FindingSchema>;

export const RiskLevelSchema = z.enum(['low', 'medium', 'high', 'critical']);
export type RiskLevel = z.output<typeof RiskLevelSchema>;

export const ScanSummarySchema = z
  .object({
    records: z.number().int().nonnegative(),
    findings: z.number().int().nonnegative(),
    by_severity: z.record(SeveritySchema, z.number().int().nonnegative()),
    by_detector: z.record(z.string(), z.number().int().nonnegative()),
    risk: RiskLevelSchema,
  })
  .strict();

/**
 * The report every scanner emits (`tunegate scan`, `tunegate artifact scan`):
 * a subject (dataset or artifact), a summary, and the findings.
 */
export const ScanReportSchema = z
  .object({
    tool: z.object({ name: z.literal('tunegate'), version: z.string() }).strict(),
    kind: z.enum(['dataset', 'artifact', 'weights']),
    dataset: z.record(z.string(), z.unknown()).optional(),
    artifact: z.record(z.string(), z.unknown()).optional(),
    summary: ScanSummarySchema,
    findings: z.array(FindingSchema),
    started_at: z.iso.datetime(),
    finished_at: z.iso.datetime(),
  })
  .strict();
export type ScanReport = z.output<typeof ScanReportSchema>;

/** Overall risk from the worst severity present (info/low -> low). */
export function riskFromFindings(findings: readonly Pick<Finding, 'severity'>[]): RiskLevel {
  let worst = 0;
  for (const f of findings) worst = Math.max(worst, severityRank(f.severity));
  return worst >= 4 ? 'critical' : worst === 3 ? 'high' : worst === 2 ? 'medium' : 'low';
}
