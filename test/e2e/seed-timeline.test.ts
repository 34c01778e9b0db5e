/**
 * The seed's timelines over HTTP on the local stack, with only API calls and clock advances:
 * the outbox relay, timers (aws-local-stepfunctions), emails (aws-ses-v2-local) and the
 * consent page all run by themselves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/test-api.js';
import {
  act,
  type Cast,
  type ClaimView,
  castOf,
  claimIn,
  getClaim,
  must,
  problemOf,
} from '../support/workflow.js';

interface InboxEmail {
  destination: { to: string[] };
  subject: string;
  body: { text: string; html: string };
}

describe('the seed timeline runs by itself (local stack, virtual clock)', () => {
  let api: TestApi;
  let cast: Cast;

  // Monday 23 November 2026, 09:00 in Los Angeles: Thanksgiving is on Thursday.
  beforeAll(async () => {
    api = await startTestApi({ clockStart: '2026-11-23T17:00:00.000Z', lifecycle: true });
    cast = await castOf(api);
  });
  afterAll(async () => api?.stop());

  const advance = async (days: number, hours = 0) => {
    const response = await api.request('POST', '/_local/clock', {
      body: { advanceDays: days, ...(hours && { advanceHours: hours }) },
    });
    expect(response.status, response.text).toBe(200);
    return response.json as { now: string; timersFired: number };
  };
  const inbox = async (to?: string): Promise<InboxEmail[]> => {
    // The relay works in the background like Lambda's stream poller; let it catch up first.
    await api.cloud.lifecycle?.settle();
    const { emails } = (await (await fetch(`${api.sesUrl}/store`)).json()) as { emails: InboxEmail[] };
    return to ? emails.filter((e) => e.destination.to.includes(to)) : emails;
  };
  const events = async (claimId: string) =>
    (
      (await api.request('GET', '/_local/events')).json as {
        items: { claimId: string; detailType: string }[];
      }
    ).items
      .filter((e) => e.claimId === claimId)
      .map((e) => e.detailType);
  const consentLink = (email: InboxEmail | undefined) => {
    const match = /https?:\/\/[^\s]+\/consent\/[A-Za-z0-9_-]{43}/.exec(email?.body.text ?? '');
    expect(match, email?.body.text).not.toBeNull();
    return new URL((match as RegExpExecArray)[0]);
  };

  it('info request → silence → auto-rejected after 5 business days → dispute → overturned → the customer declines', async () => {
    const claim = await claimIn(api, { partner: cast.bob, rita: cast.rita }, 'partnerActionRequired', {
      name: 'Timeline silence',
    });
    const due = Date.parse(claim.deadlines.partnerResponseBy as string);
    const asked = Date.parse(claim.statusSince);
    // Asked on Monday 23 Nov: the weekend and Thanksgiving (Thu 26) don't count, so the five
    // business days end on Tuesday 1 December at the same local time, eight days later.
    expect(new Date(asked).toISOString()).toBe('2026-11-23T17:00:00.000Z');
    expect(due - asked).toBe(8 * 24 * 3600_000);
    expect((await inbox('pat@fabrikam.com')).some((e) => e.body.text.includes('more before deciding'))).toBe(
      true,
    );

    await advance(0, (due - asked) / 3600_000 - 1);
    expect((await getClaim(api, cast.bob, claim.id)).status).toBe('partnerActionRequired');
    await advance(0, 2);
    const rejected = await getClaim(api, cast.bob, claim.id);
    expect(rejected.rejection).toMatchObject({ reason: 'noPartnerResponse', final: false });
    expect(rejected.deadlines.disputeBy).toBeDefined();
    const rejectionEmail = (await inbox('pat@fabrikam.com')).filter(
      (e) => e.subject.includes('Timeline silence') && e.subject.includes('rejected'),
    );
    expect(rejectionEmail).toHaveLength(1);

    await must(api, cast.bob, claim.id, 'dispute', {
      justification: 'We answered by phone; here is the SOW.',
    });
    const approved = await must(api, cast.rita, claim.id, 'resolve-dispute', {
      outcome: 'overturned',
      comment: 'Agreed.',
    });
    expect(approved.status).toBe('approved');
    await advance(0, 1);
    const consentEmail = (await inbox('chris@contoso.com')).find((e) =>
      e.body.text.includes('Timeline silence'),
    );
    const link = consentLink(consentEmail);

    const page = await fetch(new URL(link.pathname, api.url));
    expect(page.status).toBe(200);
    expect((await getClaim(api, cast.bob, claim.id)).status).toBe('approved'); // looking changes nothing
    const denied = await fetch(new URL(link.pathname, api.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'decision=deny',
    });
    expect(denied.status).toBe(200);
    const declined = await getClaim(api, cast.bob, claim.id);
    expect(declined.rejection).toMatchObject({ reason: 'customerDecline', final: true });
    expect(declined.consent?.status).toBe('denied');
    const again = await fetch(new URL(link.pathname, api.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'decision=deny',
    });
    expect(again.status).toBe(410);
    expect(await events(claim.id)).toEqual(
      expect.arrayContaining(['ClaimRejected', 'DisputeOpened', 'DisputeResolved']),
    );
  });

  it('approve → the customer is emailed → 7 days later the consent period ends (incentive assessment pending)', async () => {
    const claim = await claimIn(api, { partner: cast.alice, rita: cast.rita }, 'approved', {
      name: 'Timeline approve',
    });
    await advance(0, 1);
    const consentEmails = (await inbox('chris@contoso.com')).filter((e) =>
      e.body.text.includes('Timeline approve'),
    );
    expect(consentEmails).toHaveLength(1);

    await advance(6, 22);
    expect((await getClaim(api, cast.alice, claim.id)).consent?.status).toBe('pending');
    await advance(0, 2);
    const ended = (await getClaim(api, cast.alice, claim.id)) as ClaimView & {
      incentiveAssessment?: { status: string };
    };
    expect(ended.status).toBe('approved');
    expect(ended.consent?.status).toBe('periodEnded');
    expect(ended.incentiveAssessment?.status).toBe('pending');
    expect(ended.deadlines).toEqual({});
    expect(await events(claim.id)).toContain('ConsentPeriodEnded');
  });

  it('rejection → 31 days → the rejection is final and a dispute is refused', async () => {
    const claim = await claimIn(api, { partner: cast.alice, rita: cast.rita }, 'rejected', {
      name: 'Timeline final',
    });
    await advance(31);
    const final = await getClaim(api, cast.alice, claim.id);
    expect(final.rejection?.final).toBe(true);
    expect(final.deadlines).toEqual({});
    const refused = await act(api, cast.alice, claim.id, 'dispute', { justification: 'Too late?' });
    expect(refused.status).toBe(409);
    expect(problemOf(refused).claimStatus).toBe('rejected');
  });

  it('an unknown consent token is a 404 page', async () => {
    const page = await fetch(new URL(`/consent/${'A'.repeat(43)}`, api.url));
    expect(page.status).toBe(404);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
  });
});
