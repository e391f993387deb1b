import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { EvaluationError } from '../evaluation-error.js';

const TriggerReportSchema = z.object({
  findings: z.array(
    z.object({
      detector: z.string(),
      evidence: z.record(z.string(), z.unknown()).optional(),
      score: z.number().optional(),
    }),
  ),
});

/**
 * Trigger candidates from a dataset scan's JSON report: `evidence.trigger` of
 * `backdoor-trigger` findings, highest score first, de-duplicated.
 */
export async function loadTriggerCandidates(file: string, limit = 20): Promise<string[]> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new EvaluationError(
      'eval.invalid_trigger_report',
      `cannot read scan report ${file}: ${(err as Error).message}`,
      {
        cause: err,
        details: { file },
      },
    );
  }
  const parsed = TriggerReportSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new EvaluationError(
      'eval.invalid_trigger_report',
      `${file}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'not a scan report'}`,
      { details: { file } },
    );
  }
  const candidates = parsed.data.findings
    .filter((f) => f.detector === 'backdoor-trigger' && typeof f.evidence?.trigger === 'string')
    .sort((a, b) => (b.score ?? 0) - (a.score ?? 0))
    .map((f) => String(f.evidence?.trigger ?? '').trim())
    .filter((t) => t.length > 0);
  return [...new Set(candidates)].slice(0, limit);
}
