import type { Command } from 'commander';
import type { ControlPlane } from '../../control-plane/index.js';
import { bootstrap, loadConfig, openControlPlane } from '../../control-plane/index.js';
import { action } from '../command-output.js';

/**
 * Starts the HTTP API on a control plane. The CLI does not import the server (surfaces never
 * import each other): the executable in `src/bin` injects it.
 */
export type ServerLauncher = (cp: ControlPlane) => Promise<{ url: string }>;

interface ServeOptions {
  host?: string;
  port?: string;
}

/**
 * `tunegate serve`: runs the HTTP API on the configured store. On a fresh home it
 * bootstraps like `init` and prints the one-time admin token. Stops gracefully on
 * SIGTERM/SIGINT (in-flight requests finish, the database closes).
 */
export function register(program: Command, launchServer: ServerLauncher): void {
  program
    .command('serve')
    .description('run the HTTP API (first start bootstraps and prints a one-time admin token)')
    .option('--host <host>', 'listen address (default $TUNEGATE_HOST or 127.0.0.1)')
    .option('--port <port>', 'listen port, 0 for any free port (default $TUNEGATE_PORT or 8080)')
    .action(
      action(async (opts: ServeOptions) => {
        const config = loadConfig({
          ...process.env,
          ...(opts.host === undefined ? {} : { TUNEGATE_HOST: opts.host }),
          ...(opts.port === undefined ? {} : { TUNEGATE_PORT: opts.port }),
        });
        const cp = await openControlPlane(config);
        let token: string | null = null;
        try {
          if (!(await cp.identities.tenantExists(config.tenant))) token = (await bootstrap(cp)).token;
        } catch (err) {
          await cp.close();
          throw err;
        }
        const server = await launchServer(cp).catch(async (err: unknown) => {
          await cp.close();
          throw err;
        });
        if (token !== null) {
          process.stdout.write(
            `tunegate: first start; admin token for tenant "${config.tenant}" (shown once, store it now):\n${token}\n`,
          );
        }
        process.stdout.write(
          `tunegate: listening on ${server.url} (store: ${config.databaseUrl === null ? config.sqlitePath : 'postgresql'})\n`,
        );
      }),
    );
}
