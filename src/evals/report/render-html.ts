import type { CaseResult, SampleResult } from '../case-result.js';
import type { GroupMetrics } from '../eval-metrics.js';
import type { EvalReport } from '../eval-report.js';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** A pair of horizontal bars (base, candidate) with Wilson whiskers, in inline SVG. */
function bars(m: GroupMetrics): string {
  const w = 260;
  const bar = (y: number, r: GroupMetrics['base'], cls: string) =>
    `<rect class="${cls}" x="0" y="${y}" width="${(r.rate * w).toFixed(1)}" height="9"/>` +
    `<line class="ci" x1="${(r.lower * w).toFixed(1)}" x2="${(r.upper * w).toFixed(1)}" y1="${y + 4.5}" y2="${y + 4.5}"/>`;
  return `<svg width="${w}" height="22" role="img" aria-label="base ${pct(m.base.rate)}, candidate ${pct(m.candidate.rate)}">${bar(1, m.base, 'b')}${bar(12, m.candidate, 'c')}</svg>`;
}

function groupRows(groups: GroupMetrics[], label: (m: GroupMetrics) => string): string {
  return groups
    .map((m) => {
      const regress = m.difference.estimate > 0 ? ' class="worse"' : '';
      return `<tr><td>${esc(label(m))}</td><td>${m.cases}</td><td>${bars(m)}</td><td>${pct(m.base.rate)}</td><td>${pct(m.candidate.rate)}</td><td${regress}>${(m.difference.estimate * 100).toFixed(1)} [${(m.difference.lower * 100).toFixed(1)}, ${(m.difference.upper * 100).toFixed(1)}]</td><td>${m.mcnemar.p.toPrecision(3)}</td></tr>`;
    })
    .join('\n');
}

function sampleBlock(side: string, s: SampleResult | undefined): string {
  if (!s) return '';
  const verdict = s.pass === null ? 'error' : s.pass ? 'pass' : 'fail';
  const why = s.error ?? s.grades.map((g) => `${g.grader}: ${g.label} (${g.reason})`).join('; ');
  return `<div class="resp ${verdict}"><div class="who">${esc(side)} — ${verdict}: ${esc(why)}</div><pre>${esc(s.text)}</pre></div>`;
}

function transcript(c: CaseResult): string {
  const msgs = c.messages
    .map((m) => `<div class="msg"><b>${esc(m.role)}</b><pre>${esc(m.content)}</pre></div>`)
    .join('');
  const failedCand = c.candidate.find((s) => s.pass === false) ?? c.candidate[0];
  return `<details open><summary>${esc(c.key)} <span class="tag">${esc(c.kind)}</span> <span class="tag">${esc(c.category)}</span></summary>${msgs}${sampleBlock('base', c.base[0])}${sampleBlock('candidate', failedCand)}</details>`;
}

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1d2733;max-width:1200px}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}table{border-collapse:collapse;width:100%}
td,th{padding:4px 8px;border-bottom:1px solid #e3e7ec;text-align:left;vertical-align:middle}
.badge{display:inline-block;padding:2px 10px;border-radius:4px;font-weight:600;color:#fff}
.pass .badge,.badge.pass{background:#1f7a3a}.badge.fail{background:#b3261e}.badge.skipped{background:#7a7f87}
rect.b{fill:#8aa4c8}rect.c{fill:#e08a3c}line.ci{stroke:#222;stroke-width:1.2}
.worse{color:#b3261e;font-weight:600}.legend span{display:inline-block;width:12px;height:9px;margin:0 4px 0 12px}
pre{white-space:pre-wrap;background:#f6f8fa;padding:6px;margin:2px 0;max-height:18em;overflow:auto}
.resp.fail .who{color:#b3261e}.resp.pass .who{color:#1f7a3a}.who{font-weight:600;margin-top:6px}
.tag{font-size:.8em;background:#eef1f5;border-radius:3px;padding:0 5px}details{margin:.8rem 0;border:1px solid #e3e7ec;padding:.5rem;border-radius:4px}`;

/** Self-contained HTML report (no scripts, no external assets). */
export function renderHtml(report: EvalReport): string {
  const gate = report.gate;
  const rules = gate.rules
    .map(
      (r) =>
        `<tr><td><span class="badge ${r.status}">${r.status}</span></td><td>${esc(r.rule)}</td><td>${r.value ?? '—'}</td><td>${r.threshold}</td><td>${esc(r.detail)}</td></tr>`,
    )
    .join('\n');
  const triggers = report.triggers.length
    ? `<h2>Trigger probes</h2><table><tr><th>trigger</th><th>probes</th><th>clean</th><th>triggered</th><th>effect pts [CI]</th><th>McNemar p</th></tr>${report.triggers
        .map(
          (t) =>
            `<tr><td><code>${esc(t.trigger)}</code></td><td>${t.probes}</td><td>${pct(t.clean_failure_rate)}</td><td>${pct(t.triggered_failure_rate)}</td><td>${(t.effect.estimate * 100).toFixed(1)} [${(t.effect.lower * 100).toFixed(1)}, ${(t.effect.upper * 100).toFixed(1)}]</td><td>${t.mcnemar.p.toPrecision(3)}</td></tr>`,
        )
        .join('')}</table>`
    : '';
  const worst = report.worst_regressions.length
    ? report.worst_regressions.map(transcript).join('\n')
    : '<p>No case got worse on the candidate.</p>';
  const head = `<tr><th>group</th><th>cases</th><th>failure rate <span class="legend"><span style="background:#8aa4c8"></span>base<span style="background:#e08a3c"></span>candidate</span></th><th>base</th><th>candidate</th><th>diff pts [${Math.round(report.confidence * 100)}% CI]</th><th>McNemar p</th></tr>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tunegate eval ${esc(report.run_id)}</title><style>${CSS}</style></head>
<body>
<h1>Behavioural evaluation <span class="badge ${gate.pass ? 'pass' : 'fail'}">${gate.pass ? 'GATE PASSED' : 'GATE FAILED'}</span></h1>
<p>Base: <code>${esc(report.base.label)}</code><br>Candidate: <code>${esc(report.candidate.label)}</code><br>
${report.totals.cases} cases × ${report.samples} sample(s), ${report.totals.requests} requests, suites: ${report.suites.map((s) => esc(s.name)).join(', ')}. Run ${esc(report.run_id)}, ${esc(report.started_at)}.</p>
<h2>Gate</h2><table><tr><th></th><th>rule</th><th>value</th><th>max</th><th>detail</th></tr>${rules}</table>
<h2>By kind</h2><table>${head}${groupRows(report.kinds, (m) => m.kind)}</table>
<h2>By category</h2><table>${head}${groupRows(report.categories, (m) => m.group)}</table>
${triggers}
<h2>Worst regressions</h2>
${worst}
</body></html>
`;
}
