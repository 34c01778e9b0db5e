/**
 * The service's emails as typed templates in code: each renders a subject, a plain-text part
 * and an HTML part from a claim snapshot. Partner-written values (names, domains, products)
 * can never become a link in either part (see `unlinkable`) and are escaped in HTML; the only
 * links are the service's own: the customer's consent page and the claim in the partner
 * portal. Deadlines are shown in the deployment's time zone with the UTC instant.
 * The recipient must be a single clean address (no header injection).
 */
import type { Claim } from '../domain/claim.js';
import type { EmailTemplate } from '../domain/lifecycle.js';
import type { RenderedEmail } from '../domain/ports/email.js';
import { formatDeadline } from './local-time.js';
import { portalClaimUrl } from './portal-links.js';
import { unlinkable } from './unlinkable.js';

/** The deployment's settings every email needs. */
export interface EmailSettings {
  /** The partner portal: base URL or `{claimId}` template (see `portalClaimUrl`). */
  portalUrl: string;
  /** IANA zone deadlines are shown in (the business calendar's), e.g. `America/Los_Angeles`. */
  timeZone: string;
}

export interface EmailContext extends EmailSettings {
  /** The customer's opt-out link (consent request only). */
  optOutUrl?: string;
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

/** The claimed products, partner-written workload names made unlinkable. */
function products(claim: Claim): string {
  return claim.products
    .map(
      (p) =>
        `${unlinkable(p.workload)} (${p.family === 'microsoft365' ? 'Microsoft 365' : 'Business Applications'})`,
    )
    .join(', ');
}

/** Who the partner is, for the customer: its organisation's name when given, and its MPN id. */
function partnerIntroduction(claim: Claim): string {
  const id = `partner id ${claim.partner.mpnId}`; // digits only
  return claim.partner.name
    ? `${unlinkable(claim.partner.name)}, a Microsoft partner (${id}),`
    : `A Microsoft partner (${id})`;
}

interface Action {
  href: string;
  label: string;
}

/** The HTML part; `title` (the subject with its partner-written values unlinkable) heads it. */
function html(title: string, paragraphs: string[], action: Action): string {
  const body = paragraphs.map((p) => `<p>${p}</p>`).join('\n');
  const button = `<p><a href="${escapeHtml(action.href)}" style="display:inline-block;padding:10px 16px;background:#0b5cad;color:#fff;text-decoration:none;border-radius:4px">${escapeHtml(action.label)}</a></p>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body style="font-family:Segoe UI,Arial,sans-serif;line-height:1.5;color:#222">\n<h1 style="font-size:20px">${escapeHtml(title)}</h1>\n${body}\n${button}\n</body></html>`;
}

/**
 * The email from its paragraphs (partner-written values already unlinkable) and its one link:
 * the text part ends with the action's label and the link on a line of its own; the HTML part
 * escapes the paragraphs unless given as markup.
 */
function compose(
  template: EmailTemplate,
  to: RenderedEmail['to'],
  subject: string,
  paragraphs: string[],
  action: Action,
  htmlParagraphs = paragraphs.map(escapeHtml),
): RenderedEmail {
  return {
    template,
    to,
    subject,
    text: `${paragraphs.join('\n\n')}\n\n${action.label}:\n${action.href}\n`,
    html: html(unlinkable(subject), htmlParagraphs, action),
  };
}

/** The claim in the partner portal: the one link of every partner email. */
function portalAction(claim: Claim, context: EmailContext): Action {
  return { href: portalClaimUrl(context.portalUrl, claim.id), label: 'Open the claim in the partner portal' };
}

/** Renders one template for a claim snapshot. Throws if the template's inputs are missing. */
export function renderEmail(template: EmailTemplate, claim: Claim, context: EmailContext): RenderedEmail {
  const e = escapeHtml;
  const when = (iso: string) => formatDeadline(iso, context.timeZone);
  // Partner-written values, made unlinkable once for both parts.
  const claimName = unlinkable(claim.name);
  const domain = unlinkable(claim.customer.domain);
  switch (template) {
    case 'consentRequest': {
      const endsAt = claim.consent?.endsAt ?? claim.deadlines.consentEndsAt;
      if (!endsAt || !context.optOutUrl)
        throw new Error('A consent request needs the consent window and an opt-out link.');
      const subject = `A Microsoft partner has claimed an association with ${claim.customer.domain}`;
      const lines = [
        `Hello ${unlinkable(claim.customer.contact.name)},`,
        `${partnerIntroduction(claim)} claims to have helped ${domain} adopt: ${products(claim)}.`,
        `Claim: “${claimName}”.`,
        `If you agree, you need to do nothing. If you do not recognise this partner’s work, you can deny the association until ${when(endsAt)}.`,
      ];
      const action = { href: context.optOutUrl, label: 'Review or deny this association' };
      return compose(template, claim.customer.contact, subject, lines, action);
    }
    case 'rejection': {
      const rejection = claim.rejection;
      if (!rejection) throw new Error('A rejection email needs a rejection.');
      const subject = `Your claim “${claim.name}” was rejected`;
      const disputeBy = claim.deadlines.disputeBy;
      const lines = [
        `Hello ${unlinkable(claim.partner.contact.name)},`,
        `Your claim “${claimName}” for ${domain} was rejected: ${REJECTION_REASON_TEXT[rejection.reason]}.`,
        ...(rejection.comment ? [`Reviewer’s comment: ${rejection.comment}`] : []),
        disputeBy
          ? `You may dispute this decision until ${when(disputeBy)}: open the claim in the partner portal and send a justification and/or new proof of execution.`
          : 'This decision is final; a new claim is needed.',
      ];
      const action = portalAction(claim, context);
      return compose(template, claim.partner.contact, subject, lines, action);
    }
    case 'infoRequest': {
      const request = claim.infoRequest;
      const respondBy = claim.deadlines.partnerResponseBy;
      if (!request || !respondBy)
        throw new Error('An info request email needs the request and its deadline.');
      const subject = `More information needed for your claim “${claim.name}”`;
      const reasons = request.reasons.map((r) => `- ${INFO_REASON_TEXT[r]}`).join('\n');
      const lines = [
        `Hello ${unlinkable(claim.partner.contact.name)},`,
        `A reviewer needs more before deciding your claim “${claimName}” for ${domain}:`,
        reasons,
        ...(request.comment ? [`Reviewer’s comment: ${request.comment}`] : []),
        `Please add documents or edit the claim in the partner portal and resubmit it by ${when(respondBy)}; otherwise the claim is rejected automatically.`,
      ];
      const htmlLines = lines.map((line) =>
        line === reasons
          ? `<ul>${request.reasons.map((r) => `<li>${e(INFO_REASON_TEXT[r])}</li>`).join('')}</ul>`
          : e(line),
      );
      const action = portalAction(claim, context);
      return compose(template, claim.partner.contact, subject, lines, action, htmlLines);
    }
    case 'disputeOutcome': {
      const outcome = claim.dispute?.outcome;
      if (!outcome) throw new Error('A dispute outcome email needs the outcome.');
      const subject = `Your dispute of “${claim.name}” was ${outcome === 'overturned' ? 'accepted' : 'rejected'}`;
      const lines = [
        `Hello ${unlinkable(claim.partner.contact.name)},`,
        outcome === 'overturned'
          ? `The rejection of your claim “${claimName}” for ${domain} was overturned: the claim is approved, and the customer has until ${when(claim.deadlines.consentEndsAt ?? claim.updatedAt)} to decline the association.`
          : `The rejection of your claim “${claimName}” for ${domain} was upheld. This decision is final.`,
      ];
      const action = portalAction(claim, context);
      return compose(template, claim.partner.contact, subject, lines, action);
    }
  }
}
