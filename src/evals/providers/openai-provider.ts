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
    const common = {
      model: c.model,
      temperature: c.temperature,
      max_tokens: c.max_tokens,
      ...(c.seed !== undefined ? { seed: c.seed + request.sample } : {}),
    };
    const body =
      c.api === 'chat'
        ? { ...common, messages: request.messages }
        : { ...common, prompt: completionPrompt(request.messages) };
    const { status, retryAfter, text } = await this.post(JSON.stringify(body), signal);
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
      let controller: Dispatcher.DispatchController | undefined;
      let settled = false;
      let unsubscribe: (() => void) | undefined;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        unsubscribe?.();
        reject(err);
      };
      // The signal is not aborted yet, so this never calls back synchronously.
      unsubscribe = onAbort(signal, (reason) => {
        controller?.abort(new Error('aborted'));
        fail(new ProviderCallError(`aborted (${this.url.href})`, true, { cause: reason }));
      });
      let status = 0;
      let retryAfter: string | undefined;
      let size = 0;
      const chunks: Buffer[] = [];
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart: (ctl) => {
          controller = ctl;
          // Aborted while queued for a connection: do not send it at all.
          if (settled) ctl.abort(new Error('aborted'));
        },
        onResponseStart: (_ctl, statusCode, headers) => {
          status = statusCode;
          const ra = headers['retry-after'];
          retryAfter = Array.isArray(ra) ? ra[0] : ra;
        },
        onResponseData: (ctl, chunk) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            const err = new ProviderCallError(
              `response from ${this.url.href} exceeds ${MAX_RESPONSE_BYTES} bytes`,
              false,
            );
            ctl.abort(err);
            fail(err);
            return;
          }
          chunks.push(chunk);
        },
        onResponseEnd: () => {
          if (settled) return;
          settled = true;
          unsubscribe?.();
          const buf = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
          resolve({ status, retryAfter, text: buf.toString('utf8') });
        },
        onResponseError: (_ctl, err) => {
          // Network failures (reset, refused) are worth a retry.
          fail(new ProviderCallError(`${err.message} (${this.url.href})`, true, { cause: err }));
        },
      };
      try {
        this.pool.dispatch(
          { path: this.path, method: 'POST', headers: this.headers, body: payload },
          handler,
        );
      } catch (err) {
        // A closed pool or invalid request options throw synchronously.
        fail(new ProviderCallError(`${(err as Error).message} (${this.url.href})`, false, { cause: err }));
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
