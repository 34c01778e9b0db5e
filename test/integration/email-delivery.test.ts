import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESClient } from '@aws-sdk/client-ses';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DynamoDbClaimStore } from '../../functions/adapters/dynamodb-claim-store.js';
import { ManualClock } from '../../functions/domain/clock.js';
import { buildRelayHandler } from '../../functions/events/outbox-relay-handler.js';
import { EMAIL_LEASE_MS } from '../../functions/use-cases/relay-outbox.js';
import { createClaimStore, createDocumentClient, createRelayDeps } from '../../functions/wiring.js';
import { LOCAL_AWS_CREDENTIALS, LOCAL_AWS_REGION } from '../../infra/local/dynamodb-local.js';
import { LocalEventLog } from '../../infra/local/local-event-log.js';
import { type LocalSes, startLocalSes } from '../../infra/local/ses-local.js';
import { type StreamPoller, startStreamPoller } from '../../infra/local/stream-poller.js';
import { createTestTable, type TestTable } from '../support/dynamodb.js';
import { outboxBatchOf, testRelaySettings } from '../support/outbox-stream.js';
import { TO_APPROVAL, walkClaim } from '../support/store-fixtures.js';

/** Where the dying process stops. */
type CrashPoint = 'afterCommit' | 'afterLease' | 'afterSesAccepted';

interface StoredEmail {
  messageId: string;
  destination: { to: string[] };
  subject: string;
}

describe('no email is ever lost: a crash between any two steps, then a redelivery', () => {
  let table: TestTable;
  let store: DynamoDbClaimStore;
  let ses: LocalSes;
  let poller: StreamPoller;
  const clock = new ManualClock('2026-11-24T17:00:00.000Z');
  /** Every batch the stream delivered; the poller acknowledges them, the tests relay them. */
  let delivered: DynamoDBStreamEvent[] = [];
  const processes: { destroy(): void }[] = [];

  beforeAll(async () => {
    table = await createTestTable('email-delivery');
    store = createClaimStore({ tableName: table.tableName, dynamoDbClient: table.client });
    ses = await startLocalSes();
    poller = await startStreamPoller({
      endpoint: table.endpoint,
      tableName: table.tableName,
      handler: async (event) => {
        delivered.push(event);
        return { batchItemFailures: [] };
      },
      idleMs: 50,
    });
  });
  afterAll(async () => {
    for (const p of processes) p.destroy();
    await poller?.stop();
    await ses?.stop();
    await table?.destroy();
  });
  beforeEach(async () => {
    await fetch(`${ses.url}/clear-store`, { method: 'POST' });
    delivered = [];
  });

  const inbox = async (to: string) =>
    ((await (await fetch(`${ses.url}/store`)).json()) as { emails: StoredEmail[] }).emails.filter((e) =>
      e.destination.to.includes(to),
    );

  /** The ledger items the relays wrote for a claim (read back with the test's own client). */
  const ledgerOf = async (claimId: string) =>
    (
      await createDocumentClient(table.client).send(
        new QueryCommand({
          TableName: table.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :email)',
          ExpressionAttributeValues: { ':pk': `CLAIM#${claimId}`, ':email': 'EMAIL#' },
          ConsistentRead: true,
        }),
      )
    ).Items ?? [];

  /** The outbox records of `claimId` the stream delivered, as one batch in stream order. */
  async function outboxBatch(claimId: string): Promise<DynamoDBStreamEvent> {
    await poller.drain();
    return outboxBatchOf(delivered, claimId);
  }

  /** A relay process as the Lambda entry builds it, with its own clients; `crashAt` makes it die there. */
  function relayProcess(
    crashAt?: CrashPoint,
  ): (batch: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse> {
    let dead = false;
    const die = () => {
      dead = true;
      return Object.assign(new Error(`Injected crash (${crashAt})`), { name: 'ProcessCrash' });
    };
    const gone = () => new Error('Injected: the process is gone');
    const dynamoDbClient = new DynamoDBClient({
      endpoint: table.endpoint,
      region: LOCAL_AWS_REGION,
      credentials: LOCAL_AWS_CREDENTIALS,
    });
    dynamoDbClient.middlewareStack.add(
      (next) => async (args) => {
        if (dead) throw gone();
        return next(args);
      },
      { step: 'initialize', name: 'deadProcess' },
    );
    const sesClient = new SESClient({
      endpoint: ses.url,
      region: LOCAL_AWS_REGION,
      credentials: LOCAL_AWS_CREDENTIALS,
    });
    sesClient.middlewareStack.add(
      (next) => async (args) => {
        if (dead) throw gone();
        if (crashAt === 'afterLease') throw die(); // the lease is written, SES never called
        const output = await next(args);
        if (crashAt === 'afterSesAccepted') throw die(); // SES has it, the ledger never hears
        return output;
      },
      { step: 'initialize', name: 'injectCrash' },
    );
    processes.push(dynamoDbClient, sesClient);
    const handler = buildRelayHandler(
      createRelayDeps(
        testRelaySettings({ tableName: table.tableName, dynamoDbClient }, sesClient, {
          clock,
          timers: { start: async () => {}, stop: async () => {} },
          events: new LocalEventLog(),
        }),
      ),
    );
    return async (batch) => {
      if (dead) throw gone();
      // Committed and delivered, but the process dies before it reads the record.
      if (crashAt === 'afterCommit') throw die();
      return handler(batch);
    };
  }

  /** The approval's consent email to the customer, through a crash at `crashAt`. */
  async function crashOnConsentEmail(id: string, crashAt: CrashPoint) {
    await walkClaim(store, clock, id, TO_APPROVAL, 'Email delivery test');
    const batch = await outboxBatch(id);
    await relayProcess(crashAt)(batch).catch(() => undefined); // a crash, reported or not
    return batch;
  }

  it('outbox commit → relay read: the redelivery sends it', async () => {
    const batch = await crashOnConsentEmail('mail-1', 'afterCommit');
    expect(await inbox('chris@contoso.com')).toHaveLength(0);
    expect(await ledgerOf('mail-1')).toEqual([]);

    expect(await relayProcess()(batch)).toEqual({ batchItemFailures: [] });

    expect(await inbox('chris@contoso.com')).toHaveLength(1);
  });

  it('lease written → SES call: a redelivery within the lease fails (not skipped), one after it sends', async () => {
    const batch = await crashOnConsentEmail('mail-2', 'afterLease');
    expect(await inbox('chris@contoso.com')).toHaveLength(0);
    expect(await ledgerOf('mail-2')).toEqual([expect.objectContaining({ state: 'sending' })]);

    // The crashed relay's lease may still be live: the stream must try again later.
    const early = await relayProcess()(batch);
    expect(early.batchItemFailures.length).toBeGreaterThan(0);
    expect(await inbox('chris@contoso.com')).toHaveLength(0);

    clock.advance(EMAIL_LEASE_MS);
    expect(await relayProcess()(batch)).toEqual({ batchItemFailures: [] });

    const emails = await inbox('chris@contoso.com');
    expect(emails).toHaveLength(1);
    expect(await ledgerOf('mail-2')).toEqual([
      expect.objectContaining({ state: 'sent', messageId: emails[0]?.messageId }),
    ]);
    // Sent and marked: any later delivery skips it.
    expect(await relayProcess()(batch)).toEqual({ batchItemFailures: [] });
    expect(await inbox('chris@contoso.com')).toHaveLength(1);
  });

  it('SES accepted → marked sent: the email is never lost, at worst sent twice', async () => {
    const batch = await crashOnConsentEmail('mail-3', 'afterSesAccepted');
    expect(await inbox('chris@contoso.com')).toHaveLength(1);
    expect(await ledgerOf('mail-3')).toEqual([expect.objectContaining({ state: 'sending' })]);

    expect((await relayProcess()(batch)).batchItemFailures.length).toBeGreaterThan(0);
    clock.advance(EMAIL_LEASE_MS);
    expect(await relayProcess()(batch)).toEqual({ batchItemFailures: [] });
    expect(await relayProcess()(batch)).toEqual({ batchItemFailures: [] });

    const emails = await inbox('chris@contoso.com');
    expect(emails).toHaveLength(2); // the one before the crash and the resend; never zero
    expect(await ledgerOf('mail-3')).toEqual([
      expect.objectContaining({ state: 'sent', messageId: emails[1]?.messageId }),
    ]);
  });

  it('keeps ledger items only as long as a redelivery can come (TTL), not forever', async () => {
    await walkClaim(store, clock, 'mail-4', TO_APPROVAL, 'Email delivery test');
    expect(await relayProcess()(await outboxBatch('mail-4'))).toEqual({ batchItemFailures: [] });

    const [item] = await ledgerOf('mail-4');
    const days = ((item?.expiresAt as number) * 1000 - clock.now().getTime()) / 86_400_000;
    // Longer than the stream (1 day), the outbox items (7) and the dead-letter queue (14 days).
    expect(days).toBeGreaterThan(14);
    expect(days).toBeLessThanOrEqual(31);
  });
});
