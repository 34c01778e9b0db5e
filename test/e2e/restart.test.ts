/**
 * Killing and restarting the local stack in the middle of a lifecycle loses nothing: the
 * claim is in DynamoDB Local's files, the pending timer is re-armed from the table, and an
 * outbox event committed while the relay was down is relayed after the restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLocalDynamoDbClient } from '../../infra/local/dynamodb-local.js';
import { type LocalCloud, startLocalCloud } from '../../infra/local/local-cloud.js';
import { claimDraft, draftCustomer } from '../support/claim-draft.js';
import { seedAvailableDocument } from '../support/documents.js';

const draft = claimDraft({
  name: 'Restart check',
  customer: draftCustomer({ contact: { name: 'C', email: 'c@contoso.com' } }),
});

describe('restarting the local stack mid-lifecycle', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cpor-restart-'));
  let cloud: LocalCloud | undefined;
  afterAll(async () => {
    await cloud?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const call = async (path: string, init: { method?: string; token?: string; body?: unknown } = {}) => {
    const response = await fetch(`${cloud?.url}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        'content-type': 'application/json',
        ...(init.token && { authorization: `Bearer ${init.token}` }),
      },
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };
  const token = async (body: unknown) =>
    (await call('/_local/token', { method: 'POST', body })).json.token as string;

  it('keeps the claim and its timer across a restart, and relays what was committed while down', async () => {
    cloud = await startLocalCloud({ dataDir, sesPort: 0 });
    const partner = await token({ sub: 'alice', partnerId: 'p-1', roles: ['Partner.GlobalAdmin'] });
    const reviewer = await token({ sub: 'rita', roles: ['Reviewer'] });
    const created = await call('/v1/claims', { method: 'POST', token: partner, body: draft });
    const id = created.json.id as string;
    // Bring it to underReview through the API; a document is needed to submit.
    const client = createLocalDynamoDbClient(cloud.dynamoDbEndpoint);
    await seedAvailableDocument({ table: { client, tableName: cloud.tableName }, clock: cloud.clock }, id);
    client.destroy();
    expect((await call(`/v1/claims/${id}/submit`, { method: 'POST', token: partner, body: {} })).status).toBe(
      200,
    );
    expect(
      (await call(`/v1/claims/${id}/start-review`, { method: 'POST', token: reviewer, body: {} })).status,
    ).toBe(200);
    await cloud.lifecycle?.settle();

    // The relay is down (stopped) when the approval commits.
    await cloud.lifecycle?.stop();
    expect(
      (await call(`/v1/claims/${id}/approve`, { method: 'POST', token: reviewer, body: {} })).status,
    ).toBe(200);
    await cloud.stop();

    cloud = await startLocalCloud({ dataDir, sesPort: 0 });
    await cloud.lifecycle?.settle();
    const { emails } = (await (await fetch(`${cloud.lifecycle?.ses.url}/store`)).json()) as {
      emails: { destination: { to: string[] } }[];
    };
    expect(emails.filter((e) => e.destination.to.includes('c@contoso.com'))).toHaveLength(1);
    const pending = (await call('/_local/timers')).json.items as { claimId: string; deadline: string }[];
    expect(pending).toContainEqual(expect.objectContaining({ claimId: id, deadline: 'consentEndsAt' }));

    expect((await call('/_local/clock', { method: 'POST', body: { advanceDays: 8 } })).status).toBe(200);
    const claim = (await call(`/v1/claims/${id}`, { token: partner })).json as {
      consent: { status: string };
    };
    expect(claim.consent.status).toBe('periodEnded');
  });
});
