import { describe, expect, it } from 'vitest';
import type { Claim } from '../../functions/domain/claim.js';
import { escapeHtml, renderEmail } from '../../functions/emails/templates.js';
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

describe('email templates', () => {
  it('renders the consent request to the customer contact with the claim, deadline and opt-out link', () => {
    const email = renderEmail('consentRequest', base, {
      optOutUrl: 'https://claims.example/consent/tok?x=1&y=2',
    });
    expect(email.to).toEqual(base.customer.contact);
    expect(email.text).toContain('https://claims.example/consent/tok?x=1&y=2');
    expect(email.text).toContain('December 1, 2026');
    expect(email.text).toContain('1234567');
    expect(email.html).toContain('href="https://claims.example/consent/tok?x=1&amp;y=2"');
  });

  it('escapes every claim value in the HTML part', () => {
    const email = renderEmail('consentRequest', base, { optOutUrl: 'https://x.example/c/t' });
    expect(email.html).not.toContain('<script>');
    expect(email.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; more');
    expect(email.html).toContain('Chris &quot;C&quot; O&#39;Neil');
  });

  it('refuses a consent request without an opt-out link', () => {
    expect(() => renderEmail('consentRequest', base)).toThrow(/opt-out link/);
  });

  it('tells the partner the reason, the comment and until when to dispute', () => {
    const rejected: Claim = {
      ...base,
      status: 'rejected',
      deadlines: { disputeBy: '2026-12-24T17:00:00.000Z' },
      rejection: {
        reason: 'insufficientPoe',
        comment: 'The SOW is unsigned.',
        at: base.updatedAt,
        final: false,
      },
    };
    const email = renderEmail('rejection', rejected);
    expect(email.to).toEqual(base.partner.contact);
    expect(email.text).toContain('proof of execution was insufficient');
    expect(email.text).toContain('The SOW is unsigned.');
    expect(email.text).toContain('December 24, 2026');
    expect(email.text).toContain('/v1/claims/c-1/dispute');
  });

  it('says a final rejection cannot be disputed', () => {
    const final: Claim = {
      ...base,
      status: 'rejected',
      deadlines: {},
      rejection: { reason: 'customerDecline', comment: '', at: base.updatedAt, final: true },
    };
    expect(renderEmail('rejection', final).text).toContain('This decision is final');
  });

  it('lists the info request reasons and the response deadline', () => {
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
    const email = renderEmail('infoRequest', asked);
    expect(email.text).toContain('- Proof of execution is missing');
    expect(email.text).toContain('- The claimed products are not shown');
    expect(email.html).toContain('<li>Proof of execution is missing</li>');
    expect(email.html).toContain('Need &lt;b&gt;dates&lt;/b&gt;');
    expect(email.text).toContain('December 2, 2026');
  });

  it('reports both dispute outcomes', () => {
    const overturned = renderEmail('disputeOutcome', {
      ...base,
      dispute: { justification: 'j', documentIds: [], openedAt: base.updatedAt, outcome: 'overturned' },
    });
    expect(overturned.subject).toContain('accepted');
    const upheld = renderEmail('disputeOutcome', {
      ...base,
      status: 'rejected',
      dispute: { justification: 'j', documentIds: [], openedAt: base.updatedAt, outcome: 'upheld' },
    });
    expect(upheld.text).toContain('upheld');
  });

  it('escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});
