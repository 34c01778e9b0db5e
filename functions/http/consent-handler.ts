/**
 * The consent Lambda: `GET /consent/{token}` shows the claim (changes nothing, since mail
 * scanners prefetch links); `POST /consent/{token}` with `decision=deny` rejects it.
 * Unknown token → 404 page; window over or already used → 410 page, whatever the POST's body.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { handlerStack, type Observability } from '../handler-stack.js';
import { type ConsentDeps, type ConsentState, denyConsent, viewConsent } from '../use-cases/consent.js';
import {
  CONSENT_PAGE_HEADERS,
  consentBadRequestPage,
  consentClosedPage,
  consentDeniedPage,
  consentOpenPage,
  consentUnknownPage,
} from './consent-pages.js';

export type ConsentHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

const html = (statusCode: number, body: string): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: CONSENT_PAGE_HEADERS,
  body,
});

/** The form's body: `decision=deny`, nothing else (urlencoded, possibly base64 from API Gateway). */
function isDenyForm(event: APIGatewayProxyEventV2): boolean {
  const raw = event.isBase64Encoded
    ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
    : (event.body ?? '');
  if (raw.length > 1024) return false;
  const form = new URLSearchParams(raw);
  return form.get('decision') === 'deny' && [...form.keys()].every((key) => key === 'decision');
}

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
    const token = event.pathParameters?.token ?? '';
    // The token decides first: an unknown one is a 404 and a closed window a 410, whatever
    // the body; only an open window looks at the form.
    const state = await viewConsent(deps, token);
    if (state.kind !== 'open') return closedOrUnknownPage(state);
    if (event.requestContext.http.method !== 'POST') {
      return html(200, consentOpenPage(state.claim, state.endsAt, deps.calendar.config.timeZone));
    }
    if (!isDenyForm(event)) return html(400, consentBadRequestPage());
    const outcome = await denyConsent(deps, token);
    if (outcome.kind === 'denied') {
      deps.logger.info('Customer denied the association', { claimId: outcome.claim.id });
      return html(200, consentDeniedPage(outcome.claim));
    }
    // The window closed (or the claim moved on) between the two reads; `open` cannot come
    // back from a deny.
    return closedOrUnknownPage(outcome);
  });
}

/** The 410 page of a closed window; the 404 page for anything else (an unknown token). */
function closedOrUnknownPage(state: ConsentState): APIGatewayProxyStructuredResultV2 {
  return state.kind === 'closed'
    ? html(410, consentClosedPage(state.reason))
    : html(404, consentUnknownPage());
}
