/**
 * Emails speak to people (issue 11, item 6), end to end on the local cloud: `partner.name` goes
 * in through the API, the customer's consent email and page name the partner organisation and
 * give the deadline in the deployment's zone with the UTC instant, partner emails link to the
 * claim in the portal (locally the console on the service's own URL, as in a stage without
 * `portalUrl`), and the emails as aws-ses-v2-local stored them link no partner-written text.
 */
import LinkifyIt from 'linkify-it';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimDraft } from '../support/claim-draft.js';
import { startTestApi, type TestApi } from '../support/test-api.js';
import {
  type Cast,
  type ClaimView,
  castOf,
  claimIn,
  claimOf,
  createClaim,
  problemOf,
} from '../support/workflow.js';

interface StoredEmail {
  destination: { to: string[] };
  subject: string;
  body: { text: string; html: string };
}

/** A deadline as emails state it in America/Los_Angeles (the local default calendar). */
const LOCAL_DEADLINE =
  /(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} [A-Z][a-z]{2} \d{4}, \d{1,2}:\d{2} [AP]M P[SD]T \(\d{2}:\d{2} UTC(, \d{1,2} [A-Z][a-z]{2})?\)/;

const linkify = new LinkifyIt();
const linksIn = (text: string) => (linkify.match(text) ?? []).map((m) => m.url);

describe('emails and the consent page speak to people', () => {
  let api: TestApi;
  let cast: Cast;

  beforeAll(async () => {
    api = await startTestApi({ lifecycle: true });
    cast = await castOf(api);
  });
  afterAll(async () => {
    await api?.stop();
  });

  const inbox = async (to: string) =>
    ((await (await fetch(`${api.sesUrl}/store`)).json()) as { emails: StoredEmail[] }).emails.filter((e) =>
      e.destination.to.includes(to),
    );
  const emailAbout = async (to: string, claim: ClaimView) => {
    await api.cloud.lifecycle?.settle();
    // Partner-written text is in the email with word joiners in it (see unlinkable).
    const email = (await inbox(to)).find((e) => e.body.text.replaceAll('\u2060', '').includes(claim.name));
    if (!email) throw new Error(`no email to ${to} about ${claim.name}`);
    return email;
  };

  it('accepts partner.name on create and edit (null removes it), and refuses one over 200 characters naming the field', async () => {
    const partner = { ...claimDraft().partner, name: 'Fabrikam Consulting' };
    const created = await createClaim(api, cast.alice, { partner });
    expect(created.partner).toMatchObject({ name: 'Fabrikam Consulting' });

    const renamed = claimOf(
      await api.request('PATCH', `/v1/claims/${created.id}`, {
        token: cast.alice,
        body: { partner: { name: 'Fabrikam Consulting Ltd' } },
      }),
    );
    expect(renamed.partner).toMatchObject({ name: 'Fabrikam Consulting Ltd', mpnId: partner.mpnId });
    const unnamed = claimOf(
      await api.request('PATCH', `/v1/claims/${created.id}`, {
        token: cast.alice,
        body: { partner: { name: null } },
      }),
    );
    expect(unnamed.partner).toEqual({ mpnId: partner.mpnId, contact: partner.contact });

    const tooLong = await api.request('POST', '/v1/claims', {
      token: cast.alice,
      body: claimDraft({ partner: { ...partner, name: 'F'.repeat(201) } }),
    });
    expect(tooLong.status).toBe(400);
    expect(problemOf(tooLong).errors).toEqual([
      { field: 'partner.name', reason: 'must be at most 200 characters' },
    ]);
  });

  it('names the partner organisation to the customer, with the deadline in local time and UTC', async () => {
    const partner = { ...claimDraft().partner, name: 'Fabrikam Consulting' };
    const claim = await claimIn(api, { partner: cast.alice, rita: cast.rita }, 'approved', {
      name: 'Named partner consent',
      partner,
    });
    const email = await emailAbout('chris@contoso.com', claim);
    expect(email.body.text).toContain('Fabrikam Consulting, a Microsoft partner (partner id 1234567)');
    expect(email.body.text).toMatch(LOCAL_DEADLINE);

    const link = /https?:\/\/\S+\/consent\/[\w-]{43}/.exec(email.body.text)?.[0];
    expect(link, email.body.text).toBeDefined();
    const page = await (await fetch(link as string)).text();
    expect(page).toContain('<strong>Fabrikam Consulting</strong>, a Microsoft partner, says it helped');
    expect(page).toContain('<dt>Partner</dt><dd>Fabrikam Consulting</dd>');
    expect(page).toMatch(LOCAL_DEADLINE);
  });

  it('links partner emails to the claim in the console on the service URL, never to an API route', async () => {
    const claim = await claimIn(api, { partner: cast.alice, rita: cast.rita }, 'rejected', {
      name: 'Portal link rejection',
    });
    const email = await emailAbout('pat@fabrikam.com', claim);
    const link = /Open the claim in the partner portal:\n(\S+)\n/.exec(email.body.text)?.[1];
    expect(link, email.body.text).toBeDefined();
    const url = new URL(link as string);
    expect(url.pathname).toBe(`/console/claims/${claim.id}`);
    expect(url.port).toBe(new URL(api.url).port);
    expect(email.body.html).toContain(`href="${link}"`);
    expect(email.body.text).not.toContain('/v1/');
    expect(email.body.text).toMatch(LOCAL_DEADLINE);
  });

  it('lets no partner-written text become a link in the stored email', async () => {
    const claim = await claimIn(api, { partner: cast.alice, rita: cast.rita }, 'approved', {
      name: 'Unlinkable www.evil.io',
      partner: { ...claimDraft().partner, name: 'Fabrikam http://evil.io/login' },
      products: [{ family: 'microsoft365', workload: 'Teams at evil.io' }],
    });
    const email = await emailAbout('chris@contoso.com', claim);
    const consentLink = /https?:\/\/\S+\/consent\/[\w-]{43}/.exec(email.body.text)?.[0];
    expect(linksIn(email.body.text)).toEqual([consentLink]);
    expect(email.body.text.replaceAll('\u2060', '')).toContain('Fabrikam http://evil.io/login');
  });
});
