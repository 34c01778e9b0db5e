/**
 * The OpenAPI 3.1 document, generated from the same zod schemas that validate requests and
 * from the route table, so the published contract cannot drift from what the code accepts.
 * Every operation of the route table must have a spec here (the type enforces it).
 */
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { DEADLINE_KINDS, INFO_REQUEST_REASONS, REJECTION_REASONS } from '../domain/claim.js';
import {
  addCommentSchema,
  claimDraftSchema,
  claimPatchSchema,
  claimResourceSchema,
  commentOnlySchema,
  disputeSchema,
  historyPageQuerySchema,
  listClaimsQuerySchema,
  rejectSchema,
  requestInfoSchema,
  resolveDisputeSchema,
} from './claim.schema.js';
import {
  createDocumentSchema,
  documentDownloadSchema,
  documentListSchema,
  documentUploadSchema,
} from './document.schema.js';
import { type OperationId, ROUTES } from './routes.js';

const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  errors: z.array(z.object({ field: z.string(), reason: z.string() })).optional(),
});

const claimView = claimResourceSchema.extend({
  conflict: z.object({ exists: z.boolean(), claimIds: z.array(z.string()).optional() }),
});
const historyEventSchema = z.object({
  id: z.string(),
  claimId: z.string(),
  seq: z.number().int(),
  at: z
    .string()
    .describe('When it took effect; a timeout (`deadlineExpired`) is dated at its deadline, see `appliedAt`'),
  appliedAt: z.string().optional().describe('A timeout only: when it was applied, at or after `at`'),
  type: z.string(),
  actor: z.object({
    kind: z.enum(['partner', 'reviewer', 'customer', 'system']),
    sub: z.string().optional(),
    partnerId: z.string().optional(),
  }),
  fromStatus: z.string().optional(),
  toStatus: z.string().optional(),
  changes: z.array(z.object({ field: z.string(), from: z.unknown(), to: z.unknown() })).optional(),
  comment: z.string().optional(),
  reason: z.enum(REJECTION_REASONS).optional(),
  reasons: z.array(z.enum(INFO_REQUEST_REASONS)).optional(),
  deadline: z.enum(DEADLINE_KINDS).optional(),
  documentId: z.string().optional(),
  version: z.number().int(),
  prevHash: z.string().describe('`hash` of the previous event (64 zeros for the first)'),
  hash: z.string().describe('SHA-256 of the event without `hash`, as JSON with keys sorted at every level'),
  redacted: z
    .literal(true)
    .optional()
    .describe(
      'Partners only: other partners’ claim ids were replaced by `conflict.exists`; `hash` covers the original',
    ),
});
const historyVerificationSchema = z
  .object({
    valid: z.boolean(),
    seq: z.number().int().optional().describe('The first event that breaks the chain'),
    problem: z.string().optional(),
  })
  .describe(
    'The service re-checked the hash chain on this read: `valid: false` means stored history was altered',
  );
const commentSchema = z.object({
  id: z.string(),
  text: z.string(),
  author: historyEventSchema.shape.actor,
  at: z.string(),
  claimStatus: z.string().optional(),
});

const pageCursorSchema = z
  .string()
  .nullable()
  .describe(
    'Pass as `cursor` for the next page; `null` on the last. A page may hold fewer than `limit` items (responses stay under 4 MiB)',
  );

interface OperationSpec {
  body?: z.ZodType;
  query?: z.ZodObject;
  /** Successful response: status and schema. */
  ok: [number, z.ZodType];
  /** Reads `If-Match` (mutating claim routes). */
  ifMatch?: boolean;
  /** Honours `Idempotency-Key` (POST routes). */
  idempotent?: boolean;
  /** Further problem responses of this operation: status → when. */
  problems?: Record<number, string>;
  /** An HTML page route (the customer's consent page): other statuses → when, as HTML pages. */
  htmlPages?: Record<number, string>;
  /** The body is an HTML form post. */
  form?: boolean;
}

const htmlPage = (description: string) => ({ description, content: { 'text/html': { schema: z.string() } } });
const consentForm = z.object({ decision: z.literal('deny') });

const action = (body: z.ZodType): OperationSpec => ({
  body,
  ok: [200, claimView],
  ifMatch: true,
  idempotent: true,
});

const SPECS: Record<OperationId, OperationSpec> = {
  viewConsent: {
    ok: [200, z.string()],
    htmlPages: { 404: 'Unknown link', 410: 'The consent window is over, or the claim was already decided' },
  },
  denyConsent: {
    body: consentForm,
    form: true,
    ok: [200, z.string()],
    htmlPages: {
      400: 'Not a deny form',
      404: 'Unknown link',
      410: 'The consent window is over, or the claim was already decided',
    },
  },
  health: { ok: [200, z.object({ status: z.literal('ok') })] },
  getOpenApi: { ok: [200, z.object({ openapi: z.string() }).loose()] },
  createClaim: { body: claimDraftSchema, ok: [201, claimView], idempotent: true },
  listClaims: {
    query: listClaimsQuerySchema,
    ok: [200, z.object({ items: z.array(claimView), nextCursor: z.string().nullable() })],
  },
  getClaim: { ok: [200, claimView] },
  updateClaim: { body: claimPatchSchema, ok: [200, claimView], ifMatch: true },
  submitClaim: action(commentOnlySchema),
  withdrawClaim: action(commentOnlySchema),
  startReview: action(commentOnlySchema),
  requestInfo: action(requestInfoSchema),
  approveClaim: action(commentOnlySchema),
  rejectClaim: action(rejectSchema),
  disputeClaim: action(disputeSchema),
  resolveDispute: action(resolveDisputeSchema),
  addComment: { body: addCommentSchema, ok: [201, commentSchema], ifMatch: true, idempotent: true },
  listComments: {
    query: historyPageQuerySchema,
    ok: [200, z.object({ items: z.array(commentSchema), nextCursor: pageCursorSchema })],
  },
  getHistory: {
    query: historyPageQuerySchema,
    ok: [
      200,
      z.object({
        items: z.array(historyEventSchema),
        nextCursor: pageCursorSchema,
        verification: historyVerificationSchema,
      }),
    ],
  },
  createDocument: {
    body: createDocumentSchema,
    ok: [201, documentUploadSchema],
    idempotent: true,
    problems: {
      409: 'Not allowed in the claim’s current status, or the claim holds the maximum number of documents',
      413: 'The declared size exceeds the maximum; `errors` names `size`',
    },
  },
  listDocuments: { ok: [200, documentListSchema] },
  downloadDocument: {
    ok: [200, documentDownloadSchema],
    problems: { 409: 'The document is not available (not uploaded and verified yet, or rejected)' },
  },
};

const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problemSchema } },
});

let cached: ReturnType<OpenApiGeneratorV31['generateDocument']> | undefined;

export function openApiDocument() {
  if (cached) return cached;
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  });
  for (const route of ROUTES) {
    const spec = SPECS[route.operationId];
    const pathParams = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
    const headers: Record<string, z.ZodType> = {};
    if (spec.ifMatch)
      headers['if-match'] = z
        .string()
        .optional()
        .describe(
          'The claim ETags (strong comparison) the change is based on, or `*`; 412 if none matches, 400 if malformed',
        );
    if (spec.idempotent)
      headers['idempotency-key'] = z
        .string()
        .max(128)
        .optional()
        .describe('Retries with the same key return the first response');
    registry.registerPath({
      method: route.method.toLowerCase() as 'get' | 'post' | 'patch',
      path: route.path,
      operationId: route.operationId,
      summary: route.summary,
      ...(route.auth === 'jwt' && { security: [{ bearer: [] }] }),
      request: {
        ...(pathParams.length > 0 && {
          params: z.object(Object.fromEntries(pathParams.map((p) => [p, z.string()]))),
        }),
        ...(spec.query && { query: spec.query }),
        ...(Object.keys(headers).length > 0 && { headers: z.object(headers) }),
        ...(spec.body && {
          body: {
            required: true,
            content: {
              [spec.form
                ? 'application/x-www-form-urlencoded'
                : route.method === 'PATCH'
                  ? 'application/merge-patch+json'
                  : 'application/json']: {
                schema: spec.body,
              },
            },
          },
        }),
      },
      responses: spec.htmlPages
        ? {
            [spec.ok[0]]: htmlPage('The page'),
            ...Object.fromEntries(
              Object.entries(spec.htmlPages).map(([status, when]) => [status, htmlPage(when)]),
            ),
          }
        : {
            [spec.ok[0]]: { description: 'Success', content: { 'application/json': { schema: spec.ok[1] } } },
            ...(spec.body || spec.query
              ? { 400: problemResponse('Invalid input; `errors` names each field') }
              : {}),
            ...(route.auth === 'jwt' && {
              401: problemResponse('Missing or invalid token'),
              403: problemResponse('The token lacks the role for this action'),
            }),
            ...(route.path.includes('{id}') && { 404: problemResponse('No such claim, or not yours') }),
            ...(spec.ifMatch && {
              409: problemResponse('Not allowed in the claim’s current status, or a concurrent change'),
              412: problemResponse('If-Match does not match the claim’s version'),
            }),
            ...(spec.idempotent && { 422: problemResponse('Idempotency-Key reused with a different body') }),
            ...(spec.body && { 413: problemResponse('The body is larger than the API accepts') }),
            ...(route.auth === 'jwt' && {
              503: problemResponse(
                'Over capacity right now (storage throttled); retry after `Retry-After` seconds',
              ),
            }),
            ...Object.fromEntries(
              Object.entries(spec.problems ?? {}).map(([status, when]) => [status, problemResponse(when)]),
            ),
          },
    });
  }
  cached = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'CPOR claims API',
      version: '1.0.0',
      description:
        'Claimed Partner of Record customer association claims: create, prove, review, consent, dispute.',
    },
  });
  return cached;
}
