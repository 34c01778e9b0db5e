/**
 * Consent answers in the customer's terms (issue 10, item 9) and `nosniff` on every answer
 * (item 7d): the consent link reaches only the customer, the token decides a consent POST
 * before its body, and a reviewer never decides a claim of the partner they also work for.
 */
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsentTokens } from '../../functions/adapters/consent-tokens.js';
import { DynamoDbClaimStore } from '../../functions/adapters/dynamodb-claim-store.js';
import { ManualClock } from '../../functions/domain/clock.js';
import type { OutboxEvent } from '../../functions/domain/ports/outbox.js';
import { buildConsentHandler, type ConsentHandler } from '../../functions/http/consent-handler.js';
import { createConsentDeps, createDocumentClient } from '../../functions/wiring.js';
import { lambdaContext } from '../../infra/local/lambda-context.js';
import { claimDraft, draftCustomer } from '../support/claim-draft.js';
import { createTestTable, type TestTable } from '../support/dynamodb.js';
import { TO_APPROVAL, walkClaim } from '../support/store-fixtures.js';
import { startTestApi, type TestApi } from '../support/test-api.js';
import {
  ACTION_BODIES,
  type ActionPath,
  act,
  type Cast,
  castOf,
  claimIn,
  createClaim,
  footprint,
  problemOf,
} from '../support/workflow.js';

describe('the customer contact belongs to the customer', () => {
  let api: TestApi;
  let cast: Cast;
  beforeAll(async () => {
    api = await startTestApi();
    cast = await castOf(api);
  });
  afterAll(async () => api?.stop());

  const fieldOf = (response: { status: number; json: unknown; headers: Headers; text: string }) => {
    expect(response.status, response.text).toBe(400);
    return (problemOf(response) as { errors?: { field: string; reason: string }[] }).errors;
  };

  it('refuses a create whose contact is outside customer.domain, naming the field', async () => {
    const response = await api.request('POST', '/v1/claims', {
      token: cast.alice,
      body: claimDraft({
        name: 'Routed to the partner',
        customer: draftCustomer({ contact: { name: 'Chris', email: 'pat@fabrikam.com' } }),
      }),
    });
    expect(fieldOf(response)).toEqual([
      { field: 'customer.contact.email', reason: expect.stringContaining('contoso.com') },
    ]);
    // A look-alike domain is not a subdomain.
    const lookAlike = await api.request('POST', '/v1/claims', {
      token: cast.alice,
      body: claimDraft({
        name: 'Look-alike',
        customer: draftCustomer({ contact: { name: 'Chris', email: 'chris@notcontoso.com' } }),
      }),
    });
    expect(fieldOf(lookAlike)?.[0]?.field).toBe('customer.contact.email');
  });

  it('accepts a subdomain address in any case', async () => {
    const claim = await createClaim(api, cast.alice, {
      customer: draftCustomer({
        domain: 'Contoso.com',
        contact: { name: 'Chris', email: 'Chris@EU.contoso.COM' },
      }),
    });
    expect(claim.customer.contact.email).toBe('Chris@EU.contoso.COM');
  });

  it('checks the merged claim on edit: a new contact or a new domain alone, nothing written', async () => {
    const claim = await createClaim(api, cast.alice);
    const before = await footprint(api, cast.alice, claim.id);
    const patch = (body: unknown) =>
      api.request('PATCH', `/v1/claims/${claim.id}`, { token: cast.alice, body });

    const contact = await patch({ customer: { contact: { email: 'pat@fabrikam.com' } } });
    expect(fieldOf(contact)?.[0]?.field).toBe('customer.contact.email');
    const domain = await patch({ customer: { domain: 'fabrikam.com' } });
    expect(fieldOf(domain)?.[0]?.field).toBe('customer.contact.email');
    expect(await footprint(api, cast.alice, claim.id)).toEqual(before);

    const both = await patch({
      customer: { domain: 'tailspin.com', contact: { email: 'it@tailspin.com' } },
    });
    expect(both.status, both.text).toBe(200);
  });
});

describe("a reviewer who also works for a partner decides none of that partner's claims", () => {
  let api: TestApi;
  let cast: Cast;
  /** Reviewer and partner-a global admin at once. */
  let dual: string;
  /** Reviewer and partner-b global admin at once. */
  let otherDual: string;
  beforeAll(async () => {
    api = await startTestApi();
    cast = await castOf(api);
    [dual, otherDual] = await Promise.all([
      api.token({ sub: 'remy', partnerId: 'partner-a', roles: ['Reviewer', 'Partner.GlobalAdmin'] }),
      api.token({ sub: 'olga', partnerId: 'partner-b', roles: ['Partner.GlobalAdmin', 'Reviewer'] }),
    ]);
  });
  afterAll(async () => api?.stop());

  const cases: [ActionPath, 'submitted' | 'underReview' | 'disputed'][] = [
    ['start-review', 'submitted'],
    ['request-info', 'underReview'],
    ['approve', 'underReview'],
    ['reject', 'underReview'],
    ['resolve-dispute', 'disputed'],
  ];

  it.each(cases)('%s of its own partner is a 403 problem, changing nothing', async (action, status) => {
    const claim = await claimIn(api, { partner: cast.alice, rita: cast.rita }, status);
    const before = await footprint(api, cast.rita, claim.id);
    const response = await act(api, dual, claim.id, action, ACTION_BODIES[action]);
    expect(response.status, response.text).toBe(403);
    expect(problemOf(response).detail).toMatch(/partner-a/);
    expect(await footprint(api, cast.rita, claim.id)).toEqual(before);
    // Another partner's reviewer decides it.
    const allowed = await act(api, otherDual, claim.id, action, ACTION_BODIES[action]);
    expect(allowed.status, allowed.text).toBe(200);
  });
});

describe('POST /consent/{token}: the token decides before the body', () => {
  let table: TestTable;
  let clock: ManualClock;
  let handler: ConsentHandler;
  let tokens: ConsentTokens;
  let store: DynamoDbClaimStore;
  beforeAll(async () => {
    table = await createTestTable('consent');
    clock = new ManualClock(new Date());
    const deps = createConsentDeps({
      tableName: table.tableName,
      dynamoDbEndpoint: table.endpoint,
      clock,
      logger: new Logger({ logLevel: 'ERROR' }),
    });
    handler = buildConsentHandler(deps);
    const documentClient = createDocumentClient(table.client);
    store = new DynamoDbClaimStore(documentClient, table.tableName);
    tokens = new ConsentTokens(documentClient, table.tableName, 'x'.repeat(32), 'http://localhost');
  });
  afterAll(async () => table?.destroy());

  /** An approved claim and the token of its consent link. */
  async function approvedClaimToken(): Promise<{ token: string; endsAt: string }> {
    const record = await walkClaim(store, clock, randomUUID(), TO_APPROVAL);
    const link = await tokens.linkFor({
      eventId: randomUUID(),
      claimId: record.claim.id,
      claim: record.claim,
      at: clock.now().toISOString(),
    } as OutboxEvent);
    return { token: link.slice(link.lastIndexOf('/') + 1), endsAt: record.claim.consent?.endsAt as string };
  }

  function post(token: string, body: string) {
    const event = {
      version: '2.0',
      routeKey: 'POST /consent/{token}',
      rawPath: `/consent/${token}`,
      rawQueryString: '',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      pathParameters: { token },
      isBase64Encoded: false,
      body,
      requestContext: { http: { method: 'POST', path: `/consent/${token}` } },
    } as unknown as APIGatewayProxyEventV2;
    return handler(event, lambdaContext('consent-test', Date.now() + 30_000));
  }

  it('answers an unknown token with the 404 page, whatever the body', async () => {
    for (const body of ['decision=maybe', '', 'x'.repeat(5_000), 'decision=deny']) {
      const response = await post('no-such-token', body);
      expect(response.statusCode).toBe(404);
      expect(response.headers?.['x-content-type-options']).toBe('nosniff');
    }
  });

  it('answers a closed window with the 410 page, whatever the body; an open one reads the form', async () => {
    const { token, endsAt } = await approvedClaimToken();
    expect((await post(token, 'decision=maybe')).statusCode).toBe(400);

    clock.set(new Date(Date.parse(endsAt) + 1));
    for (const body of ['decision=maybe', '', 'decision=deny']) {
      expect((await post(token, body)).statusCode).toBe(410);
    }
  });
});

describe('X-Content-Type-Options: nosniff on every answer', () => {
  let api: TestApi;
  let cast: Cast;
  beforeAll(async () => {
    api = await startTestApi();
    cast = await castOf(api);
  });
  afterAll(async () => api?.stop());

  it.each([
    ['API JSON', 'GET', '/v1/claims', true],
    ['API problem', 'GET', `/v1/claims/${randomUUID()}`, true],
    ['the local adapter’s own problem', 'GET', '/no-such-route', false],
    ['an unauthenticated request', 'GET', '/v1/claims', false],
    ['the consent page', 'GET', '/consent/unknown-token', false],
    ['a local route', 'GET', '/_local/clock', false],
  ] as const)('%s', async (_name, method, path, authenticated) => {
    const response = await api.request(method, path, authenticated ? { token: cast.alice } : {});
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
