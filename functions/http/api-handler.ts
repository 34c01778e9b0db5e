/**
 * The API Lambda: one middy handler that dispatches on the API Gateway route key to the
 * operation of the shared route table. Operations are thin: parse, call one use case, map.
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
import { claimOperations, type Operation } from './claim-operations.js';
import { createCursorCodec } from './cursor.js';
import { documentOperations } from './document-operations.js';
import { makeIdempotentOperation } from './idempotency.js';
import { openApiDocument } from './openapi.js';
import { notFound, problemResponse } from './problem.js';
import { json } from './responses.js';
import { ROUTES, type Route, routeKey } from './routes.js';

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
  /** Where `Idempotency-Key` records live; without it POST routes ignore the header. */
  idempotencyStore?: BasePersistenceLayer;
  newId?: () => string;
}

/** The operations this Lambda serves: every route of the table with `function: 'api'`. */
type ApiOperationId = Extract<Route, { function: 'api' }>['operationId'];

function operations(deps: ApiDeps): Record<ApiOperationId, Operation> {
  const cursors = createCursorCodec(deps.cursorSecret);
  return {
    health: async () => json(200, { status: 'ok' }),
    getOpenApi: async () => json(200, openApiDocument()),
    ...claimOperations({ ...deps, newId: deps.newId ?? randomUUID, cursors }),
    ...documentOperations({ ...deps, newId: deps.newId ?? randomUUID }),
  };
}

/** Builds the API handler around its ports; the Lambda entry (`functions/api.ts`) wires real ones. */
export function buildApiHandler(deps: ApiDeps): ApiHandler {
  const byOperation = operations(deps);
  const { idempotencyStore } = deps;
  const operationIdOf = new Map(ROUTES.map((route) => [routeKey(route), route.operationId]));
  const byRouteKey = new Map<string, (event: ApiEvent, context: Context) => Promise<ApiResult>>(
    ROUTES.filter((route) => route.function === 'api').map((route) => {
      const operation = byOperation[route.operationId];
      const serve =
        route.method === 'POST' && idempotencyStore
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
