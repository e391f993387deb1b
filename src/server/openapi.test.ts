import { describe, expect, it } from 'vitest';
import { POLICY } from '../auth/index.js';
import { buildOpenApi } from './openapi.js';
import { ROUTES } from './routes.js';

interface Operation {
  operationId: string;
  description: string;
  security: unknown[];
  parameters: { name: string; in: string; required: boolean }[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
}

describe('OpenAPI document', () => {
  const doc = buildOpenApi(ROUTES) as { openapi: string; paths: Record<string, Record<string, Operation>> };

  it('describes every route once, with its policy, path parameters and error responses', () => {
    expect(doc.openapi).toBe('3.1.0');
    const ids = new Set<string>();
    for (const route of ROUTES) {
      const path = route.url.replace(/:([a-z_]+)/g, '{$1}');
      const op = doc.paths[path]?.[route.method.toLowerCase()];
      if (!op) throw new Error(`missing ${route.method} ${path}`);
      expect(ids.has(op.operationId)).toBe(false);
      ids.add(op.operationId);
      expect(op.security).toEqual([{ bearer: [] }]);
      expect(op.description).toContain(POLICY[route.action].join(', '));
      for (const [, name] of route.url.matchAll(/:([a-z_]+)/g)) {
        expect(op.parameters).toContainEqual(expect.objectContaining({ name, in: 'path', required: true }));
      }
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['400', '401', '403', '500']));
      if (route.method === 'POST') expect(op.requestBody).toBeDefined();
    }
    expect(doc.paths['/healthz']?.get?.security).toEqual([]);
  });

  it('documents query parameters from the query schemas', () => {
    const list = doc.paths['/v1/events']?.get;
    expect(list?.parameters.map((p) => p.name)).toEqual(
      expect.arrayContaining(['category', 'since', 'cursor', 'limit', 'resource_id']),
    );
    expect(list?.parameters.every((p) => p.in === 'query' && p.required === false)).toBe(true);
    const inclusion = doc.paths['/v1/audit/proofs/inclusion']?.get;
    expect(inclusion?.parameters).toContainEqual(expect.objectContaining({ name: 'index', required: true }));
  });
});
