/**
 * The claim's history and comments over HTTP: complete (who, when, from→to, field changes,
 * comments, document events), the same for the partner and the reviewer, oldest first, and
 * tamper-evident: an event edited in DynamoDB behind the service's back is detected, both by
 * the service (`verification`) and by a client re-checking the hash chain itself.
 */
import { BatchWriteCommand, DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbClaimStore, historyPut, seqKey } from '../../functions/adapters/dynamodb-claim-store.js';
import { chainEvent, hashEvent, verifyHistoryChain } from '../../functions/domain/history.js';
import { KEY } from '../../functions/storage-layout/table-schema.js';
import { createDocumentClient } from '../../functions/wiring.js';
import { seedAvailableDocument } from '../support/documents.js';
import { startTestApi, type TestApi } from '../support/test-api.js';
import {
  type Cast,
  type ClaimView,
  castOf,
  claimIn,
  claimOf,
  createClaim,
  type HistoryItem,
  historyOf,
  must,
} from '../support/workflow.js';

interface HistoryResponse {
  items: HistoryItem[];
  verification: { valid: boolean; seq?: number; problem?: string };
}

describe('claim history and comments', () => {
  let api: TestApi;
  let cast: Cast;

  beforeAll(async () => {
    api = await startTestApi();
    cast = await castOf(api);
  });
  afterAll(async () => api?.stop());

  const history = async (token: string, id: string): Promise<HistoryResponse> => {
    const response = await api.request('GET', `/v1/claims/${id}/history`, { token });
    expect(response.status, response.text).toBe(200);
    return response.json as HistoryResponse;
  };
  const comment = async (token: string, id: string, text: string) => {
    const response = await api.request('POST', `/v1/claims/${id}/comments`, { token, body: { text } });
    expect(response.status, response.text).toBe(201);
    return response.json as { id: string; text: string; at: string; author: unknown; claimStatus: string };
  };

  it('records every change, comment, document event and action with actor, time and from→to, for partner and reviewer alike', async () => {
    const alice = { kind: 'partner', sub: 'alice', partnerId: 'partner-a' };
    const andy = { kind: 'partner', sub: 'andy', partnerId: 'partner-a' };
    const rita = { kind: 'reviewer', sub: 'rita' };
    const times: string[] = [];
    const tick = () => {
      api.clock.advance(60_000);
      times.push(api.clock.now().toISOString());
    };

    tick();
    const claim = await createClaim(api, cast.alice);
    tick();
    claimOf(
      await api.request('PATCH', `/v1/claims/${claim.id}`, {
        token: cast.alice,
        body: { name: 'Contoso Sales rollout', customer: { contact: { email: 'chris@sales.contoso.com' } } },
      }),
    );
    tick();
    await comment(cast.alice, claim.id, 'PoE follows.');
    tick();
    const documentId = await seedAvailableDocument(api, claim.id, 'alice');
    times.push(times.at(-1) as string); // documentRequested and documentAvailable share the instant
    tick();
    await must(api, cast.andy, claim.id, 'submit');
    tick();
    await comment(cast.rita, claim.id, 'Looking at it today.');
    tick();
    await must(api, cast.rita, claim.id, 'start-review');
    tick();
    await must(api, cast.rita, claim.id, 'request-info', {
      reasons: ['missingProducts'],
      comment: 'Which workloads?',
    });
    tick();
    claimOf(
      await api.request('PATCH', `/v1/claims/${claim.id}`, {
        token: cast.alice,
        body: { products: [{ family: 'businessApplications', workload: 'Dynamics 365 Customer Service' }] },
      }),
    );
    tick();
    await must(api, cast.alice, claim.id, 'submit');
    tick();
    await must(api, cast.rita, claim.id, 'reject', { reason: 'insufficientPoe', comment: 'Still no proof.' });
    tick();
    await must(api, cast.alice, claim.id, 'dispute', { justification: 'See page 3.' });
    tick();
    const final = await must(api, cast.rita, claim.id, 'resolve-dispute', {
      outcome: 'upheld',
      comment: 'Page 3 is a quote, not a deployment.',
    });

    const asPartner = await history(cast.andy, claim.id);
    const asReviewer = await history(cast.rita, claim.id);
    expect(asReviewer).toEqual(asPartner);
    expect(asPartner.verification).toEqual({ valid: true });
    const items = asPartner.items;
    expect(verifyHistoryChain(items)).toEqual({ valid: true });

    expect(items.map((e) => [e.seq, e.type, e.actor, e.fromStatus, e.toStatus])).toEqual([
      [1, 'create', alice, undefined, 'editing'],
      [2, 'edit', alice, 'editing', 'editing'],
      [3, 'comment', alice, undefined, 'editing'],
      [4, 'documentRequested', alice, undefined, 'editing'],
      [5, 'documentAvailable', { kind: 'system' }, undefined, 'editing'],
      [6, 'submit', andy, 'editing', 'submitted'],
      [7, 'comment', rita, undefined, 'submitted'],
      [8, 'startReview', rita, 'submitted', 'underReview'],
      [9, 'requestInfo', rita, 'underReview', 'partnerActionRequired'],
      [10, 'edit', alice, 'partnerActionRequired', 'partnerActionRequired'],
      [11, 'submit', alice, 'partnerActionRequired', 'underReview'],
      [12, 'reject', rita, 'underReview', 'rejected'],
      [13, 'dispute', alice, 'rejected', 'disputed'],
      [14, 'resolveDispute', rita, 'disputed', 'rejected'],
    ]);
    expect(items.map((e) => e.at)).toEqual(times);
    expect(items.at(-1)?.version).toBe(final.version);
    for (const item of items) expect(item.claimId).toBe(claim.id);

    const [, edit, firstComment, requested, available] = items;
    expect(edit?.changes).toEqual([
      { field: 'name', from: 'Contoso Dynamics 365 rollout', to: 'Contoso Sales rollout' },
      { field: 'customer.contact.email', from: 'chris@contoso.com', to: 'chris@sales.contoso.com' },
    ]);
    expect(firstComment?.comment).toBe('PoE follows.');
    expect(requested?.documentId).toBe(documentId);
    expect(available?.documentId).toBe(documentId);
    expect(items[8]).toMatchObject({ comment: 'Which workloads?', reasons: ['missingProducts'] });
    expect(items[8]?.changes).toEqual(
      expect.arrayContaining([{ field: 'status', from: 'underReview', to: 'partnerActionRequired' }]),
    );
    expect(items[9]?.changes).toEqual([
      {
        field: 'products',
        from: [{ family: 'businessApplications', workload: 'Dynamics 365 Sales' }],
        to: [{ family: 'businessApplications', workload: 'Dynamics 365 Customer Service' }],
      },
    ]);
    expect(items[11]).toMatchObject({ reason: 'insufficientPoe', comment: 'Still no proof.' });
    expect(items[12]).toMatchObject({ comment: 'See page 3.' });
    expect(items[13]).toMatchObject({ comment: 'Page 3 is a quote, not a deployment.' });
    expect(items[13]?.changes).toEqual(
      expect.arrayContaining([{ field: 'rejection.final', from: false, to: true }]),
    );

    // Comments: the conversation alone, oldest first.
    const comments = await api.request('GET', `/v1/claims/${claim.id}/comments`, { token: cast.rita });
    expect(comments.status).toBe(200);
    expect((comments.json as { items: unknown[] }).items).toEqual([
      { id: items[2]?.id, text: 'PoE follows.', author: alice, at: times[2], claimStatus: 'editing' },
      {
        id: items[6]?.id,
        text: 'Looking at it today.',
        author: rita,
        at: times[6],
        claimStatus: 'submitted',
      },
    ]);
  });

  it('comments in any status, by both sides, oldest first, without changing the claim version', async () => {
    const claim = await claimIn(api, { partner: cast.alice, rita: cast.rita }, 'approved');
    const texts = ['Thanks!', 'Consent mail sent to Chris.', 'He confirmed\nby phone.'];
    const posted = [];
    for (const [n, text] of texts.entries()) {
      api.clock.advance(1_000);
      posted.push(await comment(n % 2 === 0 ? cast.alice : cast.rita, claim.id, text));
    }
    const listed = await api.request('GET', `/v1/claims/${claim.id}/comments`, { token: cast.andy });
    const items = (listed.json as { items: { id: string; text: string }[] }).items;
    expect(items.map((c) => c.text)).toEqual(texts);
    expect(items.map((c) => c.id)).toEqual(posted.map((c) => c.id));
    const after = await api.request('GET', `/v1/claims/${claim.id}`, { token: cast.alice });
    expect(after.headers.get('etag')).toBe(`"${claim.version}"`);
  });

  describe('tamper evidence', () => {
    const documents = () => createDocumentClient(api.table.client);
    const historyKey = (claimId: string, seq: number) => ({
      [KEY.partition]: `CLAIM#${claimId}`,
      [KEY.sort]: `HIST#${seqKey(seq)}`,
    });

    it('an event edited in DynamoDB is reported at its seq, by the service and by re-checking the chain', async () => {
      const claim = await createClaim(api, cast.alice);
      await comment(cast.alice, claim.id, 'The customer agreed on the phone.');
      await comment(cast.rita, claim.id, 'Please upload the PoE.');
      expect((await history(cast.rita, claim.id)).verification).toEqual({ valid: true });

      await documents().send(
        new UpdateCommand({
          TableName: api.table.tableName,
          Key: historyKey(claim.id, 2),
          UpdateExpression: 'SET #event.#comment = :forged',
          ExpressionAttributeNames: { '#event': 'event', '#comment': 'comment' },
          ExpressionAttributeValues: { ':forged': 'The customer never agreed.' },
        }),
      );

      const tampered = await history(cast.rita, claim.id);
      expect(tampered.items[1]?.comment).toBe('The customer never agreed.');
      expect(tampered.verification).toEqual({ valid: false, seq: 2, problem: 'content does not match hash' });
      expect(verifyHistoryChain(tampered.items)).toEqual(tampered.verification);
      expect((await history(cast.alice, claim.id)).verification).toMatchObject({ valid: false, seq: 2 });
    });

    it('re-sealing an edited event does not help: the next event no longer links to it', async () => {
      const claim = await createClaim(api, cast.alice);
      await comment(cast.alice, claim.id, 'First.');
      await comment(cast.alice, claim.id, 'Second.');
      const [, original] = (await history(cast.rita, claim.id)).items;
      if (!original) throw new Error('no event 2');
      const { hash: _hash, ...content } = { ...original, comment: 'Rewritten.' };
      const forged = { ...content, hash: hashEvent(content) };
      await documents().send(
        new UpdateCommand({
          TableName: api.table.tableName,
          Key: historyKey(claim.id, 2),
          UpdateExpression: 'SET #event = :forged',
          ExpressionAttributeNames: { '#event': 'event' },
          ExpressionAttributeValues: { ':forged': forged },
        }),
      );
      const tampered = await history(cast.rita, claim.id);
      expect(tampered.verification).toEqual({ valid: false, seq: 3, problem: 'prevHash does not match' });
      expect(verifyHistoryChain(tampered.items)).toEqual(tampered.verification);
    });

    it('a deleted event is detected too', async () => {
      const claim = await createClaim(api, cast.alice);
      await comment(cast.alice, claim.id, 'Awkward remark.');
      await comment(cast.alice, claim.id, 'Later remark.');
      await documents().send(
        new DeleteCommand({ TableName: api.table.tableName, Key: historyKey(claim.id, 2) }),
      );
      const tampered = await history(cast.rita, claim.id);
      expect(tampered.items).toHaveLength(2);
      expect(tampered.verification).toMatchObject({ valid: false, seq: 3 });
    });
  });

  it('the history of an untouched lifecycle verifies for both roles', async () => {
    const claim = await claimIn(api, { partner: cast.alice, rita: cast.rita }, 'disputed');
    for (const token of [cast.alice, cast.rita]) {
      const items = await historyOf(api, token, claim.id);
      expect(verifyHistoryChain(items)).toEqual({ valid: true });
    }
  });

  describe('pages (limit default 100, max 500; signed cursor; oldest first)', () => {
    // 360 of the longest comments (4,000 three-byte characters, 4.3 MB of comments): one
    // unpaged answer grows without bound (420 such comments were over Lambda's 6 MB limit).
    // Seeded straight into the table (the chain as the store builds it, 25 events per
    // BatchWrite, then the claim's head), to keep the tests quick.
    const COMMENTS = 360;
    const textOf = (n: number) => `${String(n).padStart(3, '0')}${'漢'.repeat(3997)}`;
    let seeded: Promise<ClaimView> | undefined;
    const seededClaim = () => {
      seeded ??= (async () => {
        const claim = await createClaim(api, cast.alice);
        const documents = createDocumentClient(api.table.client);
        const record = await new DynamoDbClaimStore(documents, api.table.tableName).get(claim.id);
        if (!record) throw new Error('claim missing');
        const events: HistoryItem[] = [];
        let head = record.head;
        for (let n = 0; n < COMMENTS; n++) {
          const event = chainEvent(
            { type: 'comment', comment: textOf(n), toStatus: 'editing', version: claim.version },
            {
              id: `seeded-${n}`,
              claimId: claim.id,
              at: new Date().toISOString(),
              actor: { kind: 'partner', sub: 'alice', partnerId: 'partner-a' },
            },
            head,
          );
          events.push(event);
          head = { seq: event.seq, hash: event.hash };
        }
        const batches = Array.from({ length: Math.ceil(events.length / 25) }, (_, b) =>
          events.slice(b * 25, b * 25 + 25),
        );
        await Promise.all(
          batches.map((batch) =>
            documents.send(
              new BatchWriteCommand({
                RequestItems: {
                  [api.table.tableName]: batch.map((event) => ({
                    PutRequest: { Item: historyPut(api.table.tableName, event).Put.Item },
                  })),
                },
              }),
            ),
          ),
        );
        await documents.send(
          new UpdateCommand({
            TableName: api.table.tableName,
            Key: { [KEY.partition]: `CLAIM#${claim.id}`, [KEY.sort]: 'CLAIM' },
            UpdateExpression: 'SET historySeq = :seq, historyHash = :hash',
            ExpressionAttributeValues: { ':seq': head.seq, ':hash': head.hash },
          }),
        );
        return claim;
      })();
      return seeded;
    };
    type Page = { items: Record<string, unknown>[]; nextCursor: string | null } & Partial<HistoryResponse>;
    const get = async (path: string): Promise<Page> => {
      const response = await api.request('GET', path, { token: cast.alice });
      expect(response.status, response.text.slice(0, 300)).toBe(200);
      expect(Buffer.byteLength(response.text)).toBeLessThan(5_000_000);
      return response.json as Page;
    };
    const walk = async (claimId: string, route: 'comments' | 'history', limit?: number) => {
      const pages: Page[] = [];
      let cursor: string | null = null;
      do {
        const query = new URLSearchParams({
          ...(limit && { limit: String(limit) }),
          ...(cursor && { cursor }),
        });
        const page = await get(`/v1/claims/${claimId}/${route}?${query}`);
        pages.push(page);
        cursor = page.nextCursor;
      } while (cursor);
      return pages;
    };

    it('comments come 100 a page by default, each once, oldest first', async () => {
      const claim = await seededClaim();
      const pages = await walk(claim.id, 'comments');
      expect(pages.map((p) => p.items.length)).toEqual([100, 100, 100, 60]);
      expect(pages.flatMap((p) => p.items.map((c) => c.text))).toEqual(
        Array.from({ length: COMMENTS }, (_, n) => textOf(n)),
      );
    });

    it('limit=500 stops a page before 4 MiB; the history pages verify and chain across pages', async () => {
      const claim = await seededClaim();
      const pages = await walk(claim.id, 'history', 500);
      expect(pages.length).toBeGreaterThan(1);
      for (const page of pages) expect(page.verification).toEqual({ valid: true });
      const events = pages.flatMap((p) => p.items) as unknown as HistoryItem[];
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: COMMENTS + 1 }, (_, n) => n + 1));
      expect(verifyHistoryChain(events)).toEqual({ valid: true });
    });

    it('a cursor is bound to its claim and route and cannot be edited; limit is at most 500', async () => {
      const claim = await seededClaim();
      const first = await get(`/v1/claims/${claim.id}/comments?limit=2`);
      const cursor = first.nextCursor ?? '';
      const other = await createClaim(api, cast.alice);
      for (const [path, field, label] of [
        [`/v1/claims/${other.id}/comments?cursor=${encodeURIComponent(cursor)}`, 'cursor', 'another claim'],
        [`/v1/claims/${claim.id}/history?cursor=${encodeURIComponent(cursor)}`, 'cursor', 'another route'],
        [`/v1/claims/${claim.id}/comments?cursor=${encodeURIComponent(`x${cursor}`)}`, 'cursor', 'edited'],
        [`/v1/claims/${claim.id}/comments?limit=501`, 'limit', 'limit over 500'],
      ] as const) {
        const refused = await api.request('GET', path, { token: cast.alice });
        expect(refused.status, label).toBe(400);
        expect(
          (refused.json as { errors: { field: string }[] }).errors.map((e) => e.field),
          label,
        ).toEqual([field]);
      }
      // Another partner still cannot read the claim at all.
      expect((await api.request('GET', `/v1/claims/${claim.id}/comments`, { token: cast.bob })).status).toBe(
        404,
      );
    });
  });
});
