import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { type Severity, SeveritySchema } from '../contracts/finding.js';
import type { RecordShape } from './dataset-record.js';
import { resolveDetectors } from './detector-registry.js';
import { RECORD_SHAPES } from './record-normalizer.js';
import { ScanError } from './scan-error.js';

/** `scan.yaml`: which detectors run, their options, and scan defaults. */
export const ScanConfigSchema = z
  .object({
    /** Detector ids to run (default: all). */
    detectors: z.array(z.string().min(1)).optional(),
    /** Options per detector id. */
    options: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
    fail_on: SeveritySchema.optional(),
    shape: z.enum(RECORD_SHAPES as [RecordShape, ...RecordShape[]]).optional(),
    strict: z.boolean().optional(),
    seed: z.number().int().optional(),
    max_record_bytes: z.number().int().positive().optional(),
  })
  .strict();

export type ScanConfig = z.output<typeof ScanConfigSchema>;

/**
 * Loads and validates a scan config: the file's structure, then every
 * detector's options against that detector. Errors name the file, the field
 * path and its line, e.g. `scan.yaml:7: options.near-duplicate.threshold: ...`.
 */
export async function loadScanConfig(path: string): Promise<ScanConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ScanError('scan.input_not_found', `config file not found: ${path}`, { cause: err });
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const line = e ? lineCounter.linePos(e.pos[0]).line : 0;
    throw new ScanError('scan.invalid_config', `${path}:${line}: invalid YAML: ${e?.message.split('\n')[0]}`);
  }
  const lineOf = (fieldPath: (string | number)[]): string => {
    for (let n = fieldPath.length; n > 0; n--) {
      const node = doc.getIn(fieldPath.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node?.range) return `:${lineCounter.linePos(node.range[0]).line}`;
    }
    return '';
  };
  const parsed = ScanConfigSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const p = (issue?.path ?? []).map((x) => (typeof x === 'number' ? x : String(x)));
    throw new ScanError(
      'scan.invalid_config',
      `${path}${lineOf(p)}: ${p.join('.') || '(root)'}: ${issue?.message}`,
      {
        details: { file: path, field: p.join('.') },
      },
    );
  }
  const config = parsed.data;
  try {
    if (config.detectors) resolveDetectors(config.detectors);
  } catch (err) {
    throw new ScanError(
      'scan.unknown_detector',
      `${path}${lineOf(['detectors'])}: detectors: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  for (const [id, options] of Object.entries(config.options)) {
    let detector: ReturnType<typeof resolveDetectors>[number];
    try {
      [detector] = resolveDetectors([id]) as [ReturnType<typeof resolveDetectors>[number]];
    } catch (err) {
      throw new ScanError(
        'scan.unknown_detector',
        `${path}${lineOf(['options', id])}: options.${id}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    try {
      detector.configure?.({ options, seed: config.seed ?? 1 });
    } catch (err) {
      const issues = (err as ScanError).details?.issues as { path: string }[] | undefined;
      const field = issues?.[0]?.path ? ['options', id, ...issues[0].path.split('.')] : ['options', id];
      throw new ScanError('scan.invalid_config', `${path}${lineOf(field)}: ${(err as Error).message}`, {
        cause: err,
        details: { file: path, field: field.join('.') },
      });
    }
  }
  return config;
}

/** Narrows a `--fail-on` value. */
export function parseSeverity(value: string, flag = '--fail-on'): Severity {
  const r = SeveritySchema.safeParse(value);
  if (!r.success)
    throw new ScanError(
      'scan.invalid_config',
      `${flag}: "${value}" is not one of info, low, medium, high, critical`,
    );
  return r.data;
}
