import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config.js';
import { type ControlPlane, openControlPlane } from '../control-plane.js';

/** A settable clock for expiry tests. */
export interface TestClock {
  now: () => Date;
  advance(ms: number): void;
}

export function testClock(start = Date.now()): TestClock {
  let t = start;
  return {
    now: () => new Date(t),
    advance: (ms) => {
      t += ms;
    },
  };
}

/** A control plane on a fresh SQLite home in a temp directory; `dispose` removes it. */
export async function tempControlPlane(
  options: { clock?: TestClock; env?: Record<string, string> } = {},
): Promise<{ cp: ControlPlane; home: string; dispose(): Promise<void> }> {
  const home = await mkdtemp(join(tmpdir(), 'tunegate-cp-'));
  const config = loadConfig({ TUNEGATE_HOME: home, TUNEGATE_LOG_LEVEL: 'silent', ...options.env });
  const cp = await openControlPlane(config, options.clock === undefined ? {} : { now: options.clock.now });
  return {
    cp,
    home,
    async dispose() {
      await cp.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}
