import type { ModelProvider, ModelRequest } from './model-provider.js';
import { cacheKey, type ResponseCache } from './response-cache.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, withRetries } from './retry-policy.js';

/** A response and whether it came from the cache. */
export interface ModelResult {
  text: string;
  cached: boolean;
  latencyMs: number;
}

/** Wraps a provider with the on-disk cache, per-attempt timeouts and retries. */
export class ModelClient {
  constructor(
    readonly provider: ModelProvider,
    private readonly options: { cache?: ResponseCache; retry?: RetryPolicy } = {},
  ) {}

  async generate(request: ModelRequest, signal?: AbortSignal): Promise<ModelResult> {
    const started = performance.now();
    const cache = this.options.cache;
    const key = cache ? cacheKey(this.provider.identity, request) : undefined;
    if (cache && key) {
      const hit = await cache.get(key);
      if (hit !== undefined) return { text: hit, cached: true, latencyMs: performance.now() - started };
    }
    const text = await withRetries(
      this.provider.label,
      this.options.retry ?? DEFAULT_RETRY_POLICY,
      (s) => this.provider.generate(request, s),
      signal,
    );
    if (cache && key) await cache.set(key, text);
    return { text, cached: false, latencyMs: performance.now() - started };
  }

  close(): Promise<void> {
    return this.provider.close();
  }
}
