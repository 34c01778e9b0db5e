import { describe, expect, it } from 'vitest';
import type { Claim } from '../../functions/domain/claim.js';
import { consentDeniedPage, consentOpenPage } from '../../functions/http/consent-pages.js';
import { approvedClaim } from '../support/approved-claim.js';

const named: Claim = { ...approvedClaim, partner: { ...approvedClaim.partner, name: 'Fabrikam & <Sons>' } };
const endsAt = approvedClaim.consent?.endsAt as string;

describe('the consent page tells the customer who the partner is and until when', () => {
  it('names the partner organisation, escaped, beside its MPN id', () => {
    const page = consentOpenPage(named, endsAt, 'America/Los_Angeles');
    expect(page).toContain(
      '<strong>Fabrikam &amp; &lt;Sons&gt;</strong>, a Microsoft partner, says it helped',
    );
    expect(page).toContain('<dt>Partner</dt><dd>Fabrikam &amp; &lt;Sons&gt;</dd>');
    expect(page).toContain('<dt>Partner id</dt><dd>1234567</dd>');
    expect(page).not.toContain('<Sons>');
    expect(consentDeniedPage(named)).toContain('<dt>Partner</dt><dd>Fabrikam &amp; &lt;Sons&gt;</dd>');
  });

  it('says "a Microsoft partner" for a claim without a name', () => {
    const page = consentOpenPage(approvedClaim, endsAt, 'America/Los_Angeles');
    expect(page).toContain('A Microsoft partner says it helped');
    expect(page).not.toContain('<dt>Partner</dt>');
  });

  it("gives the deadline in the deployment's zone with the UTC instant", () => {
    expect(consentOpenPage(named, endsAt, 'America/Los_Angeles')).toContain(
      '<strong>Tue 1 Dec 2026, 9:00 AM PST (17:00 UTC)</strong>',
    );
    expect(consentOpenPage(named, '2026-12-02T07:30:00.000Z', 'Asia/Tokyo')).toContain(
      '<strong>Wed 2 Dec 2026, 4:30 PM GMT+9 (07:30 UTC)</strong>',
    );
  });
});
