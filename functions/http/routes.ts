/**
 * The one route table: every route's record, by capability. The CDK HTTP API, the local HTTP
 * adapter, each Lambda's dispatch and the OpenAPI document are all derived from it, so local
 * and cloud, code and contract never drift. To add a route, add its record to the file of its
 * capability (CONTRIBUTING.md, "Adding a route").
 */
import type { ApiRoute } from './api-route.js';
import { CLAIM_ROUTES } from './claim-routes.js';
import { CONSENT_ROUTES, type ConsentRoute } from './consent-routes.js';
import { DOCUMENT_ROUTES } from './document-routes.js';
import { SERVICE_ROUTES } from './service-routes.js';

export type { RouteAuth, RouteDefinition, RouteFunction } from './route-record.js';
export { routeKey } from './route-record.js';

/** The routes the API Lambda serves. */
export const API_ROUTES: readonly ApiRoute[] = [...SERVICE_ROUTES, ...CLAIM_ROUTES, ...DOCUMENT_ROUTES];

export const ROUTES: readonly (ApiRoute | ConsentRoute)[] = [...API_ROUTES, ...CONSENT_ROUTES];
