/**
 * `GET /v1/openapi.json` over HTTP: a valid OpenAPI 3.1 document (checked against the official
 * schema by @seriousme/openapi-schema-validator, and linted with Redocly's recommended rules)
 * that holds every route of the route table.
 */
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/http/routes.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

interface Operation {
  operationId?: string;
  security?: unknown[];
  parameters?: { name: string; in: string; schema?: { enum?: string[] } }[];
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}
interface OpenApiDocument {
  openapi: string;
  servers?: { url: string }[];
  components?: { schemas?: Record<string, unknown>; headers?: Record<string, unknown> };
  paths: Record<string, Record<string, Operation>>;
}

describe('GET /v1/openapi.json', () => {
  let api: TestApi;
  let document: OpenApiDocument;

  beforeAll(async () => {
    api = await startTestApi();
    const response = await api.request('GET', '/v1/openapi.json');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    document = response.json as OpenApiDocument;
  });
  afterAll(async () => api?.stop());

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(document.openapi).toMatch(/^3\.1\./);
    const validator = new Validator();
    const result = await validator.validate(document as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('holds every route of the route table, by method, path and operationId', () => {
    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item).map(
        ([method, operation]) => `${method.toUpperCase()} ${path} ${operation.operationId}`,
      ),
    );
    const routes = ROUTES.map((r) => `${r.method} ${r.path} ${r.operationId}`);
    expect(documented.sort()).toEqual([...routes].sort());
    for (const route of ROUTES) {
      const operation = document.paths[route.path]?.[route.method.toLowerCase()];
      expect(Boolean(operation?.security?.length), route.operationId).toBe(route.auth === 'jwt');
    }
  });

  it('documents the reviewer queue, If-Match, Idempotency-Key and the history verification', () => {
    const list = document.paths['/v1/claims']?.get;
    const order = list?.parameters?.find((p) => p.name === 'order' && p.in === 'query');
    expect(order?.schema?.enum).toEqual(['newest', 'oldest']);
    const approve = document.paths['/v1/claims/{id}/approve']?.post;
    const headers = approve?.parameters?.filter((p) => p.in === 'header').map((p) => p.name);
    expect(headers).toEqual(expect.arrayContaining(['if-match', 'idempotency-key']));
    expect(Object.keys(approve?.responses ?? {})).toEqual(
      expect.arrayContaining(['200', '400', '401', '403', '404', '409', '412', '422']),
    );
    const history = document.paths['/v1/claims/{id}/history']?.get?.responses['200'];
    expect(JSON.stringify(history)).toContain('verification');
  });

  it('passes the Redocly linter (recommended rules) without errors', async () => {
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({
      source: JSON.stringify(document),
      absoluteRef: 'openapi.json',
      config,
    });
    const errors = problems
      .filter((p) => p.severity === 'error')
      .map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`);
    expect(errors).toEqual([]);
  });

  it('names its schemas and headers once and points every use at them', () => {
    expect(document.servers?.length).toBeGreaterThan(0);
    expect(Object.keys(document.components?.schemas ?? {})).toEqual(
      expect.arrayContaining(['Claim', 'ClaimDraft', 'Comment', 'HistoryEvent', 'Document', 'Problem']),
    );
    expect(Object.keys(document.components?.headers ?? {}).sort()).toEqual([
      'ETag',
      'Location',
      'Retry-After',
    ]);
    const create = document.paths['/v1/claims']?.post as Operation & {
      requestBody?: { content: Record<string, { example?: unknown; schema?: unknown }> };
      responses: Record<string, { headers?: Record<string, unknown> }>;
    };
    expect(create.requestBody?.content['application/json']?.schema).toEqual({
      $ref: '#/components/schemas/ClaimDraft',
    });
    expect(create.requestBody?.content['application/json']?.example).toMatchObject({ activity: 'preSales' });
    expect(Object.keys(create.responses['201']?.headers ?? {}).sort()).toEqual(['ETag', 'Location']);
    expect(create.responses['201']?.content?.['application/json']?.schema).toEqual({
      $ref: '#/components/schemas/Claim',
    });
    expect(Object.keys(create.responses['503']?.headers ?? {})).toEqual(['Retry-After']);
  });
});
