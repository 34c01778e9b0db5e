/**
 * The customer's consent pages: small, accessible, mobile-friendly HTML with no script at
 * all. Every claim value is escaped; the pages are never cached and never leak the token in
 * a Referer (see `CONSENT_PAGE_HEADERS`).
 */
import type { Claim } from '../domain/claim.js';
import { formatDeadline } from '../emails/local-time.js';
import { escapeHtml } from '../emails/templates.js';

/** CSP without any script; the one stylesheet is inline, so only inline styles are allowed. */
export const CONSENT_PAGE_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
};

const STYLE = `body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0;padding:1rem;color:#1b1b1b;background:#f6f6f6;line-height:1.5}
main{max-width:36rem;margin:0 auto;background:#fff;padding:1.5rem;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.15)}
h1{font-size:1.4rem;margin-top:0}dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{font-weight:600}dd{margin:0}
button{font:inherit;font-size:1rem;padding:.75rem 1.25rem;border:0;border-radius:6px;background:#a4262c;color:#fff;cursor:pointer;min-height:44px}
button:focus-visible{outline:3px solid #005a9e;outline-offset:2px}.note{color:#444;font-size:.95rem}`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>`;
}

function summary(claim: Claim): string {
  const e = escapeHtml;
  const products = claim.products
    .map(
      (p) => `${e(p.workload)} (${p.family === 'microsoft365' ? 'Microsoft 365' : 'Business Applications'})`,
    )
    .join(', ');
  return `<dl>
<dt>Claim</dt><dd>${e(claim.name)}</dd>
<dt>Your organisation</dt><dd>${e(claim.customer.domain)}</dd>
${
  claim.partner.name
    ? `<dt>Partner</dt><dd>${e(claim.partner.name)}</dd>
`
    : ''
}<dt>Partner id</dt><dd>${e(claim.partner.mpnId)}</dd>
<dt>Products</dt><dd>${products}</dd>
</dl>`;
}

/** Who says it helped: the partner organisation by name when the claim gives one. */
function partnerSays(claim: Claim): string {
  return claim.partner.name
    ? `<strong>${escapeHtml(claim.partner.name)}</strong>, a Microsoft partner, says it`
    : 'A Microsoft partner says it';
}

/**
 * The open consent page: the claim, and until when (in the deployment's `timeZone`, with the
 * UTC instant) the customer may deny it.
 */
export function consentOpenPage(claim: Claim, endsAt: string, timeZone: string): string {
  return page(
    'A partner claims to have helped your organisation',
    `<p>${partnerSays(claim)} helped <strong>${escapeHtml(claim.customer.domain)}</strong> adopt the products below.
If that is right, you need to do nothing.</p>
${summary(claim)}
<p>If you do not recognise this partner's work, deny the association before <strong>${escapeHtml(formatDeadline(endsAt, timeZone))}</strong>.</p>
<form method="post">
<input type="hidden" name="decision" value="deny">
<button type="submit">Deny this association</button>
</form>
<p class="note">Opening this page changes nothing; only the button does.</p>`,
  );
}

export function consentDeniedPage(claim: Claim): string {
  return page(
    'Association denied',
    `<p role="status">Thank you. The partner's claim for <strong>${escapeHtml(claim.customer.domain)}</strong> has been rejected, and the partner will be told.</p>${summary(claim)}`,
  );
}

export function consentClosedPage(reason: 'windowOver' | 'alreadyDenied' | 'noLongerApproved'): string {
  const text = {
    windowOver: 'The time to deny this association has passed.',
    alreadyDenied: 'This association has already been denied. Nothing more is needed.',
    noLongerApproved: 'This claim is no longer awaiting your decision.',
  }[reason];
  return page('This link can no longer be used', `<p role="status">${escapeHtml(text)}</p>`);
}

export function consentUnknownPage(): string {
  return page(
    'Link not found',
    '<p role="status">This link is not valid. Please check that you copied the whole link from the email.</p>',
  );
}

export function consentBadRequestPage(): string {
  return page(
    'Request not understood',
    '<p role="status">Use the button on the page to deny the association.</p>',
  );
}
