import type { EvalReport } from '../eval-report.js';
import { readTranscripts, type Write } from './atomic-output.js';

/**
 * Writes the report as one JSON document with every case transcript under
 * `cases`, streamed from the run's JSONL so large runs never sit in memory.
 */
export async function renderJson(
  report: EvalReport,
  transcripts: string | undefined,
  write: Write,
): Promise<void> {
  const head = JSON.stringify(report, null, 2);
  await write(`${head.slice(0, head.lastIndexOf('}')).trimEnd()},\n  "cases": [`);
  let first = true;
  for await (const line of readTranscripts(transcripts)) {
    await write(`${first ? '\n    ' : ',\n    '}${line}`);
    first = false;
  }
  await write(`${first ? '' : '\n  '}]\n}\n`);
}
