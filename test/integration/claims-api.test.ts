import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimDraft } from '../support/claim-draft.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

describe('claims API over HTTP (local adapter, DynamoDB Local)', () => {
  let api: TestApi;
  let partnerA: string;
  let partnerA2: string;
  let partnerB: string;
  let reviewer: string;

  beforeAll(async () => {
    api = await startTestApi();
    partnerA = await api.token({ sub: 'alice', partnerId: 'partner-a', roles: ['Partner.GlobalAdmin'] });
    partnerA2 = await api.token({ sub: 'andy', partnerId: 'partner-a', roles: ['Partner.IncentivesAdmin'] });
    partnerB = await api.token({ sub: 'bob', partnerId: 'partner-b', roles: ['Partner.BillingAdmin'] });
    reviewer = await api.token({ sub: 'rita', roles: ['Reviewer'] });
  });
  afterAll(async () => api?.stop());

  it('creates a claim in editing with 201, Location and ETag, readable by the same partner', async () => {
    const created = await api.request('POST', '/v1/claims', { token: partnerA, body: claimDraft() });
    expect(created.status).toBe(201);
    const claim = created.json as {
      id: string;
      status: string;
      version: number;
      partnerId: string;
      deadlines: object;
    };
    expect(claim.status).toBe('editing');
    expect(claim.partnerId).toBe('partner-a');
    expect(claim.deadlines).toEqual({});
    expect(created.headers.get('location')).toBe(`/v1/claims/${claim.id}`);
    expect(created.headers.get('etag')).toBe('"1"');

    const read = await api.request('GET', `/v1/claims/${claim.id}`, { token: partnerA2 });
    expect(read.status).toBe(200);
    expect(read.headers.get('etag')).toBe('"1"');
    expect(read.json).toMatchObject({
      id: claim.id,
      name: 'Contoso Dynamics 365 rollout',
      status: 'editing',
    });
  });

  it("hides partner A's claim from partner B (404) but shows it to reviewers", async () => {
    const { json } = await api.request('POST', '/v1/claims', { token: partnerA, body: claimDraft() });
    const id = (json as { id: string }).id;
    const asB = await api.request('GET', `/v1/claims/${id}`, { token: partnerB });
    expect(asB.status).toBe(404);
    expect(asB.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const asReviewer = await api.request('GET', `/v1/claims/${id}`, { token: reviewer });
    expect(asReviewer.status).toBe(200);
    const unknown = await api.request('GET', '/v1/claims/00000000-0000-4000-8000-000000000000', {
      token: partnerA,
    });
    expect(unknown.status).toBe(404);
    // Not existing and not yours look the same.
    const { detail: _a, ...hidden } = asB.json as Record<string, unknown>;
    const { detail: _b, ...missing } = unknown.json as Record<string, unknown>;
    expect(hidden).toEqual(missing);
  });

  it('answers 401 without or with a bad token and 403 for a reviewer creating a claim', async () => {
    expect((await api.request('GET', '/v1/claims')).status).toBe(401);
    expect((await api.request('GET', '/v1/claims', { token: `${partnerA}x` })).status).toBe(401);
    const asReviewer = await api.request('POST', '/v1/claims', { token: reviewer, body: claimDraft() });
    expect(asReviewer.status).toBe(403);
    const noRole = await api.token({ sub: 'nobody', roles: [] });
    expect((await api.request('GET', '/v1/claims', { token: noRole })).status).toBe(403);
  });

  it('rejects a bad body with 400 naming each field, and writes nothing', async () => {
    const before = await api.request('GET', '/v1/claims?limit=100', { token: partnerB });
    const bad = await api.request('POST', '/v1/claims', {
      token: partnerB,
      body: claimDraft({
        customer: { tenantId: 'not-a-guid', domain: 'contoso.com', contact: { name: 'C', email: 'nope' } },
        surprise: true,
      }),
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const fields = (bad.json as { errors: { field: string }[] }).errors.map((e) => e.field).sort();
    expect(fields).toEqual(['customer.contact.email', 'customer.tenantId', 'surprise']);
    const after = await api.request('GET', '/v1/claims?limit=100', { token: partnerB });
    expect((after.json as { items: unknown[] }).items).toHaveLength(
      (before.json as { items: unknown[] }).items.length,
    );
  });

  it('refuses malformed JSON, a wrong content type and control characters in names', async () => {
    const malformed = await api.request('POST', '/v1/claims', { token: partnerA, rawBody: '{"name":' });
    expect(malformed.status).toBe(400);
    const wrongType = await api.request('POST', '/v1/claims', {
      token: partnerA,
      rawBody: 'name=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(wrongType.status).toBe(415);
    const injected = await api.request('POST', '/v1/claims', {
      token: partnerA,
      body: claimDraft({
        partner: { mpnId: '1234567', contact: { name: 'Pat\r\nBcc: evil@x.com', email: 'pat@fabrikam.com' } },
      }),
    });
    expect(injected.status).toBe(400);
    expect((injected.json as { errors: { field: string }[] }).errors[0]?.field).toBe('partner.contact.name');
  });

  it('lists only own claims, newest first, with a status filter and tamper-proof cursor pagination', async () => {
    const partnerC = await api.token({
      sub: 'carol',
      partnerId: 'partner-c',
      roles: ['Partner.GlobalAdmin'],
    });
    const partnerD = await api.token({ sub: 'dan', partnerId: 'partner-d', roles: ['Partner.GlobalAdmin'] });
    const ids: string[] = [];
    for (let n = 0; n < 5; n++) {
      const { json } = await api.request('POST', '/v1/claims', {
        token: partnerC,
        body: claimDraft({ name: `Claim ${n}` }),
      });
      ids.push((json as { id: string }).id);
      api.clock.advance(1000);
    }
    await api.request('POST', '/v1/claims', { token: partnerD, body: claimDraft() });

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `/v1/claims?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await api.request('GET', query, { token: partnerC });
      expect(page.status).toBe(200);
      const body = page.json as { items: { id: string; partnerId: string }[]; nextCursor: string | null };
      expect(body.items.length).toBeLessThanOrEqual(2);
      for (const item of body.items) expect(item.partnerId).toBe('partner-c');
      seen.push(...body.items.map((i) => i.id));
      cursor = body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());

    const filtered = await api.request('GET', '/v1/claims?status=submitted', { token: partnerC });
    expect((filtered.json as { items: unknown[] }).items).toEqual([]);

    const first = await api.request('GET', '/v1/claims?limit=2', { token: partnerC });
    const issued = (first.json as { nextCursor: string }).nextCursor;
    const tampered = `${issued.slice(0, 5)}${issued[5] === 'A' ? 'B' : 'A'}${issued.slice(6)}`;
    const forged = await api.request('GET', `/v1/claims?limit=2&cursor=${encodeURIComponent(tampered)}`, {
      token: partnerC,
    });
    expect(forged.status).toBe(400);
    expect((forged.json as { errors: { field: string }[] }).errors[0]?.field).toBe('cursor');
    const replayed = await api.request('GET', `/v1/claims?limit=2&cursor=${encodeURIComponent(issued)}`, {
      token: partnerD,
    });
    expect(replayed.status).toBe(400);
  });

  it('lets reviewers list all partners, oldest first, across the write shards', async () => {
    const tenant = '11111111-2222-4333-8444-555555555555';
    const created: string[] = [];
    api.clock.advance(60_000);
    for (const token of [partnerA, partnerB, partnerA, partnerB]) {
      const { json } = await api.request('POST', '/v1/claims', {
        token,
        body: claimDraft({
          customer: {
            tenantId: tenant,
            domain: 'tailspin.com',
            contact: { name: 'T', email: 't@tailspin.com' },
          },
        }),
      });
      created.push((json as { id: string }).id);
      api.clock.advance(1000);
    }
    const byTenant = await api.request('GET', `/v1/claims?customerTenantId=${tenant}&order=oldest`, {
      token: reviewer,
    });
    expect((byTenant.json as { items: { id: string }[] }).items.map((i) => i.id)).toEqual(created);
    const partnerView = await api.request('GET', `/v1/claims?customerTenantId=${tenant}`, {
      token: partnerB,
    });
    expect((partnerView.json as { items: { id: string }[] }).items.map((i) => i.id)).toEqual([
      created[3],
      created[1],
    ]);

    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const path: string = `/v1/claims?limit=3&order=oldest${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await api.request('GET', path, { token: reviewer });
      const body = page.json as { items: { id: string; createdAt: string }[]; nextCursor: string | null };
      all.push(...body.items.map((i) => i.id));
      cursor = body.nextCursor;
    } while (cursor);
    expect(new Set(all).size).toBe(all.length);
    expect(all.slice(-4)).toEqual(created);
  });

  it('rejects unknown query parameters and out-of-range limits', async () => {
    const unknown = await api.request('GET', '/v1/claims?sort=name', { token: partnerA });
    expect(unknown.status).toBe(400);
    expect((unknown.json as { errors: { field: string }[] }).errors[0]?.field).toBe('sort');
    const tooMany = await api.request('GET', '/v1/claims?limit=1000', { token: partnerA });
    expect(tooMany.status).toBe(400);
    expect((tooMany.json as { errors: { field: string }[] }).errors[0]?.field).toBe('limit');
  });

  it('serves /health without a token', async () => {
    const health = await api.request('GET', '/health');
    expect(health.status).toBe(200);
  });
});
