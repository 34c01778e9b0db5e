/**
 * `Idempotency-Key` on POST routes over HTTP (Powertools idempotency on DynamoDB Local): a retry
 * gets the first response and changes nothing; keys are scoped to the caller and the route;
 * the same key with another body is a 422; without a key every POST acts.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLocalDynamoDbClient } from '../../infra/local/dynamodb-local.js';
import { claimDraft } from '../support/claim-draft.js';
import { seedAvailableDocument } from '../support/documents.js';
import { dynamoDbEndpoint } from '../support/dynamodb.js';
import { startTestApi, type TestApi, type TestResponse } from '../support/test-api.js';
import {
  ACTION_BODIES,
  act,
  type Cast,
  type ClaimView,
  castOf,
  claimIn,
  claimOf,
  createClaim,
  footprint,
  problemOf,
} from '../support/workflow.js';

describe('Idempotency-Key on POST routes', () => {
  let api: TestApi;
  let cast: Cast;

  beforeAll(async () => {
    api = await startTestApi();
    cast = await castOf(api);
  });
  afterAll(async () => api?.stop());

  const create = (token: string, key: string | undefined, body: unknown = claimDraft()) =>
    api.request('POST', '/v1/claims', {
      token,
      body,
      ...(key !== undefined && { headers: { 'idempotency-key': key } }),
    });
  const countOwn = async (token: string) => {
    const page = await api.request('GET', '/v1/claims?limit=100', { token });
    return (page.json as { items: unknown[] }).items.length;
  };
  const sameResponse = (retry: TestResponse, first: TestResponse) => {
    expect(retry.status).toBe(first.status);
    expect(retry.json).toEqual(first.json);
    for (const header of ['etag', 'location', 'content-type']) {
      expect(retry.headers.get(header), header).toBe(first.headers.get(header));
    }
  };

  it('a retried create returns the first response and creates nothing new', async () => {
    const before = await countOwn(cast.alice);
    const first = await create(cast.alice, 'create-once');
    const created = claimOf(first, 201);
    api.clock.advance(5_000);
    const retry = await create(cast.alice, 'create-once');
    sameResponse(retry, first);
    expect((retry.json as ClaimView).id).toBe(created.id);
    expect(await countOwn(cast.alice)).toBe(before + 1);
  });

  it('duplicates sent at once create one claim: the others get it too, or a 409 with Retry-After while it is in flight', async () => {
    const before = await countOwn(cast.andy);
    const responses = await Promise.all([1, 2, 3].map(() => create(cast.andy, 'impatient-client')));
    const created = responses.filter((r) => r.status === 201).map((r) => (r.json as ClaimView).id);
    const inFlight = responses.filter((r) => r.status === 409);
    expect(created.length + inFlight.length).toBe(3);
    expect(new Set(created).size).toBe(1);
    for (const response of inFlight) {
      expect(problemOf(response).type).toMatch(/idempotency-key-in-progress$/);
      expect(response.headers.get('retry-after')).toBe('1');
    }
    expect(await countOwn(cast.andy)).toBe(before + 1);
  });

  it('the key is scoped to the caller: another partner (or user) with the same key gets a resource of their own', async () => {
    const mine = claimOf(await create(cast.alice, 'shared-key'), 201);
    const bobs = claimOf(await create(cast.bob, 'shared-key'), 201);
    expect(bobs.id).not.toBe(mine.id);
    expect(bobs.partnerId).toBe('partner-b');
    const andys = claimOf(await create(cast.andy, 'shared-key'), 201);
    expect(andys.id).not.toBe(mine.id);
    // …and each caller's retry still finds their own first response.
    expect((claimOf(await create(cast.bob, 'shared-key'), 201) as ClaimView).id).toBe(bobs.id);
  });

  it('the same key with a different body is a 422 problem and writes nothing', async () => {
    claimOf(await create(cast.alice, 'body-bound'), 201);
    const before = await countOwn(cast.alice);
    const reused = await create(cast.alice, 'body-bound', claimDraft({ name: 'Another claim altogether' }));
    expect(reused.status).toBe(422);
    expect(problemOf(reused).type).toMatch(/idempotency-key-reused$/);
    expect(await countOwn(cast.alice)).toBe(before);
  });

  it('without a key every POST acts; a malformed key is a 400 naming the header', async () => {
    const before = await countOwn(cast.bob);
    const one = claimOf(await create(cast.bob, undefined), 201);
    const two = claimOf(await create(cast.bob, undefined), 201);
    expect(two.id).not.toBe(one.id);
    expect(await countOwn(cast.bob)).toBe(before + 2);
    const malformed = await create(cast.bob, 'has spaces in it');
    expect(malformed.status).toBe(400);
    expect(problemOf(malformed).errors?.map((e) => e.field)).toEqual(['Idempotency-Key']);
    expect(await countOwn(cast.bob)).toBe(before + 2);
  });

  it('a retried transition returns its first answer instead of a 409, and records the action once', async () => {
    const claim = await claimIn(api, { partner: cast.alice, rita: cast.rita }, 'underReview');
    const headers = { 'idempotency-key': 'approve-1' };
    const first = await act(api, cast.rita, claim.id, 'approve', ACTION_BODIES.approve, headers);
    const approved = claimOf(first);
    const after = await footprint(api, cast.rita, claim.id);
    const retry = await act(api, cast.rita, claim.id, 'approve', ACTION_BODIES.approve, headers);
    sameResponse(retry, first);
    expect(await footprint(api, cast.rita, claim.id)).toEqual(after);
    expect(approved.status).toBe('approved');
    // The same key on another claim is another request.
    const other = await claimIn(api, { partner: cast.alice, rita: cast.rita }, 'underReview');
    const elsewhere = claimOf(await act(api, cast.rita, other.id, 'approve', ACTION_BODIES.approve, headers));
    expect(elsewhere.id).toBe(other.id);
    // Without the key, the repeat is what it is: approving an approved claim.
    expect((await act(api, cast.rita, claim.id, 'approve')).status).toBe(409);
  });

  it('a refused request is not remembered: the retry after fixing the cause acts', async () => {
    const claim = await createClaim(api, cast.alice);
    const headers = { 'idempotency-key': 'submit-when-ready' };
    const early = await act(api, cast.alice, claim.id, 'submit', {}, headers);
    expect(early.status).toBe(409);
    await seedAvailableDocument(api, claim.id);
    const submitted = claimOf(await act(api, cast.alice, claim.id, 'submit', {}, headers));
    expect(submitted.status).toBe('submitted');
  });

  it('a retried comment is posted once', async () => {
    const claim = await createClaim(api, cast.alice);
    const post = () =>
      api.request('POST', `/v1/claims/${claim.id}/comments`, {
        token: cast.alice,
        body: { text: 'Uploaded the signed PoE.' },
        headers: { 'idempotency-key': 'comment-1' },
      });
    const first = await post();
    expect(first.status).toBe(201);
    sameResponse(await post(), first);
    const comments = await api.request('GET', `/v1/claims/${claim.id}/comments`, { token: cast.alice });
    expect((comments.json as { items: unknown[] }).items).toHaveLength(1);
  });
});

describe('Idempotency-Key: scope and request identity', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => api?.stop());

  const partnerToken = (partnerId: string, sub: string) =>
    api.token({ sub, partnerId, roles: ['Partner.GlobalAdmin'] });

  it('the scope is unambiguous: partner X/y with user z and partner X with user y/z are two callers', async () => {
    const first = await partnerToken('X/y', 'z');
    const second = await partnerToken('X', 'y/z');
    const headers = { 'idempotency-key': 'scope-check' };
    const mine = claimOf(
      await api.request('POST', '/v1/claims', { token: first, body: claimDraft(), headers }),
      201,
    );
    const theirs = await api.request('POST', '/v1/claims', { token: second, body: claimDraft(), headers });
    const created = claimOf(theirs, 201);
    expect(created.id).not.toBe(mine.id);
    expect(created.partnerId).toBe('X');
  });

  it('the same JSON with other whitespace and key order is the same request, not a 422', async () => {
    const token = await partnerToken('partner-ws', 'wes');
    const body = claimDraft() as Record<string, unknown>;
    const headers = { 'idempotency-key': 'same-json' };
    const first = claimOf(
      await api.request('POST', '/v1/claims', { token, rawBody: JSON.stringify(body), headers }),
      201,
    );
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    const retry = await api.request('POST', '/v1/claims', {
      token,
      rawBody: `\n  ${JSON.stringify(reordered, null, 4)}  \n`,
      headers,
    });
    expect(retry.status, retry.text).toBe(201);
    expect((retry.json as ClaimView).id).toBe(first.id);
  });
});

/**
 * A create whose first attempt committed its claim and then lost its answer. The crash is
 * injected at the SDK middleware of the API's DynamoDB client, right after the claim's
 * `TransactWriteItems` returned: "die" never lets the handler continue (the process died, so
 * Powertools' record stays in progress until it expires); "lose-response" throws instead (the
 * connection dropped after the commit; Powertools deletes its record and the client retries).
 * Powertools compares its expiries with `Date.now()`, which the test moves (no sleep).
 */
describe('Idempotency-Key: a create retried after a crash yields exactly one claim', () => {
  let api: TestApi;
  let client: DynamoDBClient;
  let crash: { mode: 'die' | 'lose-response'; committed: () => void } | undefined;

  beforeAll(async () => {
    client = createLocalDynamoDbClient(dynamoDbEndpoint());
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName === 'TransactWriteItemsCommand' && crash) {
          const { mode, committed } = crash;
          crash = undefined;
          committed();
          if (mode === 'die') return new Promise<never>(() => {});
          throw new Error('Injected: the connection dropped after the commit');
        }
        return result;
      },
      { step: 'initialize', name: 'crashAfterCommit' },
    );
    api = await startTestApi({ apiDynamoDbClient: client });
  });
  afterAll(async () => {
    await api?.stop();
    client?.destroy();
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const partnerToken = (partnerId: string) =>
    api.token({ sub: 'crash-test', partnerId, roles: ['Partner.GlobalAdmin'] });
  const claimsOf = async (token: string) =>
    ((await api.request('GET', '/v1/claims?limit=100', { token })).json as { items: ClaimView[] }).items;
  const create = (token: string, key: string, body: unknown = claimDraft()) =>
    api.request('POST', '/v1/claims', { token, body, headers: { 'idempotency-key': key } });
  /** Moves `Date.now()` (what Powertools reads) forward. */
  const later = (ms: number) => {
    const realNow = Date.now.bind(Date);
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() + ms);
  };

  /** Sends a POST that crashes after its commit; resolves once its transaction is committed. */
  async function crashingPost(
    token: string,
    key: string,
    mode: 'die' | 'lose-response',
    path = '/v1/claims',
    body: unknown = claimDraft(),
  ) {
    const committed = new Promise<void>((resolve) => {
      crash = { mode, committed: resolve };
    });
    const aborted = new AbortController();
    const first = fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'idempotency-key': key,
      },
      body: JSON.stringify(body),
      signal: aborted.signal,
    }).then(
      (response) => response.status,
      () => 'no answer' as const,
    );
    await committed;
    if (mode === 'die') aborted.abort();
    return first;
  }
  const crashingCreate = (token: string, key: string, mode: 'die' | 'lose-response') =>
    crashingPost(token, key, mode);

  it.each([
    ['after the in-progress record expired', 10 * 60_000],
    ['a day later, after the key’s retention', 25 * 3600_000],
  ])(
    'the process died between the commit and the idempotency record; the retry %s returns that claim',
    async (_, ms) => {
      const token = await partnerToken(`crash-die-${ms}`);
      expect(await crashingCreate(token, 'lost-answer', 'die')).toBe('no answer');
      const [committed] = await claimsOf(token);
      expect(committed).toBeDefined();

      later(ms);
      const fresh = await partnerToken(`crash-die-${ms}`); // the first token may have expired meanwhile
      const retry = await create(fresh, 'lost-answer');
      expect(retry.status, retry.text).toBe(201);
      expect((retry.json as ClaimView).id).toBe(committed?.id);
      expect(retry.headers.get('location')).toBe(`/v1/claims/${committed?.id}`);
      expect(await claimsOf(fresh)).toHaveLength(1);
      // The same key with another body, even now, is another request: refused.
      const reused = await create(fresh, 'lost-answer', claimDraft({ name: 'Something else' }));
      expect(reused.status).toBe(422);
      expect(problemOf(reused).type).toMatch(/idempotency-key-reused$/);
      expect(await claimsOf(fresh)).toHaveLength(1);
    },
  );

  it('the answer was lost after the commit (a 500) and the client retries at once: the same claim', async () => {
    const token = await partnerToken('crash-lost');
    expect(await crashingCreate(token, 'dropped', 'lose-response')).toBe(500);
    const [committed] = await claimsOf(token);
    const retry = await create(token, 'dropped');
    expect(retry.status, retry.text).toBe(201);
    expect((retry.json as ClaimView).id).toBe(committed?.id);
    expect(await claimsOf(token)).toHaveLength(1);
  });

  it('a comment whose process died after the commit, retried after the in-progress record expired, is in the history once', async () => {
    const token = await partnerToken('crash-comment');
    const claim = claimOf(await create(token, 'the-claim'), 201);
    const path = `/v1/claims/${claim.id}/comments`;
    expect(await crashingPost(token, 'lost-comment', 'die', path, { text: 'Said once' })).toBe('no answer');

    later(10 * 60_000);
    const fresh = await partnerToken('crash-comment');
    const retry = await api.request('POST', path, {
      token: fresh,
      body: { text: 'Said once' },
      headers: { 'idempotency-key': 'lost-comment' },
    });
    expect(retry.status, retry.text).toBe(201);
    const comments = (await api.request('GET', path, { token: fresh })).json as {
      items: { id: string; text: string }[];
    };
    expect(comments.items.filter((c) => c.text === 'Said once')).toHaveLength(1);
    expect((retry.json as { id: string }).id).toBe(comments.items.find((c) => c.text === 'Said once')?.id);
    // The same key with another text is another request, even now: refused, nothing added.
    const reused = await api.request('POST', path, {
      token: fresh,
      body: { text: 'Said otherwise' },
      headers: { 'idempotency-key': 'lost-comment' },
    });
    expect(reused.status).toBe(422);
    expect(problemOf(reused).type).toMatch(/idempotency-key-reused$/);
  });
});
