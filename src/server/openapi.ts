import { z } from 'zod';
import { POLICY } from '../auth/index.js';
import { ApiErrorSchema, HealthSchema } from '../contracts/api.js';
import { TOOL_VERSION } from '../contracts/tool-version.js';
import { ERROR_STATUS } from './error-status.js';
import type { RouteSpec } from './routes.js';

type JsonSchema = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

/** Query-string or path parameters from an object schema. */
function parametersOf(schema: z.ZodType, where: 'query' | 'path'): JsonSchema[] {
  const json = schemaOf(schema, 'input');
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    schema: s,
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
  }));
}

function errorResponses(): Record<string, JsonSchema> {
  const statuses = [...new Set(Object.values(ERROR_STATUS)), 500].sort((a, b) => a - b);
  return Object.fromEntries(
    statuses.map((status) => [
      String(status),
      {
        description: `Error; codes: ${
          Object.entries(ERROR_STATUS)
            .filter(([, s]) => s === status)
            .map(([c]) => c)
            .join(', ') || 'internal'
        }`,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
    ]),
  );
}

/**
 * Assembles the OpenAPI 3.1 document from the route table and the contract
 * schemas (zod 4 JSON Schema output is draft 2020-12, which OpenAPI 3.1 uses).
 */
export function buildOpenApi(routes: readonly RouteSpec[]): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const errors = errorResponses();
  for (const r of routes) {
    const path = r.url.replace(/:([a-z_]+)/g, '{$1}');
    const body = schemaOf(r.body, 'input');
    const hasBody = r.method !== 'GET' && r.method !== 'DELETE';
    const success =
      r.response === 'stream'
        ? {
            description: 'One JSON document per line',
            content: { 'application/x-ndjson': { schema: { type: 'string' } } },
          }
        : { description: 'OK', content: { 'application/json': { schema: schemaOf(r.response, 'output') } } };
    paths[path] ??= {};
    paths[path][r.method.toLowerCase()] = {
      summary: r.summary,
      description: `Policy action \`${r.action}\`; roles: ${POLICY[r.action].join(', ')}.`,
      operationId: `${r.method.toLowerCase()}${path.replace(/[^a-zA-Z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
      security: [{ bearer: [] }],
      parameters: [...parametersOf(r.params, 'path'), ...parametersOf(r.query, 'query')],
      ...(hasBody
        ? { requestBody: { required: false, content: { 'application/json': { schema: body } } } }
        : {}),
      responses: { [String(r.status ?? 200)]: success, ...errors },
    };
  }
  const health = {
    '200': {
      description: 'OK',
      content: { 'application/json': { schema: schemaOf(HealthSchema, 'output') } },
    },
  };
  paths['/healthz'] = { get: { summary: 'Liveness (no authentication)', security: [], responses: health } };
  paths['/readyz'] = {
    get: { summary: 'Readiness: the database answers (no authentication)', security: [], responses: health },
  };
  return {
    openapi: '3.1.0',
    info: { title: 'tunegate API', version: TOOL_VERSION },
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'API token (tg_...)' } },
      schemas: { Error: schemaOf(ApiErrorSchema, 'output') },
    },
  };
}
