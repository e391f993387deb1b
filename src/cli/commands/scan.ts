import type { Command } from 'commander';
import type { RecordShape } from '../../scan/dataset-record.js';
import {
  allDetectors,
  formatProgress,
  loadScanConfig,
  parseReportFormat,
  parseSeverity,
  RECORD_SHAPES,
  renderReport,
  reportFailsAt,
  ScanError,
  type ScanOptions,
  scanDataset,
  writeFileAtomic,
} from '../../scan/index.js';
import { action, ExitRequest } from '../command-output.js';
import { ExitCode } from '../exit-code.js';

interface ScanFlags {
  format: string;
  detectors?: string;
  failOn?: string;
  config?: string;
  output?: string;
  shape?: string;
  strict?: boolean;
  seed?: string;
  workers?: string;
  reviewSample?: string;
  maxRecordBytes?: string;
  progress: boolean;
  json?: boolean;
}

function intFlag(value: string | undefined, flag: string, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new ScanError('scan.invalid_config', `${flag}: expected an integer >= ${min}, got "${value}"`);
  return n;
}

/** Registers `tunegate scan PATH`. */
export function register(program: Command): void {
  program
    .command('scan')
    .description(
      'Scan a dataset (file or directory) for duplicates, label problems, outliers and poisoned content',
    )
    .argument('<path>', 'dataset file (JSONL, JSON, CSV/TSV, Parquet, optionally .gz) or directory')
    .option('-f, --format <format>', 'table | json | jsonl | sarif | html', 'table')
    .option(
      '-d, --detectors <ids>',
      `comma-separated detector ids (default: all): ${allDetectors()
        .map((d) => d.id)
        .join(', ')}`,
    )
    .option(
      '--fail-on <severity>',
      'exit 1 when a finding is at or above this severity (info|low|medium|high|critical)',
    )
    .option('-c, --config <file>', 'scan.yaml with detectors, per-detector options and defaults')
    .option('-o, --output <file>', 'write the report to a file (atomically) instead of stdout')
    .option('--shape <shape>', `force the record shape: ${RECORD_SHAPES.join(', ')}`)
    .option('--strict', 'fail (exit 2) on the first malformed record or unreadable file')
    .option('--seed <n>', 'seed for sampling and projections (reproducible scans)')
    .option('--workers <n>', 'worker threads (default: number of cores; 0 = none)')
    .option(
      '--review-sample <pct>',
      "label-consistency: sample this percent of each labeler's records for review",
    )
    .option('--max-record-bytes <n>', 'longest accepted line/record in bytes (default 16 MiB)')
    .option('--no-progress', 'no progress bar on stderr')
    .option('--json', 'same as --format json')
    .action(
      action(async (path: string, flags: ScanFlags) => {
        const config = flags.config ? await loadScanConfig(flags.config) : undefined;
        const format = parseReportFormat(flags.json ? 'json' : flags.format);
        const failOn = flags.failOn ? parseSeverity(flags.failOn) : config?.fail_on;
        const shapeFlag = flags.shape ?? config?.shape;
        if (shapeFlag !== undefined && !RECORD_SHAPES.includes(shapeFlag as RecordShape)) {
          throw new ScanError(
            'scan.invalid_config',
            `--shape: "${shapeFlag}" is not one of ${RECORD_SHAPES.join(', ')}`,
          );
        }
        const seed = intFlag(flags.seed, '--seed') ?? config?.seed ?? 1;
        const detectorOptions: Record<string, Record<string, unknown>> = { ...(config?.options ?? {}) };
        if (flags.reviewSample !== undefined) {
          const pct = Number(flags.reviewSample);
          if (!(pct > 0 && pct <= 100))
            throw new ScanError(
              'scan.invalid_config',
              `--review-sample: expected a percent in (0, 100], got "${flags.reviewSample}"`,
            );
          detectorOptions['label-consistency'] = {
            ...(detectorOptions['label-consistency'] ?? {}),
            review_sample_pct: pct,
          };
        }
        const maxRecordBytes =
          intFlag(flags.maxRecordBytes, '--max-record-bytes', 1) ?? config?.max_record_bytes;
        const controller = new AbortController();
        const onSigint = () => controller.abort();
        process.once('SIGINT', onSigint);
        const tty = flags.progress && process.stderr.isTTY === true;
        const options: ScanOptions = {
          detectors: flags.detectors
            ? flags.detectors
                .split(',')
                .map((s) => s.trim())
                .filter(Boolean)
            : config?.detectors,
          detectorOptions,
          strict: flags.strict ?? config?.strict ?? false,
          seed,
          signal: controller.signal,
          ...(shapeFlag ? { shape: shapeFlag as RecordShape } : {}),
          ...(flags.workers !== undefined ? { workers: intFlag(flags.workers, '--workers') } : {}),
          ...(maxRecordBytes ? { limits: { maxRecordBytes } } : {}),
          ...(tty ? { onProgress: (p) => process.stderr.write(`\r${formatProgress(p)}\x1b[K`) } : {}),
        };
        let result: Awaited<ReturnType<typeof scanDataset>>;
        try {
          result = await scanDataset(path, options);
        } finally {
          process.removeListener('SIGINT', onSigint);
          if (tty) process.stderr.write('\n');
        }
        const rules = allDetectors().map((d) => ({
          id: d.id,
          description: d.description,
          defaultSeverity: d.defaultSeverity,
        }));
        const text = renderReport(result.report, format, { rules });
        if (flags.output) await writeFileAtomic(flags.output, text);
        else process.stdout.write(text);
        if (failOn && reportFailsAt(result.report, failOn)) throw new ExitRequest(ExitCode.checkFailed);
      }),
    );
}
