/** The routes about the service itself: liveness and the published contract. */
import { z } from 'zod';
import type { ApiRoute } from './api-route.js';
import { json } from './responses.js';

export const SERVICE_ROUTES: readonly ApiRoute[] = [
  {
    method: 'GET',
    path: '/health',
    operationId: 'health',
    auth: 'none',
    function: 'api',
    summary: 'Liveness check',
    response: { status: 200, schema: z.object({ status: z.literal('ok') }) },
    handle: async () => json(200, { status: 'ok' }),
  },
  {
    method: 'GET',
    path: '/v1/openapi.json',
    operationId: 'getOpenApi',
    auth: 'none',
    function: 'api',
    summary: 'The OpenAPI 3.1 document of this API',
    response: { status: 200, schema: z.object({ openapi: z.string() }).loose() },
    handle: async (_event, deps) => json(200, await deps.openApiDocument()),
  },
];
