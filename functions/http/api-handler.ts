/**
 * The API Lambda: one middy handler that dispatches on the API Gateway route key to the
 * operation of the route's record (`routes.ts`); `Idempotency-Key` wraps the routes whose
 * record says `idempotent`. Operations are thin: parse, call one use case, map.
 */
import { randomUUID } from 'node:crypto';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { BusinessCalendar } from '../domain/business-calendar.js';
import type { Clock } from '../domain/clock.js';
import type { DocumentPolicy } from '../domain/document.js';
import type { ClaimStore, DocumentObjects, DocumentStore } from '../domain/ports.js';
import type { ApiRouteDeps } from './api-route.js';
import { createCursorCodec } from './cursor.js';
import { makeIdempotentOperation } from './idempotency.js';
import { notFound, problemResponse } from './problem.js';
import { type ApiEvent, type ApiResult, routeKey } from './route-record.js';
import { API_ROUTES } from './routes.js';

export interface ApiDeps {
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
  logger: Logger;
  /** EMF metrics (Lambda); absent locally. */
  metrics?: Metrics;
  /** X-Ray (Lambda); absent locally. */
  tracer?: Tracer;
  /** Where `Idempotency-Key` records live; without it the idempotent routes ignore the header. */
  idempotencyStore?: BasePersistenceLayer;
  newId?: () => string;
}

export type ApiHandler = (event: ApiEvent, context: Context) => Promise<ApiResult>;

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
  const handler = middy<ApiEvent, ApiResult, Error, Context>();
  if (deps.tracer) handler.use(captureLambdaHandler(deps.tracer, { captureResponse: false }));
  if (deps.metrics) handler.use(logMetrics(deps.metrics));
  return handler
    .use(injectLambdaContext(deps.logger, { resetKeys: true }))
    .use({
      // Every log line of a request carries its API Gateway request id and, if any, the claim id.
      before: async (request) => {
        deps.logger.setCorrelationId(request.event.requestContext?.requestId);
        const claimId = request.event.pathParameters?.id;
        if (claimId) deps.logger.appendKeys({ claimId });
      },
      after: async (request) => {
        const status = request.response?.statusCode ?? 0;
        if (deps.metrics && request.event.requestContext?.http?.method !== 'GET' && status < 300) {
          deps.metrics.addDimensions({ operation: operationIdOf.get(request.event.routeKey) ?? 'unknown' });
          deps.metrics.addMetric('ClaimCommands', MetricUnit.Count, 1);
        }
      },
    })
    .use({
      onError: async (request) => {
        const response = problemResponse(request.error);
        if (response.statusCode && response.statusCode >= 500) {
          deps.logger.error('Unhandled error', {
            error: request.error as Error,
            routeKey: request.event.routeKey,
          });
        }
        request.response = response;
      },
    })
    .handler(async (event, context) => {
      const serve = byRouteKey.get(event.routeKey);
      if (!serve) throw notFound(`No route for ${event.routeKey}.`);
      return serve(event, context);
    });
}
