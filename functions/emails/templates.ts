/**
 * The service's emails as typed templates in code: each renders a subject, a plain-text part
 * and an HTML part from a claim snapshot. Every value from a claim is escaped in HTML, and
 * the recipient must be a single clean address (no header injection).
 */
import type { Claim } from '../domain/claim.js';
import type { EmailTemplate } from '../domain/lifecycle.js';
import type { RenderedEmail } from '../domain/ports/email.js';

export interface EmailContext {
  /** The customer's opt-out link (consent request only). */
  optOutUrl?: string;
  /** Where partners manage claims, named in partner emails. */
  portalHint?: string;
}

const REJECTION_REASON_TEXT: Record<NonNullable<Claim['rejection']>['reason'], string> = {
  partnerRequest: 'withdrawn at the partner’s request',
  customerDecline: 'the customer declined the association',
  insufficientPoe: 'the proof of execution was insufficient',
  missingCustomerConsent: 'customer consent was missing',
  missingProducts: 'the claimed products were missing from the proof',
  noPartnerResponse: 'no partner response arrived within the deadline',
  poeUnavailable: 'the proof of execution was unavailable',
};

const INFO_REASON_TEXT: Record<NonNullable<Claim['infoRequest']>['reasons'][number], string> = {
  missingAllPoe: 'Proof of execution is missing',
  missingCustomerAcknowledgment: 'The customer’s acknowledgment is missing',
  missingOrOldDates: 'Dates are missing or too old',
  missingPartnerSolution: 'The partner’s solution is not described',
  missingProducts: 'The claimed products are not shown',
};

/** HTML-escapes text from claims (names, comments) so it can never become markup. */
export function escapeHtml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** A human date for emails, in UTC so every reader sees the same instant stated plainly. */
export function formatInstant(iso: string): string {
  const date = new Date(iso);
  return `${date.toLocaleString('en-US', { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' })} UTC`;
}

function products(claim: Claim): string {
  return claim.products
    .map((p) => `${p.workload} (${p.family === 'microsoft365' ? 'Microsoft 365' : 'Business Applications'})`)
    .join(', ');
}

function html(title: string, paragraphs: string[], action?: { href: string; label: string }): string {
  const body = paragraphs.map((p) => `<p>${p}</p>`).join('\n');
  const button = action
    ? `<p><a href="${escapeHtml(action.href)}" style="display:inline-block;padding:10px 16px;background:#0b5cad;color:#fff;text-decoration:none;border-radius:4px">${escapeHtml(action.label)}</a></p>`
    : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body style="font-family:Segoe UI,Arial,sans-serif;line-height:1.5;color:#222">\n<h1 style="font-size:20px">${escapeHtml(title)}</h1>\n${body}\n${button}\n</body></html>`;
}

/** Renders one template for a claim snapshot. Throws if the template's inputs are missing. */
export function renderEmail(
  template: EmailTemplate,
  claim: Claim,
  context: EmailContext = {},
): RenderedEmail {
  const e = escapeHtml;
  switch (template) {
    case 'consentRequest': {
      const endsAt = claim.consent?.endsAt ?? claim.deadlines.consentEndsAt;
      if (!endsAt || !context.optOutUrl)
        throw new Error('A consent request needs the consent window and an opt-out link.');
      const subject = `A Microsoft partner has claimed an association with ${claim.customer.domain}`;
      const lines = [
        `Hello ${claim.customer.contact.name},`,
        `A Microsoft partner (partner id ${claim.partner.mpnId}) claims to have helped ${claim.customer.domain} adopt: ${products(claim)}.`,
        `Claim: “${claim.name}”.`,
        `If you agree, you need to do nothing. If you do not recognise this partner’s work, you can deny the association until ${formatInstant(endsAt)}:`,
      ];
      return {
        template,
        to: claim.customer.contact,
        subject,
        text: `${lines.join('\n\n')}\n\n${context.optOutUrl}\n`,
        html: html(subject, lines.map(e), {
          href: context.optOutUrl,
          label: 'Review or deny this association',
        }),
      };
    }
    case 'rejection': {
      const rejection = claim.rejection;
      if (!rejection) throw new Error('A rejection email needs a rejection.');
      const subject = `Your claim “${claim.name}” was rejected`;
      const disputeBy = claim.deadlines.disputeBy;
      const lines = [
        `Hello ${claim.partner.contact.name},`,
        `Your claim for ${claim.customer.domain} was rejected: ${REJECTION_REASON_TEXT[rejection.reason]}.`,
        ...(rejection.comment ? [`Reviewer’s comment: ${rejection.comment}`] : []),
        disputeBy
          ? `You may dispute this decision until ${formatInstant(disputeBy)}: send a justification and/or new proof of execution with POST /v1/claims/${claim.id}/dispute${context.portalHint ? ` (${context.portalHint})` : ''}.`
          : 'This decision is final; a new claim is needed.',
      ];
      return {
        template,
        to: claim.partner.contact,
        subject,
        text: `${lines.join('\n\n')}\n`,
        html: html(subject, lines.map(e)),
      };
    }
    case 'infoRequest': {
      const request = claim.infoRequest;
      const respondBy = claim.deadlines.partnerResponseBy;
      if (!request || !respondBy)
        throw new Error('An info request email needs the request and its deadline.');
      const subject = `More information needed for your claim “${claim.name}”`;
      const reasons = request.reasons.map((r) => `- ${INFO_REASON_TEXT[r]}`);
      const lines = [
        `Hello ${claim.partner.contact.name},`,
        `A reviewer needs more before deciding your claim for ${claim.customer.domain}:`,
        reasons.join('\n'),
        ...(request.comment ? [`Reviewer’s comment: ${request.comment}`] : []),
        `Please add documents or edit the claim and resubmit by ${formatInstant(respondBy)}; otherwise the claim is rejected automatically.`,
      ];
      const htmlLines = lines.map((line) =>
        line === reasons.join('\n')
          ? `<ul>${request.reasons.map((r) => `<li>${e(INFO_REASON_TEXT[r])}</li>`).join('')}</ul>`
          : e(line),
      );
      return {
        template,
        to: claim.partner.contact,
        subject,
        text: `${lines.join('\n\n')}\n`,
        html: html(subject, htmlLines),
      };
    }
    case 'disputeOutcome': {
      const outcome = claim.dispute?.outcome;
      if (!outcome) throw new Error('A dispute outcome email needs the outcome.');
      const subject = `Your dispute of “${claim.name}” was ${outcome === 'overturned' ? 'accepted' : 'rejected'}`;
      const lines = [
        `Hello ${claim.partner.contact.name},`,
        outcome === 'overturned'
          ? `The rejection of your claim for ${claim.customer.domain} was overturned: the claim is approved, and the customer has until ${formatInstant(claim.deadlines.consentEndsAt ?? claim.updatedAt)} to decline the association.`
          : `The rejection of your claim for ${claim.customer.domain} was upheld. This decision is final.`,
      ];
      return {
        template,
        to: claim.partner.contact,
        subject,
        text: `${lines.join('\n\n')}\n`,
        html: html(subject, lines.map(e)),
      };
    }
  }
}
