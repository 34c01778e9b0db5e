/**
 * Racing requests on one claim over HTTP: exactly one winner, never a silent last-writer-wins,
 * and a history that tells the same story as the claim. The gate in the service's DynamoDB
 * client (test/support/gated-api.ts) makes every racer read the claim before any writes, so
 * the outcome is decided by the store's conditions on every run. DynamoDB Local never throws
 * `TransactionConflictException`; its conditions are real.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyHistoryChain } from '../../functions/domain/history.js';
import { type GatedApi, startGatedApi } from '../support/gated-api.js';
import {
  ACTION_BODIES,
  act,
  type Cast,
  type ClaimView,
  castOf,
  claimIn,
  claimOf,
  getClaim,
  type HistoryItem,
  historyOf,
  problemOf,
} from '../support/workflow.js';

/** The history agrees with the claim: unbroken chain, and the last transition led to its status and version. */
function expectHistoryMatches(claim: ClaimView, history: HistoryItem[]) {
  expect(verifyHistoryChain(history)).toEqual({ valid: true });
  const transitions = history.filter((e) => e.fromStatus !== undefined);
  const last = transitions.at(-1);
  expect(last?.toStatus).toBe(claim.status);
  expect(last?.version).toBe(claim.version);
}

describe('concurrent changes to one claim', () => {
  let api: GatedApi;
  let cast: Cast;

  beforeAll(async () => {
    api = await startGatedApi();
    cast = await castOf(api);
  });
  afterAll(async () => api?.stop());

  const underReview = () => claimIn(api, { partner: cast.alice, rita: cast.rita }, 'underReview');

  /** approve (reviewer) and withdraw (partner) at once, both through the gate. */
  async function approveVersusWithdraw(claim: ClaimView, headers: Record<string, string>) {
    const released = api.arm(2);
    const [approve, withdraw] = await Promise.all([
      act(api, cast.rita, claim.id, 'approve', ACTION_BODIES.approve, headers),
      act(api, cast.alice, claim.id, 'withdraw', ACTION_BODIES.withdraw, headers),
    ]);
    expect(await released).toBe(2);
    return { approve, withdraw };
  }

  it('approve vs withdraw without If-Match: the loser is decided again on the fresh claim (re-applied if still allowed, else a 409 naming the status)', async () => {
    const claim = await underReview();
    const before = await historyOf(api, cast.rita, claim.id);
    const { approve, withdraw } = await approveVersusWithdraw(claim, {});

    const history = await historyOf(api, cast.rita, claim.id);
    const added = history.slice(before.length).map((e) => e.type);
    const final = await getClaim(api, cast.rita, claim.id);
    if (approve.status === 200) {
      // Approve won; a partner may still withdraw an approved claim, so the withdraw applied after it.
      expect(withdraw.status, withdraw.text).toBe(200);
      expect(added).toEqual(['approve', 'withdraw']);
      expect(final).toMatchObject({ status: 'rejected', version: claim.version + 2 });
    } else {
      // Withdraw won; approving a rejected claim is not allowed, and the 409 says why.
      expect(withdraw.status, withdraw.text).toBe(200);
      expect(approve.status).toBe(409);
      expect(problemOf(approve)).toMatchObject({
        type: expect.stringMatching(/status-conflict$/),
        claimStatus: 'rejected',
      });
      expect(added).toEqual(['withdraw']);
      expect(final).toMatchObject({ status: 'rejected', version: claim.version + 1 });
    }
    expectHistoryMatches(final, history);
  });

  it.each([{ label: 'with the same If-Match', ifMatch: true, loserStatus: 412 }])(
    'approve vs withdraw $label: one 200, the other $loserStatus, and history matches the winner',
    async ({ ifMatch, loserStatus }) => {
      const claim = await underReview();
      const before = await historyOf(api, cast.rita, claim.id);
      const { approve, withdraw } = await approveVersusWithdraw(
        claim,
        ifMatch ? { 'if-match': `"${claim.version}"` } : {},
      );

      const statuses = [approve.status, withdraw.status].sort();
      expect(statuses).toEqual([200, loserStatus].sort());
      const [winner, loser] = approve.status === 200 ? [approve, withdraw] : [withdraw, approve];
      const problem = problemOf(loser);
      expect(problem.currentVersion).toBe(claim.version + 1);

      // Read as the winner, whose view (reviewer or partner) the winning response showed.
      const final = await getClaim(api, winner === approve ? cast.rita : cast.alice, claim.id);
      expect(final).toEqual(winner.json);
      expect(final.version).toBe(claim.version + 1);
      expect(final.status).toBe(winner === approve ? 'approved' : 'rejected');

      const history = await historyOf(api, cast.rita, claim.id);
      expect(history).toHaveLength(before.length + 1);
      const added = history.slice(before.length).map((e) => e.type);
      expect(added).toEqual([winner === approve ? 'approve' : 'withdraw']);
      expectHistoryMatches(final, history);
    },
  );

  it('approve vs withdraw with If-Match and no gate (timing decides who wins, never both)', async () => {
    for (let round = 0; round < 3; round++) {
      const claim = await underReview();
      const headers = { 'if-match': `"${claim.version}"` };
      const [approve, withdraw] = await Promise.all([
        act(api, cast.rita, claim.id, 'approve', ACTION_BODIES.approve, headers),
        act(api, cast.alice, claim.id, 'withdraw', ACTION_BODIES.withdraw, headers),
      ]);
      expect([approve.status, withdraw.status].sort()).toEqual([200, 412]);
      const final = await getClaim(api, cast.rita, claim.id);
      const history = await historyOf(api, cast.rita, claim.id);
      expect(history.filter((e) => e.type === 'approve' || e.type === 'withdraw')).toHaveLength(1);
      expectHistoryMatches(final, history);
    }
  });

  it('two partner users editing at once without If-Match: one edit lands whole, the other is a 409 (no lost update)', async () => {
    const claim = await claimIn(api, { partner: cast.alice, rita: cast.rita }, 'submitted');
    const released = api.arm(2);
    const [mpn, products] = await Promise.all([
      api.request('PATCH', `/v1/claims/${claim.id}`, {
        token: cast.alice,
        body: { partner: { mpnId: '7654321' } },
      }),
      api.request('PATCH', `/v1/claims/${claim.id}`, {
        token: cast.andy,
        body: { products: [{ family: 'microsoft365', workload: 'Teams' }] },
      }),
    ]);
    await released;
    expect([mpn.status, products.status].sort()).toEqual([200, 409]);
    // The refused edit's 409 names the status the claim is in now.
    expect(problemOf(mpn.status === 409 ? mpn : products)).toMatchObject({
      type: expect.stringMatching(/concurrent-modification$/),
      claimStatus: 'submitted',
    });
    const final = await getClaim(api, cast.alice, claim.id);
    expect(final.version).toBe(claim.version + 1);
    if (mpn.status === 200) {
      expect(final.partner.mpnId).toBe('7654321');
      expect(final.products).toEqual(claim.products);
    } else {
      expect(final.partner.mpnId).toBe(claim.partner.mpnId);
      expect(final.products).toEqual([{ family: 'microsoft365', workload: 'Teams' }]);
    }
    const history = await historyOf(api, cast.alice, claim.id);
    expect(history.filter((e) => e.type === 'edit')).toHaveLength(1);
    expectHistoryMatches(final, history);
  });

  it('a comment racing a transition costs neither: the transition is re-applied on the moved history head', async () => {
    const claim = await underReview();
    const released = api.arm(2);
    const [approve, comment] = await Promise.all([
      act(api, cast.rita, claim.id, 'approve', ACTION_BODIES.approve, { 'if-match': `"${claim.version}"` }),
      api.request('POST', `/v1/claims/${claim.id}/comments`, {
        token: cast.alice,
        body: { text: 'Any news?' },
      }),
    ]);
    await released;
    expect(approve.status, approve.text).toBe(200);
    expect(comment.status, comment.text).toBe(201);
    const final = await getClaim(api, cast.rita, claim.id);
    expect(final).toMatchObject({ status: 'approved', version: claim.version + 1 });
    const history = await historyOf(api, cast.rita, claim.id);
    expect(history.filter((e) => e.type === 'approve')).toHaveLength(1);
    expect(history.filter((e) => e.type === 'comment' && e.comment === 'Any news?')).toHaveLength(1);
    expectHistoryMatches(final, history);
  });

  it('20 comments posted while the reviewer starts the review and requests info: all accepted, each once, in one valid chain', async () => {
    const claim = await claimIn(api, { partner: cast.alice, rita: cast.rita }, 'submitted');
    const before = await historyOf(api, cast.rita, claim.id);
    const texts = Array.from({ length: 20 }, (_, n) => `Comment ${n + 1}`);
    // The gate holds the 20 comments' and the start-review's first writes until all 21 have
    // read the claim: all but one lose the history head on their first try.
    const released = api.arm(21);
    const [comments, reviewer] = await Promise.all([
      Promise.all(
        texts.map((text, n) =>
          api.request('POST', `/v1/claims/${claim.id}/comments`, {
            token: n % 2 === 0 ? cast.alice : cast.rita,
            body: { text },
          }),
        ),
      ),
      (async () => {
        const started = await act(api, cast.rita, claim.id, 'start-review', ACTION_BODIES['start-review']);
        const asked = await act(api, cast.rita, claim.id, 'request-info', ACTION_BODIES['request-info']);
        return [started, asked];
      })(),
    ]);
    expect(await released).toBe(21);

    for (const response of [...comments, ...reviewer])
      expect(response.status, response.text).toBeLessThan(300);
    const final = await getClaim(api, cast.rita, claim.id);
    expect(final.status).toBe('partnerActionRequired');
    const history = await historyOf(api, cast.rita, claim.id);
    const added = history.slice(before.length);
    for (const text of texts) {
      expect(
        added.filter((e) => e.type === 'comment' && e.comment === text),
        text,
      ).toHaveLength(1);
    }
    expect(added.map((e) => e.type).filter((t) => t !== 'comment')).toEqual(['startReview', 'requestInfo']);
    expect(added).toHaveLength(22);
    expectHistoryMatches(final, history);
  });

  it('If-Match per RFC 9110: an unknown or weak tag is 412, a list matches if any member does, * matches, malformed is 400', async () => {
    const claim = await underReview();
    const current = `"${claim.version}"`;
    for (const ifMatch of ['"abc"', `W/${current}`, '"999", W/"1"']) {
      const refused = await act(api, cast.rita, claim.id, 'request-info', ACTION_BODIES['request-info'], {
        'if-match': ifMatch,
      });
      expect(refused.status, ifMatch).toBe(412);
      expect(problemOf(refused).currentVersion).toBe(claim.version);
    }
    const malformed = await act(api, cast.rita, claim.id, 'approve', ACTION_BODIES.approve, {
      'if-match': 'abc',
    });
    expect(malformed.status).toBe(400);
    expect(problemOf(malformed).errors?.map((e) => e.field)).toEqual(['If-Match']);
    const comment = await api.request('POST', `/v1/claims/${claim.id}/comments`, {
      token: cast.alice,
      body: { text: 'Any member matches' },
      headers: { 'if-match': `"999", ${current}` },
    });
    expect(comment.status, comment.text).toBe(201);
    const any = await act(api, cast.rita, claim.id, 'approve', ACTION_BODIES.approve, { 'if-match': '*' });
    expect(claimOf(any)).toMatchObject({ status: 'approved', version: claim.version + 1 });
  });
});
