/**
 * Cheap per-attempt cancellation for thousands of requests per second.
 *
 * Every request attempt needs a signal that fires on its timeout or when the run is
 * aborted. The obvious construction (an AbortController, a `setTimeout`, a listener
 * on the run's signal and one on the attempt's signal) costs more CPU than the HTTP
 * request itself on loopback: the first `addEventListener` on a fresh AbortSignal
 * alone costs ~10 µs on Node 20. Here an attempt still gets a real AbortSignal (so
 * any provider can use it normally), but
 * - timeouts come from a {@link DeadlineWheel}: one timer per wheel, not per attempt;
 * - the run's signal gets one listener per wheel-and-signal pair, not per attempt;
 * - a provider that subscribes through {@link onAbort} is called directly instead of
 *   through an event listener.
 */

/** A request attempt's cancellation: a real AbortSignal plus a direct hook for one subscriber. */
export class Attempt {
  private readonly controller = new AbortController();
  /** The one subscriber registered through {@link onAbort}, called without event dispatch. */
  hook: ((reason: unknown) => void) | undefined;
  /** A subscriber used the direct hook during this use (it opted into reuse, see {@link releaseAttempt}). */
  hooked = false;
  /** Listeners {@link onAbort} added to the signal and that are still subscribed. */
  listeners = 0;
  /** Set when the attempt ran out of time (as opposed to being aborted from outside). */
  timedOut = false;

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (this.controller.signal.aborted) return;
    const hook = this.hook;
    this.hook = undefined;
    // The signal is aborted first so that a hook (or listener) sees `signal.aborted`.
    this.controller.abort(reason);
    hook?.(reason);
  }
}

const attempts = new WeakMap<AbortSignal, Attempt>();
/** Settled, never-aborted attempts ready for reuse (bounded: about the peak concurrency). */
const spare: Attempt[] = [];
const MAX_SPARE = 1024;

/** Creates an attempt whose signal {@link onAbort} recognises (possibly a released one). */
export function newAttempt(): Attempt {
  const reused = spare.pop();
  if (reused) return reused;
  const a = new Attempt();
  attempts.set(a.signal, a);
  return a;
}

/**
 * Offers a settled attempt for reuse. Creating an AbortSignal costs a few microseconds
 * on Node 20 (it is an EventTarget whose prototype is swapped after construction), which
 * shows at thousands of attempts per second. An attempt is reused only when it was never
 * aborted, its subscriber came through {@link onAbort}'s direct hook (a provider that
 * does so promises not to look at the signal once its promise has settled), and every
 * subscription has been undone. Anything else is left to the garbage collector.
 */
export function releaseAttempt(a: Attempt): void {
  if (a.signal.aborted || !a.hooked || a.hook !== undefined || a.listeners !== 0) return;
  if (spare.length >= MAX_SPARE) return;
  a.hooked = false;
  a.timedOut = false;
  spare.push(a);
}

const noop = (): void => undefined;

/**
 * Runs `fn` once when `signal` aborts (at once if it already has). Returns the
 * unsubscribe function; call it when the work finishes, and do not keep the signal
 * after that: an attempt's signal may be reused for a later attempt. Signals of an
 * {@link Attempt} take the direct path; any other signal gets an ordinary `abort` listener.
 */
export function onAbort(signal: AbortSignal, fn: (reason: unknown) => void): () => void {
  if (signal.aborted) {
    fn(signal.reason);
    return noop;
  }
  const attempt = attempts.get(signal);
  if (attempt && attempt.hook === undefined) {
    attempt.hook = fn;
    attempt.hooked = true;
    return () => {
      if (attempt.hook === fn) attempt.hook = undefined;
    };
  }
  const listener = (): void => fn(signal.reason);
  signal.addEventListener('abort', listener, { once: true });
  if (!attempt) return () => signal.removeEventListener('abort', listener);
  attempt.listeners++;
  let subscribed = true;
  return () => {
    if (!subscribed) return;
    subscribed = false;
    attempt.listeners--;
    signal.removeEventListener('abort', listener);
  };
}

/** An attempt registered with a wheel (opaque to callers). */
export interface WheelEntry {
  readonly attempt: Attempt;
  readonly outer: AbortSignal | undefined;
  bucket: Set<WheelEntry> | undefined;
}

/**
 * Times out attempts that all share one timeout. Deadlines are rounded up to buckets
 * of `timeoutMs / 20` (at most 1 s, so a 60 s timeout fires within 60-61 s); one
 * unref'd timer serves the earliest bucket. Because every attempt has the same
 * timeout and time only moves forward, buckets are created in deadline order and a
 * Map keeps them sorted for free. Adding and removing an attempt is a Set operation.
 *
 * The wheel also forwards aborts of outer signals (the run's signal) to the attempts
 * registered under them, with one listener per outer signal for the wheel's lifetime.
 */
export class DeadlineWheel {
  private readonly granularity: number;
  private readonly buckets = new Map<number, Set<WheelEntry>>();
  private lastKey = -1;
  private lastBucket: Set<WheelEntry> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly byOuter = new WeakMap<AbortSignal, Set<WheelEntry>>();

  constructor(readonly timeoutMs: number) {
    this.granularity = Math.min(1000, Math.max(1, timeoutMs / 20));
  }

  /** Starts the clock of an attempt; `outer` aborts it too. Call {@link remove} when it settles. */
  add(attempt: Attempt, outer?: AbortSignal): WheelEntry {
    const entry: WheelEntry = { attempt, outer, bucket: undefined };
    if (outer) {
      if (outer.aborted) {
        attempt.abort(outer.reason);
        return entry;
      }
      let linked = this.byOuter.get(outer);
      if (!linked) {
        const set = new Set<WheelEntry>();
        linked = set;
        this.byOuter.set(outer, set);
        outer.addEventListener(
          'abort',
          () => {
            for (const e of set) e.attempt.abort(outer.reason);
          },
          { once: true },
        );
      }
      linked.add(entry);
    }
    const key = Math.ceil((performance.now() + this.timeoutMs) / this.granularity);
    let bucket = key === this.lastKey ? this.lastBucket : this.buckets.get(key);
    if (!bucket) {
      bucket = new Set();
      this.buckets.set(key, bucket);
    }
    this.lastKey = key;
    this.lastBucket = bucket;
    bucket.add(entry);
    entry.bucket = bucket;
    if (!this.timer) this.arm(key);
    return entry;
  }

  /** Stops the clock of a settled attempt. */
  remove(entry: WheelEntry): void {
    if (entry.outer) this.byOuter.get(entry.outer)?.delete(entry);
    const bucket = entry.bucket;
    if (!bucket) return;
    entry.bucket = undefined;
    bucket.delete(entry);
    // Empty buckets are left for the timer to drop: deleting and re-creating the current
    // bucket would re-insert its key at the end of the Map, which is still in order, but
    // keeping it avoids the churn while requests finish as fast as they start.
  }

  private arm(key: number): void {
    const delay = Math.max(0, key * this.granularity - performance.now());
    this.timer = setTimeout(() => this.expire(), delay);
    this.timer.unref();
  }

  private expire(): void {
    this.timer = undefined;
    const now = performance.now();
    for (const [key, bucket] of this.buckets) {
      if (key * this.granularity > now) {
        this.arm(key);
        return;
      }
      this.buckets.delete(key);
      if (bucket === this.lastBucket) {
        this.lastBucket = undefined;
        this.lastKey = -1;
      }
      for (const entry of bucket) {
        entry.bucket = undefined;
        entry.attempt.timedOut = true;
        entry.attempt.abort(new Error(`timeout after ${this.timeoutMs} ms`));
      }
    }
  }
}
