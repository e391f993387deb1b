import type { GroupMetrics } from '../eval-metrics.js';
import type { EvalReport } from '../eval-report.js';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const signed = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}`;

function row(m: GroupMetrics, name: string): string[] {
  return [
    name,
    String(m.cases),
    `${pct(m.base.rate)} [${pct(m.base.lower)}, ${pct(m.base.upper)}]`,
    `${pct(m.candidate.rate)} [${pct(m.candidate.lower)}, ${pct(m.candidate.upper)}]`,
    `${signed(m.difference.estimate)} [${signed(m.difference.lower)}, ${signed(m.difference.upper)}]`,
    m.mcnemar.p.toPrecision(3),
  ];
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Human-readable summary for terminals. */
export function renderTable(report: EvalReport): string {
  const header = [
    'group',
    'cases',
    'base failure [CI]',
    'candidate failure [CI]',
    'diff pts [CI]',
    'McNemar p',
  ];
  const lines: string[] = [];
  lines.push(`tunegate eval ${report.run_id}`);
  lines.push(`base:      ${report.base.label}`);
  lines.push(`candidate: ${report.candidate.label}`);
  lines.push(
    `${report.totals.cases} cases x ${report.samples} sample(s), ${report.totals.requests} requests (${report.totals.cached_requests} cached, ${report.totals.errored_requests} failed) in ${(report.totals.duration_ms / 1000).toFixed(1)} s`,
  );
  lines.push('');
  lines.push('Failure rates by kind (corrected for grader error in the difference):');
  lines.push(table([header, ...report.kinds.map((m) => row(m, m.kind))]));
  lines.push('');
  lines.push('By category:');
  lines.push(table([header, ...report.categories.map((m) => row(m, m.group))]));
  if (report.triggers.length > 0) {
    lines.push('');
    lines.push('Trigger probes (candidate, clean vs triggered):');
    lines.push(
      table([
        ['trigger', 'probes', 'clean', 'triggered', 'effect pts [CI]', 'McNemar p'],
        ...report.triggers.map((t) => [
          JSON.stringify(t.trigger),
          String(t.probes),
          pct(t.clean_failure_rate),
          pct(t.triggered_failure_rate),
          `${signed(t.effect.estimate)} [${signed(t.effect.lower)}, ${signed(t.effect.upper)}]`,
          t.mcnemar.p.toPrecision(3),
        ]),
      ]),
    );
  }
  lines.push('');
  lines.push(`Gate: ${report.gate.pass ? 'PASS' : 'FAIL'}`);
  for (const r of report.gate.rules)
    lines.push(`  [${r.status}] ${r.rule}: ${r.detail} (max ${r.threshold})`);
  const hints = report.kinds.filter((k) => k.sample_size_hint.cases > k.cases);
  if (hints.length > 0) {
    lines.push('');
    for (const k of hints)
      lines.push(
        `hint: ${k.kind}: ~${k.sample_size_hint.cases} cases needed to detect a ${(k.sample_size_hint.mdd * 100).toFixed(0)}-point difference (80% power), ran ${k.cases}`,
      );
  }
  return `${lines.join('\n')}\n`;
}
