/**
 * The API Lambda: one middy handler that dispatches on the API Gateway route key to the
 * operation of the route's record (`routes.ts`); `Idempotency-Key` wraps the routes whose
 * record says `idempotent`. Operations are thin: parse, call one use case, map.
 */
import { randomUUID } from 'node:crypto';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import type { BusinessCalendar } from '../domain/business-calendar.js';
import type { Clock } from '../domain/clock.js';
import type { DocumentPolicy } from '../domain/document.js';
import type { ClaimStore } from '../domain/ports/claim-store.js';
import type { DocumentObjects, DocumentStore } from '../domain/ports/documents.js';
import { handlerStack, type Observability } from '../handler-stack.js';
import type { ApiEvent, ApiHandler, ApiResult } from './api-event.js';
import type { ApiRouteDeps } from './api-route.js';
import { createCursorCodec } from './cursor.js';
import { makeIdempotentOperation } from './idempotency.js';
import { notFound, problemResponse } from './problem.js';
import { routeKey } from './route-record.js';
import { API_ROUTES } from './routes.js';

export interface ApiDeps extends Observability {
  store: ClaimStore;
  documents: DocumentStore;
  /** The PoE bytes (S3): presigned uploads and downloads. */
  objects: DocumentObjects;
  /** Allowed document types, sizes and counts, and the presigned URLs' lifetimes. */
  documentPolicy: DocumentPolicy;
  clock: Clock;
  calendar: BusinessCalendar;
  /** HMAC key for list cursors (≥ 32 characters). */
  cursorSecret: string;
  /** Where `Idempotency-Key` records live; without it the idempotent routes ignore the header. */
  idempotencyStore?: BasePersistenceLayer;
  newId?: () => string;
}

/** The operations' dependencies: the ports, plus what the HTTP layer derives from them once. */
function routeDeps(deps: ApiDeps): ApiRouteDeps {
  let document: Promise<unknown> | undefined;
  return {
    ...deps,
    newId: deps.newId ?? randomUUID,
    cursors: createCursorCodec(deps.cursorSecret),
    // Loaded on the first request for it: the generator stays off every other request's path
    // and out of the cold start.
    openApiDocument: () => {
      document ??= import('./openapi.js').then((openapi) => openapi.openApiDocument());
      return document;
    },
  };
}

/** Builds the API handler around its ports; the Lambda entry (`functions/api.ts`) wires real ones. */
export function buildApiHandler(deps: ApiDeps): ApiHandler {
  const operationDeps = routeDeps(deps);
  const { idempotencyStore } = deps;
  const operationIdOf = new Map(API_ROUTES.map((route) => [routeKey(route), route.operationId]));
  const byRouteKey = new Map<string, (event: ApiEvent, context: Context) => Promise<ApiResult>>(
    API_ROUTES.map((route) => {
      const operation = (event: ApiEvent) => route.handle(event, operationDeps);
      const serve =
        route.idempotent && idempotencyStore
          ? makeIdempotentOperation(operation, idempotencyStore)
          : operation;
      return [routeKey(route), serve];
    }),
  );
  return handlerStack<ApiEvent, ApiResult>(deps, {
    // Every log line of a request carries its API Gateway request id and, if any, the claim id.
    correlationIdOf: (event) => event.requestContext?.requestId,
    logKeysOf: (event) => (event.pathParameters?.id ? { claimId: event.pathParameters.id } : undefined),
    errorResponse: (error, event) => {
      const response = problemResponse(error);
      if (response.statusCode && response.statusCode >= 500) {
        deps.logger.error('Unhandled error', { error, routeKey: event.routeKey });
      }
      return response;
    },
  })
    .use({
      after: async (request) => {
        const status = request.response?.statusCode ?? 0;
        if (deps.metrics && request.event.requestContext?.http?.method !== 'GET' && status < 300) {
          deps.metrics.addDimensions({ operation: operationIdOf.get(request.event.routeKey) ?? 'unknown' });
          deps.metrics.addMetric('ClaimCommands', MetricUnit.Count, 1);
        }
      },
    })
    .handler(async (event, context) => {
      const serve = byRouteKey.get(event.routeKey);
      if (!serve) throw notFound(`No route for ${event.routeKey}.`);
      return serve(event, context);
    });
}
