/**
 * The consent Lambda: one middy handler that dispatches on the API Gateway route key to the
 * consent routes (`consent-routes.ts`); a failure is an HTML error page, never a stack trace.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { handlerStack, type Observability } from '../handler-stack.js';
import type { ConsentDeps } from '../use-cases/consent.js';
import { consentBadRequestPage, consentUnknownPage } from './consent-pages.js';
import { CONSENT_ROUTES, html } from './consent-routes.js';
import { routeKey } from './route-record.js';

export type ConsentHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

const byRouteKey = new Map(CONSENT_ROUTES.map((route) => [routeKey(route), route]));

export interface ConsentHandlerDeps extends ConsentDeps, Observability {}

export function buildConsentHandler(deps: ConsentHandlerDeps): ConsentHandler {
  // The pages count nothing: no metrics to flush.
  const { logger, tracing } = deps;
  return handlerStack<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>(
    { logger, ...(tracing && { tracing }) },
    {
      correlationIdOf: (event) => event.requestContext?.requestId,
      errorResponse: (error) => {
        deps.logger.error('Consent page failed', { error });
        return html(500, consentBadRequestPage().replace('Request not understood', 'Something went wrong'));
      },
    },
  ).handler(async (event) => {
    const route = byRouteKey.get(event.routeKey);
    return route ? route.handle(event, deps) : html(404, consentUnknownPage());
  });
}
