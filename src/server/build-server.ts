import { Readable } from 'node:stream';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { AuthError } from '../auth/index.js';
import { parseContract } from '../contracts/validate.js';
import type { ControlPlane, LogLevel } from '../control-plane/index.js';
import { errorResponse } from './error-status.js';
import { buildOpenApi } from './openapi.js';
import { ROUTES, type RouteSpec } from './routes.js';
import { ServerError } from './server-error.js';

export interface BuildServerOptions {
  /** Pino level; `silent` turns logging off (tests). Defaults to the configured level. */
  logLevel?: LogLevel;
  /** Largest body in bytes (defaults to the configured limit). */
  bodyLimit?: number;
  /** Where JSON logs go (defaults to stdout). */
  logStream?: NodeJS.WritableStream;
}

/** Fastify's own error codes for malformed requests, mapped to ours. */
const FASTIFY_ERRORS: Record<string, ServerError['code']> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'api.malformed_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'api.malformed_json',
  FST_ERR_CTP_BODY_TOO_LARGE: 'api.payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'api.unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'api.bad_request',
};

/**
 * Builds the HTTP API on an opened control plane: every `/v1` route authenticated
 * with a bearer token, bodies and query strings validated with the contract schemas,
 * errors as `{error: {code, message}}` (status from `error-status.ts`), plus
 * `/healthz`, `/readyz` and `/openapi.json`.
 */
export function buildServer(cp: ControlPlane, options: BuildServerOptions = {}): FastifyInstance {
  const app = Fastify({
    bodyLimit: options.bodyLimit ?? cp.config.bodyLimit,
    logger: {
      level: options.logLevel ?? cp.config.logLevel,
      // Never log credentials, whatever a serializer or a future log line includes.
      redact: {
        paths: ['req.headers.authorization', 'headers.authorization', 'token'],
        censor: '[redacted]',
      },
      ...(options.logStream === undefined ? {} : { stream: options.logStream }),
    },
    // Proxies and load balancers may send X-Request-Id; we log our own ids only.
    requestIdHeader: false,
    return503OnClosing: true,
  });

  // JSON only: Fastify would otherwise hand text/plain bodies to the routes as strings.
  app.removeContentTypeParser('text/plain');

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const mapped = err.code === undefined ? undefined : FASTIFY_ERRORS[err.code];
    const error =
      mapped !== undefined
        ? new ServerError(mapped, transportMessage(mapped, err))
        : err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 && !('details' in err)
          ? new ServerError('api.bad_request', 'the request could not be parsed')
          : err;
    const { status, body } = errorResponse(error);
    if (status >= 500) request.log.error({ err }, 'request failed');
    void reply.code(status).send(body);
  });

  app.setNotFoundHandler((request, reply) => {
    const { status, body } = errorResponse(
      new ServerError('api.route_not_found', `no route ${request.method} ${request.url.split('?')[0]}`),
    );
    void reply.code(status).send(body);
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    try {
      await cp.db.query('SELECT 1');
      return { status: 'ok' };
    } catch {
      return reply.code(503).send({ status: 'unavailable' });
    }
  });
  const openapi = buildOpenApi(ROUTES);
  app.get('/openapi.json', async () => openapi);

  for (const spec of ROUTES) {
    app.route({
      method: spec.method,
      url: spec.url,
      handler: (request, reply) => handle(cp, spec, request, reply),
    });
  }
  return app;
}

async function handle(
  cp: ControlPlane,
  spec: RouteSpec,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<unknown> {
  // Authenticate before looking at the input, so anonymous callers learn nothing about it.
  const auth = await cp.service.authenticate(bearerToken(request));
  request.log.info({ principal: auth.principal.id, tenant: auth.principal.tenant }, 'authenticated');
  const where = `${spec.method} ${spec.url}`;
  const input = {
    params: parseContract(spec.params, request.params ?? {}, `${where} path`),
    query: parseContract(spec.query, request.query ?? {}, `${where} query`),
    body: parseContract(spec.selectBody?.(request.body) ?? spec.body, request.body, `${where} body`),
  };
  const client = cp.service.as(auth);
  const result = spec.handler(client, input);
  if (spec.response === 'stream') {
    const iterator = (result as AsyncIterable<string>)[Symbol.asyncIterator]();
    // Pull the first chunk before sending headers: authorisation and query errors
    // still become proper error responses instead of a truncated 200.
    const first = await iterator.next();
    async function* rest(): AsyncIterable<string> {
      if (!first.done) yield first.value;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    }
    return reply.code(200).type('application/x-ndjson; charset=utf-8').send(Readable.from(rest()));
  }
  const value = await (result as Promise<unknown>);
  return reply.code(spec.status ?? 200).send(value);
}

function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (header === undefined || header === '') {
    throw new AuthError('auth.unauthenticated', 'missing "Authorization: Bearer <token>" header');
  }
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m?.[1])
    throw new AuthError('auth.unauthenticated', 'the Authorization header must be "Bearer <token>"');
  return m[1];
}

function transportMessage(code: ServerError['code'], err: FastifyError): string {
  switch (code) {
    case 'api.malformed_json':
      return `the request body is not valid JSON${err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? ' (empty body)' : ''}`;
    case 'api.payload_too_large':
      return 'the request body is larger than the configured limit';
    case 'api.unsupported_media_type':
      return 'unsupported Content-Type; send application/json';
    default:
      return 'the request could not be parsed';
  }
}
