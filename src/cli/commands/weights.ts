import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  ArtifactError,
  addToBaseline,
  analyzeLora,
  checkpointFingerprint,
  diffWeights,
  failsAt,
  findBaseline,
  loadBaseline,
  loadWeightsPolicy,
  openCheckpoint,
  parseFailOn,
  parseFormat,
  parseWeightsPolicy,
  renderWeightsSummary,
} from '../../artifacts/index.js';
import type { ScanReport } from '../../contracts/finding.js';
import { renderReport, writeFileAtomic } from '../../scan/index.js';
import { action, ExitRequest, printJson } from '../command-output.js';
import { ExitCode } from '../exit-code.js';

interface OutputFlags {
  format: string;
  failOn: string;
  output?: string;
  json?: boolean;
}

async function emit(report: ScanReport, flags: OutputFlags): Promise<void> {
  const format = parseFormat(flags.json ? 'json' : flags.format);
  const failOn = parseFailOn(flags.failOn);
  let text = renderReport(report, format);
  if (format === 'table') text += renderWeightsSummary(report);
  if (flags.output) await writeFileAtomic(flags.output, text);
  else process.stdout.write(text);
  if (failsAt(report, failOn)) throw new ExitRequest(ExitCode.checkFailed);
}

function workersFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new ArtifactError('artifact.invalid_config', `--workers: expected an integer >= 0, got "${value}"`);
  return n;
}

const outputOptions = (cmd: Command) =>
  cmd
    .option('-f, --format <format>', 'table | json | jsonl | sarif | html', 'table')
    .option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity', 'high')
    .option('-o, --output <file>', 'write the report to a file (atomically) instead of stdout')
    .option('--json', 'same as --format json');

/** Registers `tunegate weights diff|baseline add|lora`. */
export function register(program: Command): void {
  const weights = program
    .command('weights')
    .description('Compare fine-tuned weights with their base; analyse LoRA adapters');

  outputOptions(
    weights
      .command('diff')
      .description('Per-tensor and per-layer weight deltas of a fine-tune against its base, with findings')
      .argument('<base>', 'base checkpoint: .safetensors file or directory')
      .argument('<finetuned>', 'fine-tuned checkpoint: .safetensors file or directory')
      .option(
        '--baseline <file>',
        'baseline JSON of approved fine-tunes (default: $TUNEGATE_HOME/baselines/<base fingerprint>.json if present)',
      )
      .option(
        '-c, --config <file>',
        'weights policy (YAML/JSON): thresholds, declared_modules, safety_critical',
      )
      .option(
        '--declared-modules <list>',
        'comma-separated module names the fine-tune was declared to train (e.g. q_proj,v_proj)',
      )
      .option('--workers <n>', 'worker threads (default: number of cores; 0 = none)'),
  ).action(
    action(
      async (
        base: string,
        finetuned: string,
        flags: OutputFlags & {
          baseline?: string;
          config?: string;
          declaredModules?: string;
          workers?: string;
        },
      ) => {
        parseFormat(flags.json ? 'json' : flags.format);
        parseFailOn(flags.failOn);
        let policy = flags.config ? loadWeightsPolicy(flags.config) : parseWeightsPolicy({});
        if (flags.declaredModules)
          policy = {
            ...policy,
            declared_modules: flags.declaredModules
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean),
          };
        const baseline = flags.baseline
          ? loadBaseline(flags.baseline)
          : findBaseline(checkpointFingerprint(openCheckpoint(base)));
        const workers = workersFlag(flags.workers);
        const { report } = await diffWeights(base, finetuned, {
          policy,
          baseline,
          ...(workers !== undefined ? { workers } : {}),
        });
        await emit(report, flags);
      },
    ),
  );

  weights
    .command('baseline')
    .description('Manage baselines of approved fine-tunes')
    .command('add')
    .description(
      'Add an approved fine-tune (a `weights diff --format json` report) to the baseline of its base model',
    )
    .argument('<report>', 'weights diff report (JSON)')
    .option('--json', 'print the result as JSON')
    .action(
      action(async (reportPath: string, flags: { json?: boolean }) => {
        let doc: unknown;
        try {
          doc = JSON.parse(await readFile(reportPath, 'utf8'));
        } catch (err) {
          throw new ArtifactError(
            (err as NodeJS.ErrnoException).code === 'ENOENT'
              ? 'artifact.input_not_found'
              : 'artifact.malformed_input',
            `${reportPath}: cannot read a JSON report`,
            { cause: err },
          );
        }
        const r = await addToBaseline(doc);
        if (flags.json) printJson(r);
        else process.stdout.write(`baseline ${r.path}: ${r.fine_tunes} approved fine-tune(s)\n`);
      }),
    );

  outputOptions(
    weights
      .command('lora')
      .description('Check a LoRA adapter against its config and measure the exact spectrum of each update')
      .argument('<adapter-dir>', 'directory with adapter_config.json and adapter_model.safetensors')
      .option('--base <path>', 'base checkpoint, for relative sizes and DoRA rescaling')
      .option('-c, --config <file>', 'weights policy (YAML/JSON)'),
  ).action(
    action(async (dir: string, flags: OutputFlags & { base?: string; config?: string }) => {
      parseFormat(flags.json ? 'json' : flags.format);
      parseFailOn(flags.failOn);
      const policy = flags.config ? loadWeightsPolicy(flags.config) : parseWeightsPolicy({});
      const { report } = analyzeLora(dir, { policy, ...(flags.base ? { base: flags.base } : {}) });
      await emit(report, flags);
    }),
  );
}
