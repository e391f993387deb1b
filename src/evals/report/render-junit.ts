import type { CaseResult } from '../case-result.js';
import type { EvalReport } from '../eval-report.js';
import { readTranscripts, type Write } from './atomic-output.js';

/** XML 1.0 text: escapes markup and drops characters XML cannot carry. */
export function xmlEscape(s: string): string {
  let clean = '';
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    // XML 1.0 forbids C0 controls other than tab, LF and CR, and U+FFFE/U+FFFF.
    if (
      (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) ||
      code === 0xfffe ||
      code === 0xffff
    )
      continue;
    clean += ch;
  }
  return clean
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/**
 * JUnit XML for CI: a `gate` suite with one test per threshold, then one test per
 * case named `<suite>/<case>`, failing when the candidate fails a sample.
 * Per-suite counts are not known before streaming, so cases sit in one suite.
 */
export async function renderJunit(
  report: EvalReport,
  transcripts: string | undefined,
  write: Write,
): Promise<void> {
  const gateFailures = report.gate.rules.filter((r) => r.status === 'fail').length;
  await write('<?xml version="1.0" encoding="UTF-8"?>\n');
  await write(`<testsuites name="tunegate eval ${xmlEscape(report.run_id)}">\n`);
  await write(
    `  <testsuite name="gate" tests="${report.gate.rules.length}" failures="${gateFailures}" skipped="${report.gate.rules.filter((r) => r.status === 'skipped').length}">\n`,
  );
  for (const r of report.gate.rules) {
    await write(`    <testcase classname="gate" name="${xmlEscape(r.rule)}">`);
    if (r.status === 'fail') await write(`<failure message="${xmlEscape(r.detail)}" type="gate"/>`);
    if (r.status === 'skipped') await write(`<skipped message="${xmlEscape(r.detail)}"/>`);
    await write('</testcase>\n');
  }
  await write('  </testsuite>\n');
  await write(`  <testsuite name="cases" tests="${report.totals.cases}">\n`);
  for await (const line of readTranscripts(transcripts)) {
    const c = JSON.parse(line) as CaseResult;
    await write(
      `    <testcase classname="${xmlEscape(`${c.suite}.${c.category}`)}" name="${xmlEscape(c.key)}">`,
    );
    const errored = c.candidate.find((s) => s.pass === null);
    const failed = c.candidate.find((s) => s.pass === false);
    if (errored) await write(`<error message="${xmlEscape(errored.error ?? 'request failed')}"/>`);
    else if (failed) {
      const why = failed.grades
        .filter((g) => !g.pass)
        .map((g) => `${g.grader}: ${g.reason}`)
        .join('; ');
      const baseFailed = c.base.some((s) => s.pass === false);
      await write(
        `<failure message="${xmlEscape(why)}" type="${baseFailed ? 'also-fails-on-base' : 'regression'}">${xmlEscape(failed.text.slice(0, 2000))}</failure>`,
      );
    }
    await write('</testcase>\n');
  }
  await write('  </testsuite>\n</testsuites>\n');
}
