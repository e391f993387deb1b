import type { Command } from 'commander';
import { loadConfig, openControlPlane, type TunegateClient } from '../control-plane/index.js';
import { RemoteClient, RemoteError } from './remote-client.js';

/** Options every command that talks to tunegate accepts. */
export interface ConnectionOptions {
  /** Remote mode: base URL of a tunegate server (else `TUNEGATE_SERVER`, else embedded). */
  server?: string;
  /** Embedded mode: tenant to act in (default `TUNEGATE_TENANT` or `default`). */
  tenant?: string;
  json?: boolean;
}

/** Adds `--server`, `--tenant` and `--json` to a command. */
export function withConnectionOptions(cmd: Command): Command {
  return cmd
    .option('--server <url>', 'talk to a tunegate server (default $TUNEGATE_SERVER; unset = embedded store)')
    .option('--tenant <id>', 'embedded mode: tenant to act in (default $TUNEGATE_TENANT or "default")')
    .option('--json', 'print JSON');
}

/**
 * Runs `fn` with a client: remote over HTTP (`--server` or `TUNEGATE_SERVER`,
 * bearer token from `TUNEGATE_TOKEN`), or embedded on the local store as the
 * local operator (whoever can open the database file controls it anyway).
 */
export async function withClient<T>(
  options: ConnectionOptions,
  fn: (client: TunegateClient) => Promise<T>,
): Promise<T> {
  const server = options.server ?? nonEmpty(process.env.TUNEGATE_SERVER);
  if (server !== undefined) {
    const token = nonEmpty(process.env.TUNEGATE_TOKEN);
    if (token === undefined) {
      throw new RemoteError('remote.missing_token', 'remote mode needs the API token in TUNEGATE_TOKEN');
    }
    return fn(new RemoteClient(server, token));
  }
  const cp = await openControlPlane(loadConfig());
  try {
    return await fn(cp.service.as(cp.localSession(options.tenant)));
  } finally {
    await cp.close();
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
