import { join, resolve } from 'node:path';
import { z } from 'zod';
import { ControlPlaneError } from './control-plane-error.js';

/**
 * Control-plane configuration, read from the environment:
 *
 * | variable | default | meaning |
 * | --- | --- | --- |
 * | `TUNEGATE_HOME` | `./.tunegate` | data directory: SQLite file, `keys/ledger.key` |
 * | `TUNEGATE_DATABASE_URL` | (unset) | `postgres://...` for PostgreSQL; unset means SQLite at `$TUNEGATE_HOME/tunegate.db` |
 * | `TUNEGATE_HOST` | `127.0.0.1` | listen address of `tunegate serve` |
 * | `TUNEGATE_PORT` | `8080` | listen port (0 picks a free one) |
 * | `TUNEGATE_LOG_LEVEL` | `info` | `fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent` |
 * | `TUNEGATE_LEDGER_ORIGIN` | `tunegate.local/ledger` | origin line of signed checkpoints |
 * | `TUNEGATE_BODY_LIMIT` | `1048576` | largest accepted request body in bytes |
 * | `TUNEGATE_TENANT` | `default` | tenant of `init` and of the embedded CLI |
 * | `TUNEGATE_SQLITE_SYNCHRONOUS` | `FULL` | `FULL`: an acknowledged event survives power loss (one fsync per commit); `NORMAL`: it survives a crash or kill -9 of tunegate, not of the machine |
 */
export interface ControlPlaneConfig {
  home: string;
  /** `postgres://...` URL, or null for the embedded SQLite file. */
  databaseUrl: string | null;
  sqlitePath: string;
  keyPath: string;
  host: string;
  port: number;
  logLevel: LogLevel;
  ledgerOrigin: string;
  bodyLimit: number;
  tenant: string;
  /** `PRAGMA synchronous` of the embedded SQLite store. */
  sqliteSynchronous: 'FULL' | 'NORMAL';
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const EnvSchema = z.object({
  TUNEGATE_HOME: z.string().min(1).default('.tunegate'),
  TUNEGATE_DATABASE_URL: z
    .string()
    .regex(
      /^postgres(ql)?:\/\/\S+$/,
      'must be a postgres:// or postgresql:// URL (unset means embedded SQLite)',
    )
    .optional(),
  TUNEGATE_HOST: z.string().min(1).default('127.0.0.1'),
  TUNEGATE_PORT: z.coerce
    .number({ error: 'must be a number' })
    .int('must be an integer')
    .min(0)
    .max(65535)
    .default(8080),
  TUNEGATE_LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  TUNEGATE_LEDGER_ORIGIN: z
    .string()
    .regex(/^[^\s+]+$/, 'must be one word without spaces or "+" (the checkpoint origin line)')
    .default('tunegate.local/ledger'),
  TUNEGATE_BODY_LIMIT: z.coerce
    .number({ error: 'must be a number' })
    .int('must be an integer')
    .min(1024)
    .max(256 * 1024 * 1024)
    .default(1024 * 1024),
  TUNEGATE_TENANT: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{0,127}$/, 'must be lowercase letters, digits, ".", "_" or "-"')
    .default('default'),
  TUNEGATE_SQLITE_SYNCHRONOUS: z.enum(['FULL', 'NORMAL']).default('FULL'),
});

/**
 * Reads and validates the configuration. Empty variables count as unset.
 * @throws ControlPlaneError `control_plane.invalid_config` naming each bad variable
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): ControlPlaneConfig {
  const relevant = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => k.startsWith('TUNEGATE_') && v !== undefined && v !== ''),
  );
  const parsed = EnvSchema.safeParse(relevant);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ControlPlaneError(
      'control_plane.invalid_config',
      `invalid configuration: ${problems.join('; ')}`,
      {
        details: { issues: problems },
      },
    );
  }
  const e = parsed.data;
  const home = resolve(e.TUNEGATE_HOME);
  return {
    home,
    databaseUrl: e.TUNEGATE_DATABASE_URL ?? null,
    sqlitePath: join(home, 'tunegate.db'),
    keyPath: join(home, 'keys', 'ledger.key'),
    host: e.TUNEGATE_HOST,
    port: e.TUNEGATE_PORT,
    logLevel: e.TUNEGATE_LOG_LEVEL,
    ledgerOrigin: e.TUNEGATE_LEDGER_ORIGIN,
    bodyLimit: e.TUNEGATE_BODY_LIMIT,
    tenant: e.TUNEGATE_TENANT,
    sqliteSynchronous: e.TUNEGATE_SQLITE_SYNCHRONOUS,
  };
}
