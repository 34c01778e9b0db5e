/**
 * The OpenAPI 3.1 document, generated from the route records (`routes.ts`) and the zod schemas
 * they validate with, so the published contract cannot drift from what the code accepts.
 * Loaded on first use only (`api-handler.ts`): no other request pays for the generator.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { PROBLEM_TYPE_BASE } from './problem.js';
import type { RouteRecord } from './route-record.js';
import { ROUTES } from './routes.js';

// `meta({ id })` names a schema in `components/schemas`; every use of it becomes a reference.
const fieldErrorSchema = z
  .object({
    field: z.string().describe('Dotted path of the offending field, or a query or header name'),
    reason: z.string(),
  })
  .meta({ id: 'FieldError' });

const problemSchema = z
  .object({
    type: z.string().describe(`A URI under ${PROBLEM_TYPE_BASE} naming the kind of problem`),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(fieldErrorSchema).optional(),
  })
  .loose()
  .meta({
    id: 'Problem',
    description: 'RFC 9457 problem details; some problems add members such as `claimStatus`',
  });

const PROBLEM_EXAMPLE = {
  type: `${PROBLEM_TYPE_BASE}validation`,
  title: 'Bad Request',
  status: 400,
  detail: 'The request is not valid.',
  errors: [{ field: 'customer.contact.email', reason: 'Invalid email address' }],
};

const ref = (kind: 'headers', name: string) => ({ $ref: `#/components/${kind}/${name}` });

/** Response headers, as `components/headers`. */
const HEADERS = {
  ETag: {
    description: 'The claim’s version as a strong entity tag; send it back in `If-Match`',
    schema: { type: 'string' as const, examples: ['"3"'] },
  },
  Location: {
    description: 'The URL path of the created claim',
    schema: { type: 'string' as const, examples: ['/v1/claims/0f8e…'] },
  },
  'Retry-After': {
    description: 'Seconds to wait before retrying',
    schema: { type: 'integer' as const, minimum: 0 },
  },
};

const htmlPage = (description: string): ResponseConfig => ({
  description,
  content: { 'text/html': { schema: z.string() } },
});

const problemResponse = (description: string, retryAfter = false): ResponseConfig => ({
  description,
  ...(retryAfter && { headers: { 'Retry-After': ref('headers', 'Retry-After') } }),
  content: { 'application/problem+json': { schema: problemSchema } },
});

type AnyRoute = RouteRecord<never, never>;

function requestBodyOf(route: AnyRoute) {
  if (!route.body) return undefined;
  const mediaType = route.form
    ? 'application/x-www-form-urlencoded'
    : route.method === 'PATCH'
      ? 'application/merge-patch+json'
      : 'application/json';
  return {
    required: true,
    content: {
      [mediaType]: {
        schema: route.body,
        ...(route.bodyExample !== undefined && { example: route.bodyExample }),
      },
    },
  };
}

function requestHeadersOf(route: AnyRoute) {
  const headers: Record<string, z.ZodType> = {};
  if (route.ifMatch)
    headers['if-match'] = z
      .string()
      .optional()
      .describe(
        'The claim ETags (strong comparison) the change is based on, or `*`; 412 if none matches, 400 if malformed',
      );
  if (route.idempotent)
    headers['idempotency-key'] = z
      .string()
      .max(128)
      .optional()
      .describe('Retries with the same key return the first response');
  return Object.keys(headers).length > 0 ? z.object(headers) : undefined;
}

function responsesOf(route: AnyRoute): Record<number, ResponseConfig> {
  const { status, schema, headers = [] } = route.response;
  if (route.htmlPages) {
    return {
      [status]: htmlPage('The page'),
      ...Object.fromEntries(Object.entries(route.htmlPages).map(([code, when]) => [code, htmlPage(when)])),
    };
  }
  const jwt = route.auth === 'jwt';
  const responses: Record<number, ResponseConfig> = {
    [status]: {
      description: 'Success',
      ...(headers.length > 0 && { headers: Object.fromEntries(headers.map((h) => [h, ref('headers', h)])) }),
      content: { 'application/json': { schema } },
    },
  };
  if (route.body || route.query) {
    responses[400] = {
      description: 'Invalid input; `errors` names each field',
      content: { 'application/problem+json': { schema: problemSchema, example: PROBLEM_EXAMPLE } },
    };
  }
  if (jwt) {
    responses[401] = problemResponse('Missing or invalid token');
    responses[403] = problemResponse('The token lacks the role for this action');
  }
  if (route.path.includes('{id}')) responses[404] = problemResponse('No such claim, or not yours');
  if (route.ifMatch) {
    responses[409] = problemResponse(
      'Not allowed in the claim’s current status, or a concurrent change',
      route.idempotent,
    );
    responses[412] = problemResponse('If-Match does not match the claim’s version');
  } else if (route.idempotent) {
    responses[409] = problemResponse('A request with this Idempotency-Key is still in progress', true);
  }
  if (route.idempotent) responses[422] = problemResponse('Idempotency-Key reused with a different body');
  if (route.body) responses[413] = problemResponse('The body is larger than the API accepts');
  if (jwt) {
    responses[503] = problemResponse(
      'Over capacity right now (storage throttled); retry after `Retry-After` seconds',
      true,
    );
  }
  for (const [code, when] of Object.entries(route.problems ?? {})) {
    responses[Number(code)] = problemResponse(when, route.idempotent);
  }
  return responses;
}

/** Builds the document (callers cache it: the API handler builds it once per process). */
export function openApiDocument() {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  });
  for (const [name, header] of Object.entries(HEADERS)) registry.registerComponent('headers', name, header);

  for (const route of ROUTES as readonly AnyRoute[]) {
    const pathParams = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
    const headers = requestHeadersOf(route);
    const body = requestBodyOf(route);
    registry.registerPath({
      method: route.method.toLowerCase() as Lowercase<AnyRoute['method']>,
      path: route.path,
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.path.startsWith('/consent') ? 'consent' : route.auth === 'jwt' ? 'claims' : 'service'],
      security: route.auth === 'jwt' ? [{ bearer: [] }] : [],
      request: {
        ...(pathParams.length > 0 && {
          params: z.object(Object.fromEntries(pathParams.map((p) => [p, z.string()]))),
        }),
        ...(route.query && { query: route.query }),
        ...(headers && { headers }),
        ...(body && { body }),
      },
      responses: responsesOf(route),
    });
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'CPOR claims API',
      version: '1.0.0',
      description:
        'Claimed Partner of Record customer association claims: create, prove, review, consent, dispute.',
      license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
    },
    // Relative: each stage (and `npm start`) serves its own document, so its own URL is right.
    servers: [{ url: '/', description: 'The stage that served this document' }],
    tags: [
      { name: 'claims', description: 'Partners and reviewers: claims, their PoE documents and history' },
      { name: 'consent', description: 'The customer’s consent pages (HTML)' },
      { name: 'service', description: 'Liveness and this document' },
    ],
  });
}
