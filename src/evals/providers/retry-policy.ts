import { EvaluationError } from '../evaluation-error.js';
import { ProviderCallError } from './model-provider.js';

/** Retry and timeout settings of a model client. */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Per-attempt timeout. */
  timeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  retries: 4,
  baseDelayMs: 250,
  maxDelayMs: 20_000,
  timeoutMs: 60_000,
};

/**
 * "Full jitter" exponential backoff (AWS architecture blog): uniform in
 * [0, min(max, base * 2^attempt)], which spreads retries of many concurrent
 * workers instead of synchronising them. A server's Retry-After wins when larger.
 */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  retryAfterMs?: number,
  random = Math.random,
): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  const jittered = random() * cap;
  return retryAfterMs !== undefined
    ? Math.max(jittered, Math.min(retryAfterMs, policy.maxDelayMs * 4))
    : jittered;
}

/** Parses a Retry-After header (delta-seconds or HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `attempt` with a per-attempt timeout (AbortController) and retries
 * retryable failures. Throws {@link EvaluationError} `eval.provider_timeout`,
 * `eval.provider_unavailable` (retries exhausted) or `eval.provider_failed`.
 */
export async function withRetries<T>(
  label: string,
  policy: RetryPolicy,
  attempt: (signal: AbortSignal) => Promise<T>,
  outer?: AbortSignal,
): Promise<T> {
  let last: unknown;
  for (let i = 0; i <= policy.retries; i++) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('timeout')), policy.timeoutMs);
    const onOuter = (): void => controller.abort(outer?.reason);
    outer?.addEventListener('abort', onOuter, { once: true });
    try {
      return await attempt(controller.signal);
    } catch (err) {
      last = err;
      if (outer?.aborted) throw err;
      const timedOut = controller.signal.aborted;
      const retryable = timedOut || (err instanceof ProviderCallError && err.retryable);
      if (!retryable) {
        throw new EvaluationError('eval.provider_failed', `${label}: ${(err as Error).message}`, {
          cause: err,
        });
      }
      if (i === policy.retries) break;
      const retryAfter = err instanceof ProviderCallError ? err.options.retryAfterMs : undefined;
      await sleep(backoffDelay(i, policy, retryAfter), outer);
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuter);
    }
  }
  const timedOut = last instanceof Error && /timeout|aborted/i.test(last.message);
  throw new EvaluationError(
    timedOut ? 'eval.provider_timeout' : 'eval.provider_unavailable',
    `${label}: giving up after ${policy.retries + 1} attempts: ${(last as Error)?.message ?? String(last)}`,
    { cause: last },
  );
}
