/**
 * The customer's consent pages: `GET /consent/{token}` shows the claim (changes nothing, since
 * mail scanners prefetch links); `POST /consent/{token}` with `decision=deny` rejects it.
 * Unknown token → 404 page; window over or already used → 410 page, whatever the POST's body.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { z } from 'zod';
import { type ConsentDeps, type ConsentState, denyConsent, viewConsent } from '../use-cases/consent.js';
import {
  CONSENT_PAGE_HEADERS,
  consentBadRequestPage,
  consentClosedPage,
  consentDeniedPage,
  consentOpenPage,
  consentUnknownPage,
} from './consent-pages.js';
import type { RouteRecord } from './route-record.js';

/** A route served by the consent Lambda. */
export type ConsentRoute = RouteRecord<ConsentDeps & { logger: Logger }, APIGatewayProxyEventV2>;

export const html = (statusCode: number, body: string): APIGatewayProxyStructuredResultV2 => ({
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

/** The 410 page of a closed window; the 404 page for anything else (an unknown token). */
function closedOrUnknownPage(state: ConsentState): APIGatewayProxyStructuredResultV2 {
  return state.kind === 'closed'
    ? html(410, consentClosedPage(state.reason))
    : html(404, consentUnknownPage());
}

const UNKNOWN_LINK = 'Unknown link';
const WINDOW_OVER = 'The consent window is over, or the claim was already decided';

export const CONSENT_ROUTES: readonly ConsentRoute[] = [
  {
    method: 'GET',
    path: '/consent/{token}',
    operationId: 'viewConsent',
    auth: 'none',
    function: 'consent',
    summary: 'Customer: the opt-out page (HTML); changes nothing, since mail scanners prefetch links',
    response: { status: 200, schema: z.string() },
    htmlPages: { 404: UNKNOWN_LINK, 410: WINDOW_OVER },
    handle: async (event, deps) => {
      const state = await viewConsent(deps, event.pathParameters?.token ?? '');
      return state.kind === 'open'
        ? html(200, consentOpenPage(state.claim, state.endsAt, deps.calendar.config.timeZone))
        : closedOrUnknownPage(state);
    },
  },
  {
    method: 'POST',
    path: '/consent/{token}',
    operationId: 'denyConsent',
    auth: 'none',
    function: 'consent',
    summary: 'Customer: deny the association (form post `decision=deny`); HTML result page',
    body: z.object({ decision: z.literal('deny') }),
    form: true,
    response: { status: 200, schema: z.string() },
    htmlPages: { 400: 'Not a deny form', 404: UNKNOWN_LINK, 410: WINDOW_OVER },
    handle: async (event, deps) => {
      const token = event.pathParameters?.token ?? '';
      // The token decides first: an unknown one is a 404 and a closed window a 410, whatever
      // the body; only an open window looks at the form.
      const state = await viewConsent(deps, token);
      if (state.kind !== 'open') return closedOrUnknownPage(state);
      if (!isDenyForm(event)) return html(400, consentBadRequestPage());
      const outcome = await denyConsent(deps, token);
      if (outcome.kind === 'denied') {
        deps.logger.info('Customer denied the association', { claimId: outcome.claim.id });
        return html(200, consentDeniedPage(outcome.claim));
      }
      // The window closed (or the claim moved on) between the two reads; `open` cannot come
      // back from a deny.
      return closedOrUnknownPage(outcome);
    },
  },
];
