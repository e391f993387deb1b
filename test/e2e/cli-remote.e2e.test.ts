import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startServe } from './cli-runner.js';

describe('tunegate serve and remote mode', () => {
  let dir: string;
  let server: Awaited<ReturnType<typeof startServe>>;
  let home: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tunegate-e2e-serve-'));
    home = join(dir, 'home');
    server = await startServe({ TUNEGATE_HOME: home, TUNEGATE_LOG_LEVEL: 'warn' });
  });
  afterAll(async () => {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('prints a one-time admin token on first start and serves the CLI remotely', {
    timeout: 120_000,
  }, async () => {
    expect(server.token).toMatch(/^tg_/);
    const admin = { TUNEGATE_HOME: join(dir, 'unused'), TUNEGATE_TOKEN: server.token ?? '' };
    const remote = ['--server', server.url];

    const append = await runCli(
      [
        'events',
        'append',
        ...remote,
        '--event',
        JSON.stringify({
          operation: { category: 'evaluation', name: 'result' },
          resource: { evaluation: { id: 'ev1' } },
        }),
      ],
      admin,
    );
    expect(append.code, append.stderr).toBe(0);
    const list = await runCli(['events', 'list', ...remote, '--name', 'result', '--json'], admin);
    expect(JSON.parse(list.stdout).entries).toHaveLength(1);

    const created = await runCli(
      [
        'token',
        'create',
        ...remote,
        '--principal',
        'aud',
        '--roles',
        'auditor',
        '--expires-in',
        '1h',
        '--json',
      ],
      admin,
    );
    expect(created.code, created.stderr).toBe(0);
    const auditor = { ...admin, TUNEGATE_TOKEN: JSON.parse(created.stdout).token };
    const verify = await runCli(['audit', 'verify', ...remote, '--json'], auditor);
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, first_bad_index: null });
    // An auditor may not append: exit 3 (auth) with the server's code.
    const denied = await runCli(
      [
        'events',
        'append',
        ...remote,
        '--json',
        '--event',
        JSON.stringify({ operation: { category: 'access', name: 'init' }, resource: {} }),
      ],
      auditor,
    );
    expect(denied.code).toBe(3);
    expect(JSON.parse(denied.stdout).error.code).toBe('auth.forbidden');
    const bogus = await runCli(['token', 'list', ...remote], { ...admin, TUNEGATE_TOKEN: 'tg_nope' });
    expect(bogus.code).toBe(3);
    expect(bogus.stderr).toContain('auth.invalid_token');

    // Graceful shutdown on SIGTERM: exit 0, and the store verifies afterwards.
    server.child.kill('SIGTERM');
    const [code] = await once(server.child, 'exit');
    expect(code).toBe(0);
    const after = await runCli(['audit', 'verify', '--json'], { TUNEGATE_HOME: home, TUNEGATE_SERVER: '' });
    expect(JSON.parse(after.stdout)).toMatchObject({ ok: true });
    expect(server.output()).not.toContain(JSON.parse(created.stdout).token);
  });
});
