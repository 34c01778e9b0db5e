import LinkifyIt from 'linkify-it';
import { describe, expect, it } from 'vitest';
import type { Claim } from '../../functions/domain/claim.js';
import type { EmailTemplate } from '../../functions/domain/lifecycle.js';
import { formatDeadline } from '../../functions/emails/local-time.js';
import { defaultPortalUrl, portalClaimUrl } from '../../functions/emails/portal-links.js';
import { type EmailContext, escapeHtml, renderEmail } from '../../functions/emails/templates.js';
import { unlinkable } from '../../functions/emails/unlinkable.js';
import { approvedClaim } from '../support/approved-claim.js';

// The values that exercise escaping on top of the shared sample claim.
const base: Claim = {
  ...approvedClaim,
  name: 'Rollout <script>alert(1)</script> & more',
  customer: {
    tenantId: 't',
    domain: 'contoso.com',
    contact: { name: 'Chris "C" O\'Neil', email: 'chris@contoso.com' },
  },
};

/** The dev stage's zone; 1 Dec 2026 17:00 UTC is 9:00 AM there (PST, UTC-8). */
const context: EmailContext = {
  portalUrl: 'https://partners.cpor.example/app',
  timeZone: 'America/Los_Angeles',
};
const OPT_OUT = 'https://claims.example/consent/tok?x=1&y=2';
const PORTAL_LINK = 'https://partners.cpor.example/app/claims/c-1';

const rejected: Claim = {
  ...base,
  status: 'rejected',
  deadlines: { disputeBy: '2026-12-24T17:00:00.000Z' },
  rejection: { reason: 'insufficientPoe', comment: 'The SOW is unsigned.', at: base.updatedAt, final: false },
};
const asked: Claim = {
  ...base,
  status: 'partnerActionRequired',
  deadlines: { partnerResponseBy: '2026-12-02T17:00:00.000Z' },
  infoRequest: {
    reasons: ['missingAllPoe', 'missingProducts'],
    comment: 'Need <b>dates</b>',
    at: base.updatedAt,
  },
};
const overturned: Claim = {
  ...base,
  dispute: { justification: 'j', documentIds: [], openedAt: base.updatedAt, outcome: 'overturned' },
};
const upheld: Claim = {
  ...base,
  status: 'rejected',
  deadlines: {},
  dispute: { justification: 'j', documentIds: [], openedAt: base.updatedAt, outcome: 'upheld' },
};

/** Each template with a claim it can render, and the one link it must carry. */
const EMAILS: { template: EmailTemplate; claim: Claim; link: string }[] = [
  { template: 'consentRequest', claim: base, link: OPT_OUT },
  { template: 'rejection', claim: rejected, link: PORTAL_LINK },
  { template: 'infoRequest', claim: asked, link: PORTAL_LINK },
  { template: 'disputeOutcome', claim: overturned, link: PORTAL_LINK },
  { template: 'disputeOutcome', claim: upheld, link: PORTAL_LINK },
];
const PARTNER_EMAILS = EMAILS.filter((e) => e.template !== 'consentRequest');

describe('email templates', () => {
  it('renders the consent request to the customer contact with the claim, deadline and opt-out link', () => {
    const email = renderEmail('consentRequest', base, { ...context, optOutUrl: OPT_OUT });
    expect(email.to).toEqual(base.customer.contact);
    expect(email.text).toContain(OPT_OUT);
    expect(email.text).toContain('Tue 1 Dec 2026, 9:00 AM PST (17:00 UTC)');
    expect(email.text).toContain('1234567');
    expect(email.html).toContain('href="https://claims.example/consent/tok?x=1&amp;y=2"');
  });

  it('escapes every claim value in the HTML part', () => {
    const email = renderEmail('consentRequest', base, { ...context, optOutUrl: 'https://x.example/c/t' });
    expect(email.html).not.toContain('<script>');
    expect(email.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; more');
    expect(email.html).toContain('Chris &quot;C&quot; O&#39;Neil');
  });

  it('refuses a consent request without an opt-out link', () => {
    expect(() => renderEmail('consentRequest', base, context)).toThrow(/opt-out link/);
  });

  it('tells the partner the reason, the comment and until when to dispute', () => {
    const email = renderEmail('rejection', rejected, context);
    expect(email.to).toEqual(base.partner.contact);
    expect(email.text).toContain('proof of execution was insufficient');
    expect(email.text).toContain('The SOW is unsigned.');
    expect(email.text).toContain('Thu 24 Dec 2026, 9:00 AM PST (17:00 UTC)');
    expect(email.text).toContain(PORTAL_LINK);
  });

  it('says a final rejection cannot be disputed', () => {
    const final: Claim = {
      ...base,
      status: 'rejected',
      deadlines: {},
      rejection: { reason: 'customerDecline', comment: '', at: base.updatedAt, final: true },
    };
    expect(renderEmail('rejection', final, context).text).toContain('This decision is final');
  });

  it('lists the info request reasons and the response deadline', () => {
    const email = renderEmail('infoRequest', asked, context);
    expect(email.text).toContain('- Proof of execution is missing');
    expect(email.text).toContain('- The claimed products are not shown');
    expect(email.html).toContain('<li>Proof of execution is missing</li>');
    expect(email.html).toContain('Need &lt;b&gt;dates&lt;/b&gt;');
    expect(email.text).toContain('Wed 2 Dec 2026, 9:00 AM PST (17:00 UTC)');
  });

  it('reports both dispute outcomes', () => {
    const accepted = renderEmail('disputeOutcome', overturned, context);
    expect(accepted.subject).toContain('accepted');
    expect(accepted.text).toContain('Tue 1 Dec 2026, 9:00 AM PST (17:00 UTC)');
    expect(renderEmail('disputeOutcome', upheld, context).text).toContain('upheld');
  });

  it('escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});

describe('partner emails link to the claim in the partner portal', () => {
  it.each(PARTNER_EMAILS)(
    '$template ($claim.status): a deep link, in both parts, and no API route',
    ({ template, claim }) => {
      const email = renderEmail(template, claim, context);
      expect(email.text).toContain(`Open the claim in the partner portal:\n${PORTAL_LINK}\n`);
      expect(email.html).toContain(`href="${PORTAL_LINK}"`);
      for (const part of [email.text, email.html]) {
        expect(part).not.toMatch(/\/v1\/|\b(POST|GET|PATCH) \//);
      }
    },
  );

  it('puts the claim id where a {claimId} template wants it', () => {
    const email = renderEmail('rejection', rejected, {
      ...context,
      portalUrl: 'https://portal.cpor.example/#/cpor/{claimId}/overview',
    });
    expect(email.text).toContain('https://portal.cpor.example/#/cpor/c-1/overview');
  });

  it('appends /claims/<id> to a base URL, with or without its trailing slash, and encodes the id', () => {
    expect(portalClaimUrl('https://partners.cpor.example', 'c-1')).toBe(
      'https://partners.cpor.example/claims/c-1',
    );
    expect(portalClaimUrl('https://partners.cpor.example/', 'c-1')).toBe(
      'https://partners.cpor.example/claims/c-1',
    );
    expect(portalClaimUrl('https://p.cpor.example/{claimId}', 'a/b?c')).toBe(
      'https://p.cpor.example/a%2Fb%3Fc',
    );
  });

  it("falls back to the service's console on the public base URL", () => {
    expect(portalClaimUrl(defaultPortalUrl('https://abc.execute-api.eu-west-1.amazonaws.com'), 'c-1')).toBe(
      'https://abc.execute-api.eu-west-1.amazonaws.com/console/claims/c-1',
    );
  });
});

describe('the customer is told who the partner is', () => {
  const named: Claim = { ...base, partner: { ...base.partner, name: 'Fabrikam <Consulting> Ltd' } };

  it('names the partner organisation in the consent email, with its MPN id', () => {
    const email = renderEmail('consentRequest', named, { ...context, optOutUrl: OPT_OUT });
    expect(email.text).toContain(
      'Fabrikam <Consulting> Ltd, a Microsoft partner (partner id 1234567), claims to have helped contoso.\u2060com',
    );
    expect(email.html).toContain('Fabrikam &lt;Consulting&gt; Ltd, a Microsoft partner (partner id 1234567)');
  });

  it('says "a Microsoft partner" and its MPN id for a claim without a name', () => {
    const email = renderEmail('consentRequest', base, { ...context, optOutUrl: OPT_OUT });
    expect(email.text).toContain('A Microsoft partner (partner id 1234567) claims to have helped');
  });
});

describe('deadlines in the deployment time zone with the UTC instant', () => {
  it.each([
    ['2026-12-11T01:00:00.000Z', 'America/Los_Angeles', 'Thu 10 Dec 2026, 5:00 PM PST (01:00 UTC, 11 Dec)'],
    ['2026-07-01T17:00:00.000Z', 'America/Los_Angeles', 'Wed 1 Jul 2026, 10:00 AM PDT (17:00 UTC)'],
    ['2026-12-31T23:30:00.000Z', 'Europe/Berlin', 'Fri 1 Jan 2027, 12:30 AM GMT+1 (23:30 UTC, 31 Dec 2026)'],
    ['2026-12-01T17:00:00.000Z', 'Asia/Kolkata', 'Tue 1 Dec 2026, 10:30 PM GMT+5:30 (17:00 UTC)'],
    ['2026-12-01T17:00:00.000Z', 'UTC', 'Tue 1 Dec 2026, 5:00 PM UTC'],
  ])('%s in %s → %s', (iso, zone, expected) => {
    expect(formatDeadline(iso, zone)).toBe(expected);
  });

  it('shows the consent deadline in the zone the email is rendered for', () => {
    const email = renderEmail('consentRequest', base, {
      ...context,
      timeZone: 'Europe/Berlin',
      optOutUrl: OPT_OUT,
    });
    expect(email.text).toContain('Tue 1 Dec 2026, 6:00 PM GMT+1 (17:00 UTC)');
  });
});

describe('partner-written text never becomes a link', () => {
  // linkify-it: the autolinker of markdown-it and of mailparser's text-to-HTML, with the
  // patterns mail clients link (schemes, www., bare domains, addresses, // paths).
  const linkify = new LinkifyIt();
  const linksIn = (text: string) => (linkify.match(text) ?? []).map((m) => m.url);

  /** Every partner-written field as something a mail client would link. */
  const hostile: Claim = {
    ...base,
    name: 'See http://evil.io/login or www.evil.io',
    customer: { ...base.customer, contact: { name: 'chris@evil.io', email: 'chris@contoso.com' } },
    partner: {
      mpnId: '1234567',
      name: 'Fabrikam.com ｜ evil。io ／ //evil.io',
      contact: { name: 'ftp://evil.io', email: 'pat@fabrikam.com' },
    },
    products: [{ family: 'microsoft365', workload: 'evil.io/teams' }],
  };
  const hostileEmails = EMAILS.map((e) => ({
    ...e,
    claim: {
      ...e.claim,
      ...hostile,
      status: e.claim.status,
      deadlines: e.claim.deadlines,
      ...(e.claim.rejection && { rejection: { ...e.claim.rejection, comment: '' } }),
      ...(e.claim.infoRequest && { infoRequest: { ...e.claim.infoRequest, comment: '' } }),
    },
  }));

  it.each(hostileEmails)(
    '$template ($claim.status): the only links are the service’s own',
    ({ template, claim, link }) => {
      const email = renderEmail(template, claim, { ...context, optOutUrl: OPT_OUT });
      // The fields are in the email, readable, only with invisible word joiners in them.
      expect(email.text.replaceAll('\u2060', '')).toContain(claim.customer.domain);
      expect(linksIn(email.text)).toEqual([link]);
      // Mail clients link text in HTML too: the visible text has none but the button's.
      const visible = email.html.replace(/<[^>]*>/g, ' ');
      expect(linksIn(visible)).toEqual([]);
      expect([...email.html.matchAll(/href="([^"]*)"/g)].map((m) => m[1])).toEqual([escapeHtml(link)]);
    },
  );

  it('the same text without the word joiners would have been linked (the test can fail)', () => {
    expect(linksIn(hostile.name)).toHaveLength(2);
    expect(linksIn(unlinkable(hostile.name))).toEqual([]);
    expect(unlinkable('Contoso Ltd. at contoso.com').replaceAll('\u2060', '')).toBe(
      'Contoso Ltd. at contoso.com',
    );
  });
});
