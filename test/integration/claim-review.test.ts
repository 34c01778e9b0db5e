/**
 * The reviewer's side over HTTP: the work queue (oldest submitted first, merged across the
 * write shards of the status index) and competing claims (reviewers see the ids, partners
 * only that a conflict exists).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shardOf } from '../../functions/adapters/dynamodb-claim-store.js';
import { verifyHistoryChain } from '../../functions/domain/history.js';
import { REVIEWER_INDEX_SHARDS } from '../../functions/storage-layout/table-schema.js';
import { seedAvailableDocument } from '../support/documents.js';
import { startTestApi, type TestApi } from '../support/test-api.js';
import {
  type Cast,
  type ClaimView,
  castOf,
  claimIn,
  createClaim,
  getClaim,
  type HistoryItem,
  must,
} from '../support/workflow.js';

describe('reviewer queue and conflicts', () => {
  let api: TestApi;
  let cast: Cast;

  beforeAll(async () => {
    api = await startTestApi();
    cast = await castOf(api);
  });
  afterAll(async () => api?.stop());

  // The queue test takes tenants 1, 2, 3…; the conflict tests use their own (1007, 1008).
  const tenant = (n: number) => `${n.toString(16).padStart(8, '0')}-1111-4222-8333-444444444444`;
  const onTenant = (n: number, family = 'businessApplications') => ({
    customer: {
      tenantId: tenant(n),
      domain: `tenant${n}.com`,
      contact: { name: 'C', email: `c@tenant${n}.com` },
    },
    products: [{ family, workload: 'Some workload' }],
  });
  const ids = (response: { json: unknown }) =>
    (response.json as { items: ClaimView[] }).items.map((c) => c.id);

  it('GET /v1/claims?status=submitted&order=oldest lists the oldest submission first across shards, page by page', async () => {
    // Claims of two partners, created in one order and submitted in another, on several shards.
    const claims: { claim: ClaimView; token: string }[] = [];
    while (
      claims.length < 6 ||
      new Set(claims.map((c) => shardOf(c.claim.id))).size < Math.min(3, REVIEWER_INDEX_SHARDS)
    ) {
      const token = claims.length % 2 === 0 ? cast.alice : cast.bob;
      claims.push({ claim: await createClaim(api, token, onTenant(claims.length + 1)), token });
      api.clock.advance(1_000);
      if (claims.length > 40) throw new Error('the shard hash put 40 claims on fewer than 3 shards');
    }
    const submitOrder = [...claims].reverse().sort((a, b) => shardOf(a.claim.id) - shardOf(b.claim.id));
    for (const { claim, token } of submitOrder) {
      await seedAvailableDocument(api, claim.id);
      await must(api, token, claim.id, 'submit');
      api.clock.advance(60_000);
    }
    // Taken out of the queue: reviewed, and withdrawn.
    const [reviewed, withdrawn] = submitOrder;
    await must(api, cast.rita, reviewed?.claim.id as string, 'start-review');
    await must(api, withdrawn?.token as string, withdrawn?.claim.id as string, 'withdraw');
    const expected = submitOrder.slice(2).map((c) => c.claim.id);
    // Still in editing: not in the queue.
    await createClaim(api, cast.alice);

    const queue = await api.request('GET', '/v1/claims?status=submitted&order=oldest', { token: cast.rita });
    expect(queue.status).toBe(200);
    expect(ids(queue)).toEqual(expected);

    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const path: string = `/v1/claims?status=submitted&order=oldest&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await api.request('GET', path, { token: cast.rita });
      expect(page.status, page.text).toBe(200);
      const body = page.json as { items: ClaimView[]; nextCursor: string | null };
      expect(body.items.length).toBeLessThanOrEqual(2);
      paged.push(...body.items.map((c) => c.id));
      cursor = body.nextCursor;
    } while (cursor);
    expect(paged).toEqual(expected);

    const newest = await api.request('GET', '/v1/claims?status=submitted', { token: cast.rita });
    expect(ids(newest)).toEqual([...expected].reverse());
    // A partner's list holds only their own claims (ordered by creation: the queue is the reviewers').
    const bobs = await api.request('GET', '/v1/claims?status=submitted&order=oldest', { token: cast.bob });
    const bobsInQueue = claims.filter((c) => c.token === cast.bob && expected.includes(c.claim.id));
    expect(ids(bobs)).toEqual(bobsInQueue.map((c) => c.claim.id));
  });

  describe('conflicts', () => {
    it("a second partner's claim on the same tenant and product family: reviewers see the first claim's id, the partner only that a conflict exists", async () => {
      const first = await claimIn(api, { partner: cast.alice, rita: cast.rita }, 'submitted', onTenant(1007));
      const second = await claimIn(api, { partner: cast.bob, rita: cast.rita }, 'submitted', onTenant(1007));

      const reviewerView = await getClaim(api, cast.rita, second.id);
      expect(reviewerView.conflict).toEqual({ exists: true, claimIds: [first.id] });

      const partnerView = await api.request('GET', `/v1/claims/${second.id}`, { token: cast.bob });
      expect((partnerView.json as ClaimView).conflict).toEqual({ exists: true });
      expect(partnerView.text).not.toContain(first.id);
      expect(second.conflict).toEqual({ exists: true });
      const partnerList = await api.request('GET', `/v1/claims?customerTenantId=${tenant(1007)}`, {
        token: cast.bob,
      });
      expect(partnerList.text).not.toContain(first.id);
      expect((partnerList.json as { items: ClaimView[] }).items[0]?.conflict).toEqual({ exists: true });
      // The submit event records the ids for reviewers; the partner's copy says only that one exists.
      const partnerHistory = await api.request('GET', `/v1/claims/${second.id}/history`, { token: cast.bob });
      expect(partnerHistory.text).not.toContain(first.id);
      const partnerSubmit = (partnerHistory.json as { items: HistoryItem[] }).items.find(
        (e) => e.type === 'submit',
      );
      expect(partnerSubmit).toMatchObject({ redacted: true });
      expect(partnerSubmit?.changes).toContainEqual({ field: 'conflict.exists', from: false, to: true });
      const reviewerHistory = await api.request('GET', `/v1/claims/${second.id}/history`, {
        token: cast.rita,
      });
      const { items, verification } = reviewerHistory.json as { items: HistoryItem[]; verification: unknown };
      expect(items.find((e) => e.type === 'submit')?.changes).toContainEqual({
        field: 'conflictingClaimIds',
        from: null,
        to: [first.id],
      });
      expect(verification).toEqual({ valid: true });
      expect(verifyHistoryChain(items)).toEqual({ valid: true });
      expect((partnerHistory.json as { verification: unknown }).verification).toEqual({ valid: true });

      const reviewerList = await api.request('GET', `/v1/claims?customerTenantId=${tenant(1007)}`, {
        token: cast.rita,
      });
      const listed = (reviewerList.json as { items: ClaimView[] }).items.find((c) => c.id === second.id);
      expect(listed?.conflict).toEqual({ exists: true, claimIds: [first.id] });
    });

    it('no conflict for another product family, the same partner, or a claim no longer held', async () => {
      const held = await claimIn(api, { partner: cast.alice, rita: cast.rita }, 'approved', onTenant(1008));
      const otherFamily = await claimIn(
        api,
        { partner: cast.bob, rita: cast.rita },
        'submitted',
        onTenant(1008, 'microsoft365'),
      );
      expect((await getClaim(api, cast.rita, otherFamily.id)).conflict).toEqual({
        exists: false,
        claimIds: [],
      });
      const samePartner = await claimIn(
        api,
        { partner: cast.andy, rita: cast.rita },
        'submitted',
        onTenant(1008),
      );
      expect((await getClaim(api, cast.rita, samePartner.id)).conflict).toEqual({
        exists: false,
        claimIds: [],
      });
      await must(api, cast.andy, samePartner.id, 'withdraw');

      // An approved claim holds the customer; once withdrawn it no longer does.
      const whileHeld = await claimIn(
        api,
        { partner: cast.bob, rita: cast.rita },
        'submitted',
        onTenant(1008),
      );
      expect((await getClaim(api, cast.rita, whileHeld.id)).conflict.claimIds).toEqual([held.id]);
      await must(api, cast.alice, held.id, 'withdraw');
      const afterWithdrawal = await claimIn(
        api,
        { partner: cast.bob, rita: cast.rita },
        'submitted',
        onTenant(1008),
      );
      expect((await getClaim(api, cast.rita, afterWithdrawal.id)).conflict).toEqual({
        exists: false,
        claimIds: [],
      });
    });
  });
});
