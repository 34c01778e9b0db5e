import { SESClient } from '@aws-sdk/client-ses';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hashConsentToken } from '../../functions/adapters/consent-tokens.js';
import type { Actor } from '../../functions/domain/claim.js';
import { ManualClock } from '../../functions/domain/clock.js';
import type { ClaimAction } from '../../functions/domain/lifecycle.js';
import type { ClaimStore } from '../../functions/domain/ports/claim-store.js';
import type { ConsentTokenLookup } from '../../functions/domain/ports/consent-tokens.js';
import type { TimerInput } from '../../functions/domain/timers.js';
import { buildRelayHandler } from '../../functions/events/outbox-relay-handler.js';
import { TTL_ATTRIBUTE } from '../../functions/storage-layout/table-schema.js';
import {
  createClaimStore,
  createConsentDeps,
  createDocumentClient,
  createRelayDeps,
} from '../../functions/wiring.js';
import { LocalEventLog } from '../../infra/local/local-event-log.js';
import { type LocalSes, startLocalSes } from '../../infra/local/ses-local.js';
import { type StreamPoller, startStreamPoller } from '../../infra/local/stream-poller.js';
import { createTestTable, type TestTable } from '../support/dynamodb.js';
import { testRelaySettings } from '../support/outbox-stream.js';
import { reviewer, TO_APPROVAL, walkClaim } from '../support/store-fixtures.js';

interface StoredEmail {
  destination: { to: string[] };
  subject: string;
  body: { text: string; html: string };
}

describe('outbox relay: DynamoDB Local stream → SES (aws-ses-v2-local), timers, events', () => {
  let table: TestTable;
  let store: ClaimStore;
  let ses: LocalSes;
  let sesUrl: string;
  let poller: StreamPoller;
  let sesFailuresToInject = 0;
  const clock = new ManualClock('2026-11-24T17:00:00.000Z');
  // Step Functions has no local API endpoint; timer starts are recorded at the port here and
  // executed by the local Step Functions runner elsewhere. Names are what makes a start unique.
  const timerStarts: TimerInput[] = [];
  const events = new LocalEventLog();
  let consentTokens: ConsentTokenLookup;
  let relay: ReturnType<typeof buildRelayHandler>;
  let seen: DynamoDBStreamEvent[] = [];

  beforeAll(async () => {
    table = await createTestTable('relay');
    store = createClaimStore({ tableName: table.tableName, dynamoDbClient: table.client });
    ses = await startLocalSes();
    sesUrl = ses.url;
    const sesClient = new SESClient({
      endpoint: sesUrl,
      region: 'us-east-1',
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    });
    // SES failure injected at the SDK middleware stack: the emulator cannot fail on demand.
    sesClient.middlewareStack.add(
      (next) => async (args) => {
        if (sesFailuresToInject > 0) {
          sesFailuresToInject--;
          throw Object.assign(new Error('Injected SES throttling'), { name: 'Throttling' });
        }
        return next(args);
      },
      { step: 'initialize', name: 'injectSesFailure' },
    );
    const deps = createRelayDeps(
      testRelaySettings({ tableName: table.tableName, dynamoDbClient: table.client }, sesClient, {
        timers: { start: async (input) => void timerStarts.push(input), stop: async () => {} },
        events,
      }),
    );
    // The token as the consent pages read it.
    consentTokens = createConsentDeps({ tableName: table.tableName, dynamoDbClient: table.client }).tokens;
    relay = buildRelayHandler(deps);
    poller = await startStreamPoller({
      endpoint: table.endpoint,
      tableName: table.tableName,
      handler: async (event) => {
        seen.push(event);
        return relay(event);
      },
      idleMs: 50,
    });
  });
  afterAll(async () => {
    await poller?.stop();
    await ses?.stop();
    await table?.destroy();
  });
  beforeEach(async () => {
    await fetch(`${sesUrl}/clear-store`, { method: 'POST' });
    seen = [];
  });

  const inbox = async () =>
    ((await (await fetch(`${sesUrl}/store`)).json()) as { emails: StoredEmail[] }).emails;

  const walk = (id: string, steps: [ClaimAction, Actor][]) =>
    walkClaim(store, clock, id, steps, 'Relay test');
  const toApproval = TO_APPROVAL;

  it('sends the consent email once with a working opt-out link, arms the timers and publishes the events', async () => {
    const record = await walk('relay-1', toApproval);
    await poller.drain();

    const emails = await inbox();
    expect(emails).toHaveLength(1);
    expect(emails[0]?.destination.to).toEqual(['chris@contoso.com']);
    const link = /https:\/\/claims\.example\.com\/consent\/([A-Za-z0-9_-]{43})/.exec(
      emails[0]?.body.text ?? '',
    );
    expect(link).not.toBeNull();
    const token = await consentTokens.lookup(link?.[1] as string);
    expect(token).toMatchObject({ claimId: 'relay-1', endsAt: record.claim.consent?.endsAt });
    // Operational only: the token item expires (TTL) 90 days after its consent window.
    const { Item } = await createDocumentClient(table.client).send(
      new GetCommand({
        TableName: table.tableName,
        Key: { pk: `CONSENT#${hashConsentToken(link?.[1] as string)}`, sk: 'CONSENT' },
      }),
    );
    expect(Item?.[TTL_ATTRIBUTE]).toBe(
      Date.parse(record.claim.consent?.endsAt as string) / 1000 + 90 * 24 * 3600,
    );

    expect(timerStarts.filter((t) => t.claimId === 'relay-1').map((t) => t.deadline)).toEqual([
      'reviewStartBy',
      'decisionBy',
      'consentEndsAt',
    ]);
    expect(events.events.filter((e) => e.claimId === 'relay-1').map((e) => e.detailType)).toEqual([
      'ClaimSubmitted',
      'ClaimApproved',
    ]);
  });

  it('does nothing twice when the stream delivers a record again', async () => {
    await walk('relay-2', toApproval);
    await poller.drain();
    const batches = seen;
    expect(await inbox()).toHaveLength(1);
    const eventsBefore = events.events.length;
    for (const batch of batches) expect(await relay(batch)).toEqual({ batchItemFailures: [] });
    expect(await inbox()).toHaveLength(1);
    expect(events.events.length).toBe(eventsBefore);
  });

  it('retries after an SES failure and then sends the email exactly once', async () => {
    sesFailuresToInject = 1;
    await walk('relay-3', [
      ...toApproval.slice(0, 2),
      [{ type: 'reject', reason: 'insufficientPoe', comment: 'Unsigned SOW' }, reviewer],
    ]);
    await poller.drain();
    await poller.drain();
    const emails = await inbox();
    expect(sesFailuresToInject).toBe(0);
    expect(emails).toHaveLength(1);
    expect(emails[0]?.destination.to).toEqual(['pat@fabrikam.com']);
    expect(emails[0]?.body.text).toContain('Unsigned SOW');
  });
});
