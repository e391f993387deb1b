import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { type Finding, ScanReportSchema } from '../../contracts/finding.js';
import { buildScanReport, renderReport } from './index.js';

const sharedDir = process.env.TUNEGATE_SHARED_DIR ?? join(process.cwd(), '..', 'shared');
const sarifSchemaPath = join(sharedDir, 'schemas', 'sarif-2.1.0.json');
const haveSchema = existsSync(sarifSchemaPath);
if (!haveSchema) console.log(`skipping SARIF schema validation: ${sarifSchemaPath} not found`);

function finding(over: Partial<Finding>): Finding {
  return {
    detector: 'near-duplicate',
    severity: 'low',
    record: 3,
    file: 'data/train.jsonl',
    line: 4,
    field: null,
    message: 'near duplicate of record 1',
    evidence: { cluster_size: 2 },
    score: 0.9,
    ...over,
  };
}

const report = buildScanReport({
  kind: 'dataset',
  subject: {
    path: 'data',
    digest: 'a'.repeat(64),
    charts: {
      length_histogram: { edges: [0, 10, 20], counts: [3, 5] },
      outlier_map: [
        { x: 0, y: 1, record: 0, outlier: false },
        { x: 2, y: 3, record: 1, outlier: true },
      ],
    },
  },
  records: 10,
  findings: [
    finding({}),
    finding({
      detector: 'pii',
      rule: 'pii.email',
      severity: 'high',
      field: 'response',
      message: 'e-mail <a@b>',
    }),
    finding({
      detector: 'manifest',
      severity: 'critical',
      record: null,
      file: null,
      line: null,
      message: 'x',
    }),
  ],
  startedAt: new Date('2026-01-01T00:00:00Z'),
  finishedAt: new Date('2026-01-01T00:00:01Z'),
});

describe('buildScanReport', () => {
  it('summarises by severity and detector and takes the worst risk', () => {
    expect(ScanReportSchema.parse(report)).toBeTruthy();
    expect(report.summary.by_severity).toEqual({ info: 0, low: 1, medium: 0, high: 1, critical: 1 });
    expect(report.summary.by_detector).toEqual({ 'near-duplicate': 1, pii: 1, manifest: 1 });
    expect(report.summary.risk).toBe('critical');
  });
});

describe('renderReport', () => {
  it('json round-trips through the contract', () => {
    expect(ScanReportSchema.parse(JSON.parse(renderReport(report, 'json')))).toEqual(report);
  });

  it('jsonl is a header line then one finding per line', () => {
    const lines = renderReport(report, 'jsonl')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0].type).toBe('report');
    expect(lines[0].findings).toBeUndefined();
    expect(lines.slice(1).map((l) => l.detector)).toEqual(['near-duplicate', 'pii', 'manifest']);
  });

  it('table lists findings worst first', () => {
    const text = renderReport(report, 'table');
    expect(text).toContain('risk: critical');
    expect(text.indexOf('CRITICAL')).toBeLessThan(text.indexOf('LOW'));
    expect(text).toContain('data/train.jsonl:4');
  });

  it('html is self-contained, escaped and has the charts', () => {
    const html = renderReport(report, 'html');
    expect(html).toContain('e-mail &lt;a@b&gt;');
    expect(html).not.toMatch(/<script|https?:\/\/[^"]*\.(js|css)/);
    expect(html).toContain('Record length distribution');
    expect(html).toContain('Duplicate clusters by size');
    expect(html).toContain('Embedding outlier map');
  });

  it('sarif maps severities to levels, rules and locations', () => {
    const sarif = JSON.parse(
      renderReport(report, 'sarif', { rules: [{ id: 'near-duplicate', description: 'Near duplicates' }] }),
    );
    const run = sarif.runs[0];
    expect(run.tool.driver.rules.map((r: { id: string }) => r.id)).toEqual([
      'near-duplicate',
      'pii.email',
      'manifest',
    ]);
    expect(run.tool.driver.rules[0].shortDescription.text).toBe('Near duplicates');
    expect(run.results.map((r: { level: string }) => r.level)).toEqual(['warning', 'error', 'error']);
    expect(run.results[0].locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: 'data/train.jsonl' },
      region: { startLine: 4 },
    });
    expect(run.results[1].ruleIndex).toBe(1);
  });

  it.skipIf(!haveSchema)('sarif validates against the official SARIF 2.1.0 schema', () => {
    const schema = JSON.parse(readFileSync(sarifSchemaPath, 'utf8'));
    delete schema.$schema; // draft-07 meta-schema is Ajv's default
    const ajv = new Ajv({ strict: false, allErrors: true });
    // ajv-formats is CommonJS: under NodeNext its default import may be the module object.
    const plugin = addFormatsPlugin as unknown as { default?: (a: Ajv) => Ajv } & ((a: Ajv) => Ajv);
    (plugin.default ?? plugin)(ajv);
    const validate = ajv.compile(schema);
    for (const r of [
      report,
      buildScanReport({ kind: 'artifact', subject: {}, records: 0, findings: [], startedAt: new Date() }),
    ]) {
      const ok = validate(JSON.parse(renderReport(r, 'sarif')));
      expect(validate.errors ?? []).toEqual([]);
      expect(ok).toBe(true);
    }
  });
});
