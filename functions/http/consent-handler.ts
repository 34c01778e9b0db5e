/**
 * The consent Lambda: one middy handler that dispatches on the API Gateway route key to the
 * consent routes (`consent-routes.ts`); a failure is an HTML error page, never a stack trace.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { ConsentDeps } from '../use-cases/consent.js';
import { consentBadRequestPage, consentUnknownPage } from './consent-pages.js';
import { CONSENT_ROUTES, html } from './consent-routes.js';
import { routeKey } from './route-record.js';

export type ConsentHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

const byRouteKey = new Map(CONSENT_ROUTES.map((route) => [routeKey(route), route]));

export function buildConsentHandler(deps: ConsentDeps & { logger: Logger }): ConsentHandler {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, Context>()
    .use(injectLambdaContext(deps.logger, { resetKeys: true }))
    .use({
      onError: async (request) => {
        deps.logger.error('Consent page failed', { error: request.error as Error });
        request.response = html(
          500,
          consentBadRequestPage().replace('Request not understood', 'Something went wrong'),
        );
      },
    })
    .handler(async (event) => {
      const route = byRouteKey.get(event.routeKey);
      return route ? route.handle(event, deps) : html(404, consentUnknownPage());
    });
}
