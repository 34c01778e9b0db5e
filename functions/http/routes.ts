/**
 * The one route table. The CDK HTTP API and the local HTTP adapter are both built from it,
 * so local and cloud never drift. Pure data: no handler code is imported here, so infra can
 * read it without bundling the functions.
 */

/** `jwt`: the API Gateway JWT authorizer (locally: jose) guards the route. `none`: public. */
export type RouteAuth = 'jwt' | 'none';

/** The Lambda entry point that serves a route (one file per entry in `functions/`). */
export type RouteFunction = 'api' | 'consent';

export interface RouteDefinition {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** API Gateway path syntax: `{id}` for a path parameter. */
  path: string;
  operationId: string;
  auth: RouteAuth;
  function: RouteFunction;
  summary: string;
}

export const ROUTES = [
  {
    method: 'GET',
    path: '/health',
    operationId: 'health',
    auth: 'none',
    function: 'api',
    summary: 'Liveness check',
  },
  {
    method: 'GET',
    path: '/v1/openapi.json',
    operationId: 'getOpenApi',
    auth: 'none',
    function: 'api',
    summary: 'The OpenAPI 3.1 document of this API',
  },
  {
    method: 'POST',
    path: '/v1/claims',
    operationId: 'createClaim',
    auth: 'jwt',
    function: 'api',
    summary: 'Create a claim (status editing)',
  },
  {
    method: 'GET',
    path: '/v1/claims',
    operationId: 'listClaims',
    auth: 'jwt',
    function: 'api',
    summary: 'List claims, newest first (partners: their own; reviewers: all)',
  },
  {
    method: 'GET',
    path: '/v1/claims/{id}',
    operationId: 'getClaim',
    auth: 'jwt',
    function: 'api',
    summary: 'Read one claim',
  },
  {
    method: 'PATCH',
    path: '/v1/claims/{id}',
    operationId: 'updateClaim',
    auth: 'jwt',
    function: 'api',
    summary: 'Edit the fields the current status allows (JSON merge patch)',
  },
  {
    method: 'POST',
    path: '/v1/claims/{id}/documents',
    operationId: 'createDocument',
    auth: 'jwt',
    function: 'api',
    summary: 'Declare a PoE document: a presigned S3 POST for its upload, verified after upload',
  },
  {
    method: 'GET',
    path: '/v1/claims/{id}/documents',
    operationId: 'listDocuments',
    auth: 'jwt',
    function: 'api',
    summary: 'The claim’s PoE documents, oldest first, with their verification status',
  },
  {
    method: 'GET',
    path: '/v1/claims/{id}/documents/{docId}/download',
    operationId: 'downloadDocument',
    auth: 'jwt',
    function: 'api',
    summary: 'A short-lived download link (presigned GET, attachment) for an available document',
  },
  {
    method: 'POST',
    path: '/v1/claims/{id}/submit',
    operationId: 'submitClaim',
    auth: 'jwt',
    function: 'api',
    summary: 'Submit (editing → submitted) or resubmit (partnerActionRequired → underReview)',
  },
  {
    method: 'POST',
    path: '/v1/claims/{id}/withdraw',
    operationId: 'withdrawClaim',
    auth: 'jwt',
    function: 'api',
    summary: 'Withdraw: the claim is rejected with reason partnerRequest',
  },
  {
    method: 'POST',
    path: '/v1/claims/{id}/comments',
    operationId: 'addComment',
    auth: 'jwt',
    function: 'api',
    summary: 'Comment on a claim',
  },
  {
    method: 'GET',
    path: '/v1/claims/{id}/comments',
    operationId: 'listComments',
    auth: 'jwt',
    function: 'api',
    summary: 'Comments, oldest first',
  },
  {
    method: 'GET',
    path: '/v1/claims/{id}/history',
    operationId: 'getHistory',
    auth: 'jwt',
    function: 'api',
    summary: 'Every change, comment and action, oldest first, hash-chained',
  },
  {
    method: 'POST',
    path: '/v1/claims/{id}/dispute',
    operationId: 'disputeClaim',
    auth: 'jwt',
    function: 'api',
    summary: 'Dispute a rejection within 30 days',
  },
  {
    method: 'POST',
    path: '/v1/claims/{id}/start-review',
    operationId: 'startReview',
    auth: 'jwt',
    function: 'api',
    summary: 'Reviewer: submitted → underReview',
  },
  {
    method: 'POST',
    path: '/v1/claims/{id}/request-info',
    operationId: 'requestInfo',
    auth: 'jwt',
    function: 'api',
    summary: 'Reviewer: ask the partner for more (underReview → partnerActionRequired)',
  },
  {
    method: 'POST',
    path: '/v1/claims/{id}/approve',
    operationId: 'approveClaim',
    auth: 'jwt',
    function: 'api',
    summary: 'Reviewer: approve (consent window starts)',
  },
  {
    method: 'POST',
    path: '/v1/claims/{id}/reject',
    operationId: 'rejectClaim',
    auth: 'jwt',
    function: 'api',
    summary: 'Reviewer: reject with a reason',
  },
  {
    method: 'POST',
    path: '/v1/claims/{id}/resolve-dispute',
    operationId: 'resolveDispute',
    auth: 'jwt',
    function: 'api',
    summary: 'Reviewer: overturn or uphold a disputed rejection',
  },
  {
    method: 'GET',
    path: '/consent/{token}',
    operationId: 'viewConsent',
    auth: 'none',
    function: 'consent',
    summary: 'Customer: the opt-out page (HTML); changes nothing, since mail scanners prefetch links',
  },
  {
    method: 'POST',
    path: '/consent/{token}',
    operationId: 'denyConsent',
    auth: 'none',
    function: 'consent',
    summary: 'Customer: deny the association (form post `decision=deny`); HTML result page',
  },
] as const satisfies readonly RouteDefinition[];

export type Route = (typeof ROUTES)[number];
export type OperationId = Route['operationId'];

/** `POST /v1/claims/{id}` — the API Gateway route key, also set on local events. */
export function routeKey(route: Pick<RouteDefinition, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}
