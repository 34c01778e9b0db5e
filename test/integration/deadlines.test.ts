/**
 * Deadlines bind the actions, not just the timers, over HTTP on the local stack: an action
 * after the deadline that ends it is refused even while the timer has not fired, and a timer
 * that runs late takes effect at its deadline. The test moves the service's clock directly
 * (`api.clock`), which fires nothing; `settle()` then runs the late timers, as a stalled
 * Step Functions or relay would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../functions/domain/clock.js';
import { denyConsent } from '../../functions/use-cases/consent.js';
import { createClaimStore } from '../../functions/wiring.js';
import { calendar, TO_APPROVAL, walkClaim } from '../support/store-fixtures.js';
import { startTestApi, type TestApi } from '../support/test-api.js';
import {
  act,
  type Cast,
  castOf,
  claimIn,
  footprint,
  getClaim,
  historyOf,
  must,
  problemOf,
  type Status,
} from '../support/workflow.js';

interface InboxEmail {
  destination: { to: string[] };
  body: { text: string };
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

describe('deadlines bind the actions, and a late timer takes effect at its deadline', () => {
  let api: TestApi;
  let cast: Cast;
  const aliceIn = (status: Status, name: string) =>
    claimIn(api, { partner: cast.alice, rita: cast.rita }, status, { name });
  /** Relays the outbox and fires every timer that is due by now. */
  const settle = async () => {
    await api.cloud.lifecycle?.settle();
  };

  beforeAll(async () => {
    // A Tuesday morning in Seattle, away from US holidays.
    api = await startTestApi({ clockStart: '2025-03-04T17:00:00.000Z', lifecycle: true });
    cast = await castOf(api);
  });
  afterAll(async () => api?.stop());

  it('a resubmit after partnerResponseBy is a 409 naming the deadline; the late timer rejects as of the deadline', async () => {
    const claim = await aliceIn('partnerActionRequired', 'Silent partner');
    await settle(); // the partnerResponseBy timer is armed
    const deadline = claim.deadlines.partnerResponseBy as string;

    // Three days past the deadline, and the timer has not run.
    api.clock.set(new Date(Date.parse(deadline) + 3 * DAY));
    const before = await footprint(api, cast.alice, claim.id);
    expect(before.status).toBe('partnerActionRequired');
    const resubmit = await act(api, cast.alice, claim.id, 'submit');
    expect(resubmit.status).toBe(409);
    const problem = problemOf(resubmit);
    expect(problem).toMatchObject({
      type: expect.stringMatching(/partner-response-window-closed$/),
      claimStatus: 'partnerActionRequired',
      deadline: 'partnerResponseBy',
      dueAt: deadline,
    });
    expect(problem.detail).toContain(`${deadline} (partnerResponseBy)`);
    const edit = await api.request('PATCH', `/v1/claims/${claim.id}`, {
      token: cast.alice,
      body: { partner: { mpnId: '7654321' } },
    });
    expect(edit.status).toBe(409);
    expect(problemOf(edit)).toMatchObject({ deadline: 'partnerResponseBy', dueAt: deadline });
    expect(await footprint(api, cast.alice, claim.id)).toEqual(before);

    const appliedAt = api.clock.now().toISOString();
    await settle();
    const rejected = await getClaim(api, cast.alice, claim.id);
    const disputeBy = calendar.addCalendarDays(new Date(deadline), 30).toISOString();
    expect(rejected).toMatchObject({
      status: 'rejected',
      statusSince: deadline,
      rejection: { reason: 'noPartnerResponse', at: deadline, final: false },
      deadlines: { disputeBy },
      updatedAt: appliedAt,
    });
    const history = await historyOf(api, cast.alice, claim.id);
    expect(history.at(-1)).toMatchObject({
      type: 'deadlineExpired',
      deadline: 'partnerResponseBy',
      at: deadline,
      appliedAt,
    });
    const verification = (await api.request('GET', `/v1/claims/${claim.id}/history`, { token: cast.alice }))
      .json as { verification: unknown };
    expect(verification.verification).toEqual({ valid: true });

    // The dispute window is deadline + 30 days, not the time the timer ran + 30 days.
    api.clock.set(new Date(Date.parse(disputeBy) + MINUTE));
    const dispute = await act(api, cast.alice, claim.id, 'dispute');
    expect(dispute.status).toBe(409);
    expect(problemOf(dispute)).toMatchObject({
      type: expect.stringMatching(/dispute-window-closed$/),
      deadline: 'disputeBy',
      dueAt: disputeBy,
    });
  });

  it("the customer's deny after consentEndsAt is the 410 page though the timer has not fired", async () => {
    const claim = await aliceIn('approved', 'Late customer');
    await settle(); // the consent email is sent and the consentEndsAt timer armed
    const { emails } = (await (await fetch(`${api.sesUrl}/store`)).json()) as { emails: InboxEmail[] };
    const email = emails.find((e) => e.body.text.includes('Late customer'));
    const link = /\/consent\/[A-Za-z0-9_-]{43}/.exec(email?.body.text ?? '');
    expect(link, email?.body.text).not.toBeNull();
    const endsAt = claim.deadlines.consentEndsAt as string;

    api.clock.set(new Date(Date.parse(endsAt) + MINUTE));
    const denied = await fetch(new URL((link as RegExpExecArray)[0], api.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'decision=deny',
    });
    expect(denied.status).toBe(410);
    expect(await denied.text()).toContain('The time to deny this association has passed.');
    expect((await getClaim(api, cast.alice, claim.id)).consent?.status).toBe('pending');

    await settle();
    const ended = await getClaim(api, cast.alice, claim.id);
    expect(ended).toMatchObject({
      status: 'approved',
      consent: { status: 'periodEnded', endsAt },
      incentiveAssessment: { status: 'pending', at: endsAt },
    });
  });

  it('a deny read a millisecond before the window ends is decided on that one instant, never refused half-way', async () => {
    const store = createClaimStore({ tableName: api.table.tableName, dynamoDbClient: api.table.client });
    const record = await walkClaim(store, api.clock, 'consent-edge', TO_APPROVAL, 'Edge of the window');
    const endsAt = record.claim.consent?.endsAt as string;
    // The window check reads a millisecond before the end; any later read is at the end.
    const reads = [new Date(Date.parse(endsAt) - 1)];
    const clock: Clock = { now: () => new Date(reads.shift() ?? endsAt) };
    const tokens = { lookup: async () => ({ claimId: 'consent-edge', endsAt }) };

    const outcome = await denyConsent({ tokens, store, clock, calendar }, 'any-token');

    // Decided on one instant: open then, so the deny went through.
    expect(outcome).toMatchObject({ kind: 'denied' });
    expect((await store.get('consent-edge'))?.claim.rejection).toMatchObject({ reason: 'customerDecline' });
  });

  it('a resubmit marks the info request answered; a second dispute after an upheld one is told the rejection is final', async () => {
    const asked = await aliceIn('partnerActionRequired', 'Answered');
    const resubmitted = await must(api, cast.alice, asked.id, 'submit');
    expect(resubmitted.infoRequest).toEqual({
      ...asked.infoRequest,
      answeredAt: api.clock.now().toISOString(),
    });

    const rejected = await aliceIn('rejected', 'Upheld');
    await must(api, cast.alice, rejected.id, 'dispute');
    await must(api, cast.rita, rejected.id, 'resolve-dispute', { outcome: 'upheld', comment: 'Still no.' });
    const again = await act(api, cast.alice, rejected.id, 'dispute');
    expect(again.status).toBe(409);
    const problem = problemOf(again);
    expect(problem).toMatchObject({
      type: expect.stringMatching(/rejection-final$/),
      claimStatus: 'rejected',
    });
    expect(problem.detail).toBe(
      'The rejection is final: its dispute was upheld on review. A new claim is needed.',
    );
  });
});
