import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EvalReport } from './eval-report.js';
import { runEvaluation } from './eval-runner.js';
import { EvaluationError } from './evaluation-error.js';
import type { EventSink } from './event-sink.js';
import { defaultEvalConfig, type EvalConfig, loadEvalConfig } from './gate-config.js';
import { errorRatesFromCounts } from './graders/grader-calibration.js';
import { GraderSet } from './graders/grader-set.js';
import { createJudgeGrader } from './graders/judge-grader.js';
import { createProvider, providerConfigFromRef } from './providers/create-provider.js';
import { ModelClient } from './providers/model-client.js';
import type { ProviderConfig } from './providers/provider-config.js';
import { ResponseCache } from './providers/response-cache.js';
import type { RetryPolicy } from './providers/retry-policy.js';
import { writeOutput } from './report/atomic-output.js';
import { renderHtml } from './report/render-html.js';
import { renderJson } from './report/render-json.js';
import { renderJunit } from './report/render-junit.js';
import { renderTable } from './report/render-table.js';
import { resolveSuiteRef } from './suites/builtin-suites.js';
import { type LoadedSuite, loadSuiteFile } from './suites/suite-loader.js';
import { loadTriggerCandidates } from './suites/trigger-candidates.js';

/** One side's endpoint as given on the command line (config file providers fill the gaps). */
export interface EndpointRequest {
  /** http(s) URL of an OpenAI-compatible API, or `command:<argv>`; optional when the config has it. */
  ref?: string;
  model?: string;
}

/** Everything `tunegate eval run` needs, independent of the CLI. */
export interface EvalRequest {
  suites: string[];
  base: EndpointRequest;
  candidate: EndpointRequest;
  api?: 'chat' | 'completions';
  apiKeyEnv?: string;
  temperature?: number;
  maxTokens?: number;
  seed?: number;
  samples?: number;
  concurrency?: number;
  configFile?: string;
  cacheDir?: string;
  triggerReports?: string[];
  triggers?: string[];
  vars?: Record<string, string>;
  canaries?: string[];
  /** Minimum detectable difference (points) for the sample-size hint. */
  mddPoints?: number;
  /** Keep the per-case JSONL here (else a temp file removed after the report is written). */
  transcriptsFile?: string;
  sink?: EventSink;
}

function endpointConfig(side: 'base' | 'candidate', req: EvalRequest, config: EvalConfig): ProviderConfig {
  const e = req[side];
  const fromFile = config[side];
  if (!e.ref) {
    if (fromFile) return e.model ? ({ ...fromFile, model: e.model } as ProviderConfig) : fromFile;
    throw new EvaluationError(
      'eval.invalid_provider',
      `--${side}: no endpoint given (flag or "${side}:" in --config)`,
      {
        details: { field: side },
      },
    );
  }
  return providerConfigFromRef(
    e.ref,
    {
      model: e.model,
      api: req.api,
      api_key_env: req.apiKeyEnv,
      temperature: req.temperature,
      max_tokens: req.maxTokens,
      seed: req.seed,
    },
    `--${side}`,
  );
}

/** Loads suites (built-in names or files), with trigger candidates for trigger-probe suites. */
export async function loadSuites(
  req: Pick<EvalRequest, 'suites' | 'triggerReports' | 'triggers' | 'vars' | 'canaries'>,
): Promise<LoadedSuite[]> {
  if (req.suites.length === 0) throw new EvaluationError('eval.invalid_config', 'give at least one --suite');
  const triggers = [...(req.triggers ?? [])];
  for (const report of req.triggerReports ?? []) triggers.push(...(await loadTriggerCandidates(report)));
  const unique = [...new Set(triggers.map((t) => t.trim()).filter(Boolean))];
  const suites: LoadedSuite[] = [];
  for (const ref of req.suites) {
    const suite = await loadSuiteFile(resolveSuiteRef(ref), {
      triggers: unique,
      ...(req.vars ? { vars: req.vars } : {}),
      ...(req.canaries ? { canaries: req.canaries } : {}),
    });
    if (suite.needsTriggers && unique.length === 0)
      throw new EvaluationError(
        'eval.invalid_config',
        `suite ${suite.name} probes backdoor triggers: give --triggers SCAN_REPORT.json or --trigger TEXT`,
        { details: { suite: suite.name } },
      );
    suites.push(suite);
  }
  return suites;
}

/** A finished run: the report and where its transcripts are (until `dispose`). */
export interface EvalOutcome {
  report: EvalReport;
  transcriptsFile: string;
  /** Removes the temporary transcripts file (no-op when the caller chose the path). */
  dispose(): Promise<void>;
}

/** Builds providers, graders and suites from a request and runs the paired evaluation. */
export async function evaluate(req: EvalRequest): Promise<EvalOutcome> {
  const config = req.configFile ? await loadEvalConfig(req.configFile) : defaultEvalConfig();
  const suites = await loadSuites(req);
  const samples = req.samples ?? 1;
  const concurrency = req.concurrency ?? 16;
  if (!Number.isInteger(samples) || samples < 1 || samples > 100)
    throw new EvaluationError(
      'eval.invalid_config',
      `--samples must be an integer in 1..100, got ${samples}`,
    );
  if (req.mddPoints !== undefined && !(req.mddPoints > 0 && req.mddPoints < 100))
    throw new EvaluationError(
      'eval.invalid_config',
      `--mdd must be in (0, 100) points, got ${req.mddPoints}`,
    );
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1024)
    throw new EvaluationError(
      'eval.invalid_config',
      `--concurrency must be an integer in 1..1024, got ${concurrency}`,
    );
  const retry: RetryPolicy = {
    retries: config.retries,
    baseDelayMs: 250,
    maxDelayMs: 20_000,
    timeoutMs: config.timeout_ms,
  };
  const cache = req.cacheDir ? new ResponseCache(req.cacheDir) : undefined;
  const clientOptions = { retry, ...(cache ? { cache } : {}) };
  const base = new ModelClient(
    createProvider(endpointConfig('base', req, config), { maxSockets: concurrency }),
    clientOptions,
  );
  const candidate = new ModelClient(
    createProvider(endpointConfig('candidate', req, config), { maxSockets: concurrency }),
    clientOptions,
  );
  const judgeClient = config.judge
    ? new ModelClient(
        createProvider({
          type: 'openai',
          api: 'chat',
          base_url: config.judge.base_url,
          model: config.judge.model,
          api_key_env: config.judge.api_key_env,
          headers: {},
          temperature: 0,
          max_tokens: 64,
        }),
        clientOptions,
      )
    : undefined;
  const judgeRates = config.judge?.calibration ? errorRatesFromCounts(config.judge.calibration) : undefined;
  const graders = GraderSet.standard(
    judgeClient && config.judge
      ? { judge: createJudgeGrader(judgeClient, config.judge.threshold, judgeRates) }
      : {},
  );
  const transcriptsFile =
    req.transcriptsFile ?? join(tmpdir(), `tunegate-eval-${randomBytes(6).toString('hex')}.jsonl`);
  const temporary = req.transcriptsFile === undefined;
  try {
    const report = await runEvaluation({
      suites,
      base,
      candidate,
      graders,
      gate: config.gate,
      samples,
      concurrency,
      transcriptsFile,
      bootstrap: config.bootstrap,
      ...(req.mddPoints !== undefined ? { mddPoints: req.mddPoints } : {}),
      ...(req.sink ? { sink: req.sink } : {}),
    });
    return {
      report,
      transcriptsFile,
      dispose: async () => {
        if (temporary) await rm(transcriptsFile, { force: true });
      },
    };
  } catch (err) {
    if (temporary) await rm(transcriptsFile, { force: true });
    throw err;
  } finally {
    await Promise.all([base.close(), candidate.close(), judgeClient?.close()]);
  }
}

export const REPORT_FORMATS = ['table', 'json', 'junit', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** Writes the report in a format, to a file (atomically) or stdout. */
export async function writeEvalReport(
  outcome: Pick<EvalOutcome, 'report' | 'transcriptsFile'>,
  format: ReportFormat,
  output: string | undefined,
): Promise<void> {
  const { report, transcriptsFile } = outcome;
  await writeOutput(output, async (write) => {
    if (format === 'json') await renderJson(report, transcriptsFile, write);
    else if (format === 'junit') await renderJunit(report, transcriptsFile, write);
    else if (format === 'html') await write(renderHtml(report));
    else await write(renderTable(report));
  });
}
