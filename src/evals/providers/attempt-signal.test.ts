import { describe, expect, it } from 'vitest';
import { DeadlineWheel, newAttempt, onAbort } from './attempt-signal.js';
import { withRetries } from './retry-policy.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('onAbort', () => {
  it('calls an attempt subscriber directly and a plain-signal subscriber through a listener', () => {
    const attempt = newAttempt();
    const seen: unknown[] = [];
    onAbort(attempt.signal, (r) => seen.push(['attempt', r]));
    // A second subscriber on the same attempt falls back to an ordinary listener.
    onAbort(attempt.signal, (r) => seen.push(['second', r]));
    attempt.abort('why');
    expect(attempt.signal.aborted).toBe(true);
    expect(seen).toEqual([
      ['second', 'why'],
      ['attempt', 'why'],
    ]);

    const plain = new AbortController();
    onAbort(plain.signal, (r) => seen.push(['plain', r]));
    plain.abort('stop');
    expect(seen.at(-1)).toEqual(['plain', 'stop']);
  });

  it('fires at once for an aborted signal and never after unsubscribing', () => {
    const done = new AbortController();
    done.abort('early');
    let early: unknown;
    onAbort(done.signal, (r) => {
      early = r;
    });
    expect(early).toBe('early');

    let calls = 0;
    const attempt = newAttempt();
    const off = onAbort(attempt.signal, () => calls++);
    off();
    attempt.abort('late');
    const plain = new AbortController();
    onAbort(plain.signal, () => calls++)();
    plain.abort();
    expect(calls).toBe(0);
  });
});

describe('DeadlineWheel', () => {
  it('times out attempts that outlive the timeout, and only those', async () => {
    const wheel = new DeadlineWheel(40);
    const slow = newAttempt();
    const fast = newAttempt();
    const started = performance.now();
    wheel.add(slow);
    const fastEntry = wheel.add(fast);
    wheel.remove(fastEntry);
    await new Promise<void>((resolve) => onAbort(slow.signal, () => resolve()));
    const elapsed = performance.now() - started;
    expect(slow.timedOut).toBe(true);
    expect(String(slow.signal.reason)).toMatch(/timeout after 40 ms/);
    // Rounded up to the wheel's granularity (timeout / 20), plus timer slack.
    expect(elapsed).toBeGreaterThanOrEqual(39);
    expect(elapsed).toBeLessThan(1000);
    expect(fast.signal.aborted).toBe(false);
  });

  it('keeps timing out attempts added after earlier buckets expired', async () => {
    const wheel = new DeadlineWheel(20);
    const first = newAttempt();
    wheel.add(first);
    await sleep(60);
    expect(first.timedOut).toBe(true);
    const second = newAttempt();
    wheel.add(second);
    await sleep(60);
    expect(second.timedOut).toBe(true);
  });

  it('forwards an outer abort to every attempt registered under it', () => {
    const wheel = new DeadlineWheel(60_000);
    const outer = new AbortController();
    const a = newAttempt();
    const b = newAttempt();
    const other = newAttempt();
    wheel.add(a, outer.signal);
    const bEntry = wheel.add(b, outer.signal);
    wheel.add(other, new AbortController().signal);
    wheel.remove(bEntry);
    outer.abort('run stopped');
    expect(a.signal.reason).toBe('run stopped');
    expect(a.timedOut).toBe(false);
    expect(b.signal.aborted).toBe(false);
    expect(other.signal.aborted).toBe(false);
    // Registering under an already aborted outer signal aborts at once.
    const late = newAttempt();
    wheel.add(late, outer.signal);
    expect(late.signal.aborted).toBe(true);
  });
});

describe('withRetries cancellation', () => {
  it('reports eval.provider_timeout when every attempt times out', async () => {
    let attempts = 0;
    await expect(
      withRetries(
        't',
        { retries: 1, baseDelayMs: 1, maxDelayMs: 2, timeoutMs: 30 },
        (signal) =>
          new Promise((_, reject) => {
            attempts++;
            onAbort(signal, () => reject(new Error('cancelled')));
          }),
      ),
    ).rejects.toMatchObject({ code: 'eval.provider_timeout' });
    expect(attempts).toBe(2);
  });

  it('stops at once, without retrying, when the outer signal aborts', async () => {
    const outer = new AbortController();
    let attempts = 0;
    const run = withRetries(
      't',
      { retries: 3, baseDelayMs: 1, maxDelayMs: 2, timeoutMs: 60_000 },
      (signal) =>
        new Promise((_, reject) => {
          attempts++;
          onAbort(signal, (r) => reject(r));
        }),
      outer.signal,
    );
    setTimeout(() => outer.abort(new Error('user cancelled')), 10);
    await expect(run).rejects.toThrow('user cancelled');
    expect(attempts).toBe(1);
  });
});
