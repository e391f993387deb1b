import type { ChatMessage } from '../suites/suite-schema.js';

/** One generation request: the conversation and which sample (0-based) of the case it is. */
export interface ModelRequest {
  messages: ChatMessage[];
  sample: number;
}

/**
 * A model endpoint. Providers do one attempt per call and report failures as
 * {@link ProviderCallError}; retries, timeouts and caching live in {@link ModelClient}
 * so that every provider gets them the same way.
 */
export interface ModelProvider {
  /** Human-readable name for reports, e.g. `openai-chat llama-3-8b @ http://...`. */
  readonly label: string;
  /** Everything that changes the output (type, endpoint, model, parameters): part of the cache key. */
  readonly identity: Readonly<Record<string, unknown>>;
  /**
   * One attempt. `signal` aborts on the attempt's timeout or when the run stops. Subscribe
   * with `onAbort` (attempt-signal.ts) for the cheap path; a signal subscribed that way may
   * be reused for a later attempt once the returned promise settles, so do not keep it.
   */
  generate(request: ModelRequest, signal: AbortSignal): Promise<string>;
  /** Releases sockets and child processes. */
  close(): Promise<void>;
}

/** A failed attempt; `retryable` marks 429/5xx/network failures. */
export class ProviderCallError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly options: { status?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProviderCallError';
  }
}
