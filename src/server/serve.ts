import type { FastifyInstance } from 'fastify';
import type { ControlPlane } from '../control-plane/index.js';
import { type BuildServerOptions, buildServer } from './build-server.js';
import { ServerError } from './server-error.js';

/** A listening server. */
export interface RunningServer {
  app: FastifyInstance;
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** Stops accepting connections, lets in-flight requests finish, then closes the control plane. */
  close(): Promise<void>;
}

export interface StartServerOptions extends BuildServerOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Close gracefully on SIGTERM/SIGINT (default true). */
  handleSignals?: boolean;
}

/** Builds the API on `cp` and listens (host/port default to the configuration). */
export async function startServer(
  cp: ControlPlane,
  options: StartServerOptions = {},
): Promise<RunningServer> {
  const app = buildServer(cp, options);
  const where = `${options.host ?? cp.config.host}:${options.port ?? cp.config.port}`;
  try {
    await app.listen({ host: options.host ?? cp.config.host, port: options.port ?? cp.config.port });
  } catch (err) {
    await app.close();
    const reason = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ServerError('api.listen_failed', `cannot listen on ${where} (${reason})`, { cause: err });
  }
  const address = app.server.address();
  const port =
    typeof address === 'object' && address !== null ? address.port : (options.port ?? cp.config.port);
  const host = options.host ?? cp.config.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      await app.close();
      await cp.close();
    })();
    return closing;
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    app.log.info({ signal }, 'shutting down');
    close().then(
      () => {
        process.exitCode = 0;
      },
      (err: unknown) => {
        app.log.error({ err }, 'shutdown failed');
        process.exitCode = 70;
      },
    );
  };
  if (options.handleSignals !== false) {
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  return { app, url, close };
}
