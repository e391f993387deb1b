import { type Dispatcher, Pool } from 'undici';
import { EvaluationError } from '../evaluation-error.js';
import type { ChatMessage } from '../suites/suite-schema.js';
import { onAbort } from './attempt-signal.js';
import { type ModelProvider, type ModelRequest, ProviderCallError } from './model-provider.js';
import type { OpenAiProviderConfig } from './provider-config.js';
import { parseRetryAfter } from './retry-policy.js';

/** Limits what a misbehaving endpoint can make us buffer for one response. */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

interface HttpReply {
  status: number;
  retryAfter: string | undefined;
  text: string;
}

/**
 * One request's undici dispatch handler. A class rather than an object of closures:
 * at thousands of requests per second the per-request closures are measurable.
 */
class Exchange implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private settled = false;
  private status = 0;
  private retryAfter: string | undefined;
  private size = 0;
  private readonly chunks: Buffer[] = [];
  unsubscribe: (() => void) | undefined;

  constructor(
    private readonly href: string,
    private readonly resolve: (reply: HttpReply) => void,
    private readonly reject: (err: Error) => void,
  ) {}

  /** Called by the caller's signal (timeout, or the run was aborted). */
  readonly cancel = (reason: unknown): void => {
    this.controller?.abort(new Error('aborted'));
    this.fail(new ProviderCallError(`aborted (${this.href})`, true, { cause: reason }));
  };

  fail(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.unsubscribe?.();
    this.reject(err);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // Aborted while queued for a connection: do not send it at all.
    if (this.settled) controller.abort(new Error('aborted'));
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    this.status = statusCode;
    const ra = headers['retry-after'];
    this.retryAfter = Array.isArray(ra) ? ra[0] : ra;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size > MAX_RESPONSE_BYTES) {
      const err = new ProviderCallError(
        `response from ${this.href} exceeds ${MAX_RESPONSE_BYTES} bytes`,
        false,
      );
      controller.abort(err);
      this.fail(err);
      return;
    }
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.settled) return;
    this.settled = true;
    this.unsubscribe?.();
    const buf = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    this.resolve({ status: this.status, retryAfter: this.retryAfter, text: buf.toString('utf8') });
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    // Network failures (reset, refused) are worth a retry.
    this.fail(new ProviderCallError(`${err.message} (${this.href})`, true, { cause: err }));
  }
}

/**
 * OpenAI-compatible chat/completions provider over an undici connection pool
 * (keep-alive, one connection per concurrent request up to `maxSockets`). It uses
 * undici's dispatcher interface directly: no response stream and no per-request
 * timers, because timeouts and aborts come from the caller's signal
 * ({@link ModelClient}). On loopback this sustains about twice the requests per
 * CPU-second of `node:http` with a keep-alive agent (see bench/eval-throughput.ts).
 */
export class OpenAiProvider implements ModelProvider {
  readonly label: string;
  readonly identity: Readonly<Record<string, unknown>>;
  private readonly url: URL;
  private readonly pool: Pool;
  private readonly headers: Record<string, string>;
  private readonly path: string;
  /** `{"model":...,"temperature":...,"max_tokens":...,` serialised once. */
  private readonly bodyPrefix: string;

  constructor(
    private readonly config: OpenAiProviderConfig,
    options: { maxSockets?: number; env?: NodeJS.ProcessEnv } = {},
  ) {
    const base = config.base_url.endsWith('/') ? config.base_url : `${config.base_url}/`;
    this.url = new URL(config.api === 'chat' ? 'chat/completions' : 'completions', base);
    this.path = `${this.url.pathname}${this.url.search}`;
    this.headers = { 'content-type': 'application/json', ...config.headers };
    if (config.api_key_env) {
      const key = (options.env ?? process.env)[config.api_key_env];
      if (!key)
        throw new EvaluationError(
          'eval.invalid_provider',
          `environment variable ${config.api_key_env} (API key) is not set`,
          {
            details: { field: 'api_key_env' },
          },
        );
      this.headers.authorization = `Bearer ${key}`;
    }
    this.pool = new Pool(this.url.origin, {
      connections: options.maxSockets ?? 64,
      // Timeouts are the caller's (one deadline wheel for all requests), not undici's
      // per-request timers; a slow model may legitimately take minutes to the first byte.
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    const constant = JSON.stringify({
      model: config.model,
      temperature: config.temperature,
      max_tokens: config.max_tokens,
    });
    this.bodyPrefix = `${constant.slice(0, -1)},`;
    this.label = `openai-${config.api} ${config.model} @ ${config.base_url}`;
    // The key and headers are left out: they do not change the output and must not reach disk.
    this.identity = {
      type: 'openai',
      api: config.api,
      base_url: config.base_url,
      model: config.model,
      temperature: config.temperature,
      max_tokens: config.max_tokens,
      seed: config.seed,
    };
  }

  async generate(request: ModelRequest, signal: AbortSignal): Promise<string> {
    const c = this.config;
    // The constant part of the body is serialised once (see `bodyPrefix`); the same keys in
    // the same order as JSON.stringify of the whole object would give.
    const seed = c.seed !== undefined ? `"seed":${c.seed + request.sample},` : '';
    const payload =
      c.api === 'chat'
        ? `${this.bodyPrefix}${seed}"messages":${JSON.stringify(request.messages)}}`
        : `${this.bodyPrefix}${seed}"prompt":${JSON.stringify(completionPrompt(request.messages))}}`;
    const { status, retryAfter, text } = await this.post(payload, signal);
    if (status === 429 || status >= 500) {
      throw new ProviderCallError(`HTTP ${status} from ${this.url.href}`, true, {
        status,
        retryAfterMs: parseRetryAfter(retryAfter),
      });
    }
    if (status < 200 || status >= 300)
      throw new ProviderCallError(`HTTP ${status} from ${this.url.href}: ${text.slice(0, 200)}`, false, {
        status,
      });
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new ProviderCallError(`invalid JSON from ${this.url.href}`, false, { cause: err });
    }
    const choice = (parsed as { choices?: { message?: { content?: unknown }; text?: unknown }[] })
      .choices?.[0];
    const out = c.api === 'chat' ? choice?.message?.content : choice?.text;
    if (typeof out === 'string') return out;
    if (out === null && c.api === 'chat') return '';
    throw new ProviderCallError(`response from ${this.url.href} has no choices[0] text`, false);
  }

  private post(payload: string, signal: AbortSignal): Promise<HttpReply> {
    if (signal.aborted)
      return Promise.reject(
        new ProviderCallError(`aborted (${this.url.href})`, true, { cause: signal.reason }),
      );
    return new Promise<HttpReply>((resolve, reject) => {
      const exchange = new Exchange(this.url.href, resolve, reject);
      // The signal is not aborted yet, so this never calls back synchronously.
      exchange.unsubscribe = onAbort(signal, exchange.cancel);
      try {
        this.pool.dispatch(
          { path: this.path, method: 'POST', headers: this.headers, body: payload },
          exchange,
        );
      } catch (err) {
        // A closed pool or invalid request options throw synchronously.
        exchange.fail(
          new ProviderCallError(`${(err as Error).message} (${this.url.href})`, false, { cause: err }),
        );
      }
    });
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}

/** Flattens chat turns for plain completion endpoints. */
export function completionPrompt(messages: readonly ChatMessage[]): string {
  const turns = messages.map(
    (m) => `${m.role === 'user' ? 'User' : m.role === 'system' ? 'System' : 'Assistant'}: ${m.content}`,
  );
  return `${turns.join('\n\n')}\n\nAssistant:`;
}
