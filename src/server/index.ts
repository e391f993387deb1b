/**
 * The HTTP API surface (Fastify): thin routes over the control plane's
 * authorising service.
 */
export * from './build-server.js';
export * from './error-status.js';
export * from './openapi.js';
export * from './routes.js';
export * from './serve.js';
export * from './server-error.js';
