import type { Finding, ScanReport, Severity } from '../../contracts/finding.js';

/** A SARIF rule description; scanners pass their detectors so every rule has a help text. */
export interface ReportRule {
  id: string;
  description: string;
  defaultSeverity?: Severity;
}

type SarifLevel = 'none' | 'note' | 'warning' | 'error';

/** SARIF has three levels; info is a note, low/medium warnings, high/critical errors. */
export function sarifLevel(severity: Severity): SarifLevel {
  if (severity === 'info') return 'note';
  if (severity === 'low' || severity === 'medium') return 'warning';
  return 'error';
}

/** GitHub code scanning reads `security-severity` (0-10) to rank results. */
const SECURITY_SEVERITY: Record<Severity, string> = {
  info: '0.0',
  low: '3.0',
  medium: '5.5',
  high: '8.0',
  critical: '9.5',
};

function ruleIdOf(f: Finding): string {
  return f.rule ?? f.detector;
}

/** SARIF artifact URIs are URI references: forward slashes, percent-encoded segments. */
function toUri(path: string): string {
  return path
    .split(/[\\/]/)
    .map((s) => encodeURIComponent(s))
    .join('/');
}

/**
 * Renders a scan report as SARIF 2.1.0. Rules come from the detectors that
 * produced findings (or the `rules` the caller knows about); each result points
 * at file/line when the finding has them, so code-scanning UIs can annotate.
 */
export function renderSarif(report: ScanReport, rules: readonly ReportRule[] = []): string {
  const known = new Map(rules.map((r) => [r.id, r]));
  const ruleIds: string[] = [];
  const ruleIndex = new Map<string, number>();
  const worstByRule = new Map<string, Severity>();
  for (const f of report.findings) {
    const id = ruleIdOf(f);
    if (!ruleIndex.has(id)) {
      ruleIndex.set(id, ruleIds.length);
      ruleIds.push(id);
      worstByRule.set(id, f.severity);
    }
  }
  // Rules the caller declared but that produced no result are listed too: a clean run still documents its checks.
  for (const r of rules) {
    if (!ruleIndex.has(r.id)) {
      ruleIndex.set(r.id, ruleIds.length);
      ruleIds.push(r.id);
    }
  }
  const sarifRules = ruleIds.map((id) => {
    const rule = known.get(id) ?? known.get(id.split('.')[0] ?? id);
    const severity = rule?.defaultSeverity ?? worstByRule.get(id) ?? 'medium';
    const text = rule?.description ?? `tunegate ${report.kind} check ${id}`;
    return {
      id,
      name: id.replace(/(^|[-._])(\w)/g, (_m, _sep: string, c: string) => c.toUpperCase()),
      shortDescription: { text },
      fullDescription: { text },
      defaultConfiguration: { level: sarifLevel(severity) },
      properties: { 'security-severity': SECURITY_SEVERITY[severity], tags: ['tunegate', report.kind] },
    };
  });
  const subject = (report.dataset ?? report.artifact ?? {}) as Record<string, unknown>;
  const subjectPath = typeof subject.path === 'string' ? subject.path : undefined;
  const results = report.findings.map((f) => {
    const id = ruleIdOf(f);
    const uri = f.file ?? subjectPath;
    const location =
      uri === undefined
        ? undefined
        : {
            physicalLocation: {
              artifactLocation: { uri: toUri(uri) },
              ...(f.line !== null ? { region: { startLine: f.line } } : {}),
            },
            ...(f.field !== null ? { logicalLocations: [{ name: f.field, kind: 'member' }] } : {}),
          };
    return {
      ruleId: id,
      ruleIndex: ruleIndex.get(id) ?? 0,
      level: sarifLevel(f.severity),
      message: { text: f.message },
      ...(location ? { locations: [location] } : {}),
      partialFingerprints: {
        tunegateFinding: `${id}:${f.file ?? ''}:${f.line ?? ''}:${f.record ?? ''}`,
      },
      properties: {
        severity: f.severity,
        score: f.score,
        record: f.record,
        ...(f.field !== null ? { field: f.field } : {}),
        evidence: f.evidence,
      },
    };
  });
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: report.tool.name,
            version: report.tool.version,
            informationUri: 'https://github.com/tunegate/tunegate',
            rules: sarifRules,
          },
        },
        invocations: [
          {
            executionSuccessful: true,
            startTimeUtc: report.started_at,
            endTimeUtc: report.finished_at,
          },
        ],
        results,
        properties: { kind: report.kind, summary: report.summary },
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}
