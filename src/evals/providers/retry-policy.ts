import { EvaluationError } from '../evaluation-error.js';
import { DeadlineWheel, newAttempt, releaseAttempt } from './attempt-signal.js';
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

/** One wheel per timeout value: in practice one or two per process. */
const wheels = new Map<number, DeadlineWheel>();

function wheelFor(timeoutMs: number): DeadlineWheel {
  let wheel = wheels.get(timeoutMs);
  if (!wheel) {
    wheel = new DeadlineWheel(timeoutMs);
    wheels.set(timeoutMs, wheel);
  }
  return wheel;
}

/**
 * Runs `attempt` with a per-attempt timeout and retries retryable failures. Each
 * attempt gets its own AbortSignal, aborted on timeout or when `outer` aborts; the
 * timeouts share a {@link DeadlineWheel} rather than costing a timer each. Throws
 * {@link EvaluationError} `eval.provider_timeout`, `eval.provider_unavailable`
 * (retries exhausted) or `eval.provider_failed`.
 */
export async function withRetries<T>(
  label: string,
  policy: RetryPolicy,
  attempt: (signal: AbortSignal) => Promise<T>,
  outer?: AbortSignal,
): Promise<T> {
  const wheel = wheelFor(policy.timeoutMs);
  let last: unknown;
  let timedOut = false;
  for (let i = 0; i <= policy.retries; i++) {
    const a = newAttempt();
    const entry = wheel.add(a, outer);
    try {
      return await attempt(a.signal);
    } catch (err) {
      last = err;
      if (outer?.aborted) throw err;
      timedOut = a.timedOut;
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
      wheel.remove(entry);
      releaseAttempt(a);
    }
  }
  // A provider may also time out on its own (a socket or child-process timeout).
  if (last instanceof Error && /time(?:d )?out/i.test(last.message)) timedOut = true;
  throw new EvaluationError(
    timedOut ? 'eval.provider_timeout' : 'eval.provider_unavailable',
    `${label}: giving up after ${policy.retries + 1} attempts: ${(last as Error)?.message ?? String(last)}`,
    { cause: last },
  );
}
