import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('loadConfig', () => {
  it('uses documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      home: resolve('.tunegate'),
      databaseUrl: null,
      sqlitePath: join(resolve('.tunegate'), 'tunegate.db'),
      keyPath: join(resolve('.tunegate'), 'keys', 'ledger.key'),
      host: '127.0.0.1',
      port: 8080,
      logLevel: 'info',
      bodyLimit: 1024 * 1024,
      tenant: 'default',
      sqliteSynchronous: 'FULL',
    });
  });

  it('reads every variable', () => {
    const c = loadConfig({
      TUNEGATE_HOME: '/srv/tg',
      TUNEGATE_DATABASE_URL: 'postgres://u:p@db:5432/tg',
      TUNEGATE_HOST: '0.0.0.0',
      TUNEGATE_PORT: '0',
      TUNEGATE_LOG_LEVEL: 'warn',
      TUNEGATE_LEDGER_ORIGIN: 'tg.example.com/log',
      TUNEGATE_BODY_LIMIT: '2048',
      TUNEGATE_TENANT: 'acme',
      TUNEGATE_SQLITE_SYNCHRONOUS: 'NORMAL',
      UNRELATED: 'x',
    });
    expect(c).toMatchObject({
      home: '/srv/tg',
      databaseUrl: 'postgres://u:p@db:5432/tg',
      host: '0.0.0.0',
      port: 0,
      logLevel: 'warn',
      ledgerOrigin: 'tg.example.com/log',
      bodyLimit: 2048,
      sqliteSynchronous: 'NORMAL',
      tenant: 'acme',
    });
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ TUNEGATE_PORT: '', TUNEGATE_DATABASE_URL: '' })).toMatchObject({
      port: 8080,
      databaseUrl: null,
    });
  });

  it.each([
    ['TUNEGATE_PORT', 'eighty'],
    ['TUNEGATE_PORT', '70000'],
    ['TUNEGATE_LOG_LEVEL', 'loud'],
    ['TUNEGATE_DATABASE_URL', 'mysql://db/x'],
    ['TUNEGATE_BODY_LIMIT', '12'],
    ['TUNEGATE_LEDGER_ORIGIN', 'has space'],
    ['TUNEGATE_TENANT', 'Upper'],
    ['TUNEGATE_SQLITE_SYNCHRONOUS', 'OFF'],
  ])('rejects %s=%s naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(
      expect.objectContaining({
        code: 'control_plane.invalid_config',
        message: expect.stringContaining(name),
      }),
    );
  });
});
