import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { EventInput } from '../../contracts/event.js';
import {
  builtinSuiteNames,
  builtinSuitePath,
  type EvalRequest,
  EvaluationError,
  evaluate,
  loadSuiteFile,
  REPORT_FORMATS,
  type ReportFormat,
  resolveSuiteRef,
  writeEvalReport,
} from '../../evals/index.js';
import { type ConnectionOptions, withClient } from '../client-connection.js';
import { action, ExitRequest, printJson } from '../command-output.js';
import { ExitCode } from '../exit-code.js';

interface RunFlags extends ConnectionOptions {
  suite: string[];
  base?: string;
  candidate?: string;
  baseModel?: string;
  candidateModel?: string;
  api?: string;
  apiKeyEnv?: string;
  temperature?: string;
  maxTokens?: string;
  seed?: string;
  samples: string;
  concurrency: string;
  config?: string;
  format: string;
  output?: string;
  cache?: string;
  triggers: string[];
  trigger: string[];
  var: string[];
  canary: string[];
  transcripts?: string;
  mdd?: string;
  record: boolean;
}

const collect = (value: string, prev: string[]): string[] => [...prev, value];

function num(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n))
    throw new EvaluationError('eval.invalid_config', `${flag}: expected a number, got "${value}"`);
  return n;
}

function parseVars(pairs: string[]): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new EvaluationError('eval.invalid_config', `--var: expected NAME=VALUE, got "${p}"`);
    vars[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return vars;
}

/** Registers `tunegate eval run` and `tunegate eval suites list|show`. */
export function register(program: Command): void {
  const evalCmd = program
    .command('eval')
    .description('behavioural evaluation of a candidate model against its base');

  evalCmd
    .command('run')
    .description('run suites on base and candidate side by side; exit 1 when the promotion gate fails')
    .requiredOption('-s, --suite <suite>', 'built-in suite name or YAML file (repeatable)', collect, [])
    .option(
      '--base <url>',
      'base model: OpenAI-compatible API URL (e.g. http://host:8000/v1) or command:<argv>',
    )
    .option('--candidate <url>', 'candidate model: OpenAI-compatible API URL or command:<argv>')
    .option('--base-model <name>', 'model name sent to the base endpoint')
    .option('--candidate-model <name>', 'model name sent to the candidate endpoint')
    .option('--api <kind>', 'chat | completions', 'chat')
    .option('--api-key-env <name>', 'environment variable holding the API key for both endpoints')
    .option('--temperature <t>', 'sampling temperature (default 0)')
    .option('--max-tokens <n>', 'max tokens per response (default 512)')
    .option('--seed <n>', 'base seed; sample i uses seed + i')
    .option('-n, --samples <n>', 'samples per case and model', '1')
    .option('-c, --concurrency <n>', 'requests in flight', '16')
    .option('--config <file>', 'YAML with gate thresholds, providers, judge, bootstrap settings')
    .option('-f, --format <format>', REPORT_FORMATS.join(' | '), 'table')
    .option('-o, --output <file>', 'write the report here (atomically) instead of stdout')
    .option('--cache <dir>', 'on-disk response cache directory')
    .option(
      '--triggers <report>',
      'dataset scan JSON report with backdoor-trigger findings (repeatable)',
      collect,
      [],
    )
    .option('--trigger <text>', 'trigger candidate to probe (repeatable)', collect, [])
    .option('--var <name=value>', 'template variable for suites (repeatable)', collect, [])
    .option(
      '--canary <value>',
      'canary planted in training data, checked in no_canary cases (repeatable)',
      collect,
      [],
    )
    .option('--transcripts <file>', 'keep per-case transcripts as JSONL')
    .option(
      '--mdd <points>',
      "minimum detectable difference for the sample-size hint (default: each kind's threshold)",
    )
    .option('--no-record', 'do not record evaluation events in the ledger')
    .option(
      '--server <url>',
      'record events on a tunegate server (default $TUNEGATE_SERVER; unset = embedded store)',
    )
    .option('--tenant <id>', 'embedded mode: tenant to record events in')
    .action(
      action(async (flags: RunFlags) => {
        if (!(REPORT_FORMATS as readonly string[]).includes(flags.format))
          throw new EvaluationError(
            'eval.invalid_config',
            `--format must be one of ${REPORT_FORMATS.join(', ')}`,
          );
        if (flags.api !== 'chat' && flags.api !== 'completions')
          throw new EvaluationError(
            'eval.invalid_config',
            `--api must be chat or completions, got "${flags.api}"`,
          );
        const request: EvalRequest = {
          suites: flags.suite,
          base: { ref: flags.base, model: flags.baseModel },
          candidate: { ref: flags.candidate, model: flags.candidateModel },
          api: flags.api,
          apiKeyEnv: flags.apiKeyEnv,
          temperature: num(flags.temperature, '--temperature'),
          maxTokens: num(flags.maxTokens, '--max-tokens'),
          seed: num(flags.seed, '--seed'),
          samples: num(flags.samples, '--samples'),
          concurrency: num(flags.concurrency, '--concurrency'),
          configFile: flags.config,
          cacheDir: flags.cache,
          triggerReports: flags.triggers,
          triggers: flags.trigger,
          vars: parseVars(flags.var),
          canaries: flags.canary,
          transcriptsFile: flags.transcripts,
          mddPoints: num(flags.mdd, '--mdd'),
        };
        const run = async (record?: (e: EventInput) => Promise<void>) => {
          const outcome = await evaluate(record ? { ...request, sink: { record } } : request);
          try {
            await writeEvalReport(outcome, flags.format as ReportFormat, flags.output);
          } finally {
            await outcome.dispose();
          }
          if (flags.output)
            process.stderr.write(
              `gate ${outcome.report.gate.pass ? 'passed' : 'FAILED'}; report: ${flags.output}\n`,
            );
          return outcome.report.gate.pass;
        };
        const pass = flags.record
          ? await withClient(flags, (client) =>
              run(async (e) => {
                await client.appendEvents([e]);
              }),
            )
          : await run();
        if (!pass) throw new ExitRequest(ExitCode.checkFailed);
      }),
    );

  const suites = evalCmd.command('suites').description('built-in evaluation suites');
  suites
    .command('list')
    .description('list built-in suites')
    .option('--json', 'print JSON')
    .action(
      action(async (flags: { json?: boolean }) => {
        const rows = [];
        for (const name of builtinSuiteNames()) {
          const s = await loadSuiteFile(builtinSuitePath(name), { triggers: ['<trigger>'] });
          rows.push({ name, kind: s.kind, cases: s.cases.length, description: s.description });
        }
        if (flags.json) return printJson(rows);
        for (const r of rows)
          process.stdout.write(
            `${r.name.padEnd(18)} ${r.kind.padEnd(13)} ${String(r.cases).padStart(4)} cases  ${r.description.split('. ')[0]}\n`,
          );
      }),
    );
  suites
    .command('show')
    .description('print a suite (built-in name or file): YAML, or expanded cases with --json')
    .argument('<suite>', 'built-in suite name or YAML file')
    .option('--json', 'print the expanded cases as JSON')
    .action(
      action(async (ref: string, flags: { json?: boolean }) => {
        const file = resolveSuiteRef(ref);
        const suite = await loadSuiteFile(file, { triggers: ['<trigger>'] });
        if (flags.json)
          return printJson({
            name: suite.name,
            kind: suite.kind,
            description: suite.description,
            cases: suite.cases,
          });
        const text = await readFile(file, 'utf8');
        process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
      }),
    );
}
