/**
 * Fault injection (issue 7, item 2): each test says where the fault is injected — at the SDK
 * middleware stack of a real client, or by a wrapper at a port — and shows that the system
 * retries or answers a clear problem, and ends consistent: nothing lost, nothing done twice.
 * No sleeps: the SDK's retries run with a zero backoff, and the stream is redelivered by hand.
 */
import { randomBytes } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { SESClient } from '@aws-sdk/client-ses';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Actor } from '../../functions/domain/claim.js';
import { ManualClock } from '../../functions/domain/clock.js';
import { verifyHistoryChain } from '../../functions/domain/history.js';
import type { ClaimAction } from '../../functions/domain/lifecycle.js';
import type { ClaimRecord, ClaimStore } from '../../functions/domain/ports/claim-store.js';
import type { DomainEvent, EventPublisher, TimerScheduler } from '../../functions/domain/ports/outbox.js';
import type { TimerInput } from '../../functions/domain/timers.js';
import { buildRelayHandler } from '../../functions/events/outbox-relay-handler.js';
import { buildApiHandler } from '../../functions/http/api-handler.js';
import { expireDeadline } from '../../functions/use-cases/expire-deadline.js';
import { createApiDeps, createClaimStore, createRelayDeps } from '../../functions/wiring.js';
import { LOCAL_AWS_CREDENTIALS, LOCAL_AWS_REGION } from '../../infra/local/dynamodb-local.js';
import { type RunningHttpServer, startLocalHttpServer } from '../../infra/local/http-adapter.js';
import { createLocalAuth } from '../../infra/local/local-auth.js';
import { LocalEventLog } from '../../infra/local/local-event-log.js';
import { tokenRoute } from '../../infra/local/local-routes.js';
import { createLocalTimers, type LocalTimers } from '../../infra/local/local-timers.js';
import { type LocalSes, startLocalSes } from '../../infra/local/ses-local.js';
import { type StreamPoller, startStreamPoller } from '../../infra/local/stream-poller.js';
import { createTestTable, type TestTable } from '../support/dynamodb.js';
import { outboxBatchOf, testRelaySettings } from '../support/outbox-stream.js';
import { calendar, partner, reviewer, stepClaim, TO_APPROVAL, walkClaim } from '../support/store-fixtures.js';
import { type TestApi, testClient } from '../support/test-api.js';
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
} from '../support/workflow.js';

/** A throttling error as the DynamoDB service sends it (what the SDK's retry logic classifies). */
function throttling(
  name: 'ProvisionedThroughputExceededException' | 'ThrottlingException' | 'RequestLimitExceeded',
) {
  return Object.assign(new Error(`Injected ${name}`), {
    name,
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });
}

/** What DynamoDB throws when another transaction touched one of the items at the same time. */
function transactionConflict(items: number) {
  return new TransactionCanceledException({
    message:
      'Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict]',
    $metadata: { httpStatusCode: 400 },
    CancellationReasons: Array.from({ length: items }, (_, i) =>
      i === 0
        ? { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' }
        : { Code: 'None' },
    ),
  });
}

/**
 * The SDK's own retry loop with its own error classification, but no backoff (so the test
 * needs no time): up to `maxAttempts` attempts for throttling and transient errors.
 */
function zeroBackoffRetries(maxAttempts: number) {
  const token = (count: number) => ({ getRetryCount: () => count, getRetryDelay: () => 0 });
  return {
    acquireInitialRetryToken: async () => token(0),
    refreshRetryTokenForRetry: async (
      previous: ReturnType<typeof token>,
      info: { errorType: string },
    ): Promise<ReturnType<typeof token>> => {
      const next = previous.getRetryCount() + 1;
      if (next >= maxAttempts || !['THROTTLING', 'TRANSIENT'].includes(info.errorType)) {
        throw new Error('No retry left');
      }
      return token(next);
    },
    recordSuccess: () => {},
  };
}

describe('faults injected at the SDK middleware stack of the API’s DynamoDB client', () => {
  let table: TestTable;
  let client: DynamoDBClient;
  let server: RunningHttpServer;
  let api: Pick<TestApi, 'request' | 'table' | 'clock' | 'token'>;
  let cast: Cast;
  /** Faults for the next TransactWriteItems attempts; each attempt shifts one (undefined: pass). */
  let faults: (() => Error)[] = [];
  let transactAttempts = 0;
  const MAX_ATTEMPTS = 3;

  beforeAll(async () => {
    table = await createTestTable('faults-api');
    client = new DynamoDBClient({
      endpoint: table.endpoint,
      region: LOCAL_AWS_REGION,
      credentials: LOCAL_AWS_CREDENTIALS,
      retryStrategy: zeroBackoffRetries(MAX_ATTEMPTS),
    });
    // Injected at the `deserialize` step: inside the SDK's retry loop, in place of the HTTP
    // answer, so the SDK sees each fault exactly as if DynamoDB had sent it.
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'TransactWriteItemsCommand') {
          transactAttempts++;
          const fault = faults.shift();
          if (fault) throw fault();
        }
        return next(args);
      },
      { step: 'deserialize', name: 'injectDynamoDbFault' },
    );
    const clock = new ManualClock('2026-11-24T17:00:00.000Z');
    const auth = await createLocalAuth();
    const handler = buildApiHandler(
      createApiDeps({
        tableName: table.tableName,
        dynamoDbClient: client,
        cursorSecret: randomBytes(32).toString('base64url'),
        clock,
        // Never reached by these tests (no document is uploaded over S3).
        documentsBucketName: 'faults-unused',
        s3Endpoint: 'http://127.0.0.1:9',
        logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
      }),
    );
    server = await startLocalHttpServer({
      handlers: { api: handler },
      auth,
      localRoutes: [tokenRoute(auth)],
      logError: () => {},
    });
    api = { ...testClient(server.url), table, clock };
    cast = await castOf(api);
  });
  afterAll(async () => {
    await server?.close();
    client?.destroy();
    await table?.destroy();
  });
  beforeEach(() => {
    faults = [];
    transactAttempts = 0;
  });

  it.each(['ProvisionedThroughputExceededException', 'ThrottlingException'] as const)(
    'retries a transition whose TransactWriteItems is throttled (%s) and applies it once',
    async (name) => {
      const claim = await claimIn(api, { partner: cast.alice, rita: cast.rita }, 'submitted');
      const before = await footprint(api, cast.alice, claim.id);
      faults = [() => throttling(name), () => throttling(name)];
      transactAttempts = 0;

      const reviewed = await must(api, cast.rita, claim.id, 'start-review');

      expect(transactAttempts).toBe(3); // two throttled attempts, then the one that went through
      expect(reviewed).toMatchObject({ status: 'underReview', version: before.version + 1 });
      const history = await historyOf(api, cast.rita, claim.id);
      expect(history).toHaveLength(before.events + 1);
      expect(verifyHistoryChain(history)).toEqual({ valid: true });
    },
  );

  it.each(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded'] as const)(
    'answers 503 with Retry-After (no internals) on persistent throttling (%s), and writes nothing',
    async (name) => {
      const claim = await claimIn(api, { partner: cast.alice, rita: cast.rita }, 'submitted');
      const before = await footprint(api, cast.alice, claim.id);
      faults = Array.from({ length: MAX_ATTEMPTS }, () => () => throttling(name));
      transactAttempts = 0;

      const response = await act(api, cast.rita, claim.id, 'start-review');

      expect(transactAttempts).toBe(MAX_ATTEMPTS);
      expect(response.status).toBe(503);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      const problem = problemOf(response);
      expect(problem.type).toMatch(/service-unavailable$/);
      expect(response.text).not.toMatch(/Throttling|Injected|\bat\s+\S+\.(ts|js)|stack/i);
      expect(await footprint(api, cast.alice, claim.id)).toEqual(before);
      // The same request, once DynamoDB has capacity again, goes through.
      expect(await must(api, cast.rita, claim.id, 'start-review')).toMatchObject({ status: 'underReview' });
    },
  );

  it('re-reads and re-applies after one TransactionConflict cancellation (which DynamoDB Local never throws): applied once', async () => {
    const claim = await claimIn(api, { partner: cast.alice, rita: cast.rita }, 'underReview');
    const before = await footprint(api, cast.alice, claim.id);
    faults = [() => transactionConflict(3)];
    transactAttempts = 0;

    const approved = await must(api, cast.rita, claim.id, 'approve');

    expect(transactAttempts).toBe(2); // not an SDK retry: the use case re-read the claim
    expect(approved).toMatchObject({ status: 'approved', version: before.version + 1 });
    const history = await historyOf(api, cast.rita, claim.id);
    expect(history).toHaveLength(before.events + 1);
    expect(verifyHistoryChain(history)).toEqual({ valid: true });
  });

  it.each([
    ['an action', 'approve'],
    ['an edit (PATCH)', 'patch'],
  ] as const)(
    'answers 409 concurrent-modification on persistent TransactionConflict for %s; nothing half-written; a retry succeeds',
    async (_, what) => {
      const claim = await claimIn(
        api,
        { partner: cast.alice, rita: cast.rita },
        what === 'patch' ? 'editing' : 'underReview',
      );
      const before = await footprint(api, cast.alice, claim.id);
      const send = () =>
        what === 'patch'
          ? api.request('PATCH', `/v1/claims/${claim.id}`, {
              token: cast.alice,
              body: { name: 'Renamed' },
              headers: { 'content-type': 'application/merge-patch+json', 'if-match': `"${claim.version}"` },
            })
          : act(api, cast.rita, claim.id, 'approve');
      faults = Array.from({ length: 40 }, () => () => transactionConflict(3));
      transactAttempts = 0;

      const response = await send();

      expect(transactAttempts).toBeGreaterThan(1);
      expect(transactAttempts).toBeLessThan(40); // the service gives up after a bounded number of re-reads
      expect(response.status, response.text).toBe(409);
      expect(problemOf(response)).toMatchObject({
        type: 'https://cpor-claims.example/problems/concurrent-modification',
        detail: expect.stringMatching(/read it again and retry/),
      });
      expect(await footprint(api, cast.alice, claim.id)).toEqual(before);
      expect((await getClaim(api, cast.alice, claim.id)).name).toBe(claim.name);

      faults = [];
      const retried = await send();
      expect(retried.status, retried.text).toBe(200);
      const after = await footprint(api, cast.alice, claim.id);
      expect(after).toMatchObject({ version: before.version + 1, events: before.events + 1 });
      expect(verifyHistoryChain(await historyOf(api, cast.rita, claim.id))).toEqual({ valid: true });
    },
  );
});

const toApproval = TO_APPROVAL;

describe('faults in the outbox relay and the timers (ports wrapped; DynamoDB Local stream, aws-ses-v2-local)', () => {
  let table: TestTable;
  let store: ClaimStore;
  let ses: LocalSes;
  let poller: StreamPoller;
  let relay: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;
  const clock = new ManualClock('2026-11-24T17:00:00.000Z');
  /** Every batch the stream delivered; the poller acknowledges them, the tests relay them. */
  let delivered: DynamoDBStreamEvent[] = [];
  const events = new LocalEventLog();
  /** Every publish call that reached the port (the log itself dedupes by id). */
  let published: DomainEvent[] = [];
  /** Faults at the ports: `fail` throws; `hang` never settles (the Lambda died mid-call). */
  let timerFaults: ('fail' | undefined)[] = [];
  let publishFaults: ('fail' | 'hang' | undefined)[] = [];
  let timers: LocalTimers;
  let expiries: TimerInput[] = [];

  beforeAll(async () => {
    table = await createTestTable('faults-relay');
    store = createClaimStore({ tableName: table.tableName, dynamoDbClient: table.client });
    ses = await startLocalSes();
    const sesClient = new SESClient({
      endpoint: ses.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    });
    timers = createLocalTimers({
      clock,
      expire: async (input) => {
        expiries.push(input);
        return expireDeadline({ store, clock, calendar }, input);
      },
    });
    // The Step Functions start, wrapped at the TimerScheduler port.
    const scheduler: TimerScheduler = {
      start: async (input) => {
        if (timerFaults.shift() === 'fail') {
          throw Object.assign(new Error('Injected StartExecution failure'), { name: 'ServiceUnavailable' });
        }
        return timers.start(input);
      },
      stop: (timer) => timers.stop(timer),
    };
    // The event bus, wrapped at the EventPublisher port.
    const publisher: EventPublisher = {
      publish: async (batch) => {
        const fault = publishFaults.shift();
        if (fault === 'fail') throw new Error('Injected PutEvents failure');
        if (fault === 'hang') return new Promise<never>(() => {});
        published.push(...batch);
        return events.publish(batch);
      },
    };
    relay = buildRelayHandler(
      createRelayDeps(
        testRelaySettings({ tableName: table.tableName, dynamoDbClient: table.client }, sesClient, {
          timers: scheduler,
          events: publisher,
        }),
      ),
    );
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
    await poller?.stop();
    await ses?.stop();
    await table?.destroy();
  });
  beforeEach(async () => {
    await fetch(`${ses.url}/clear-store`, { method: 'POST' });
    delivered = [];
    published = [];
    timerFaults = [];
    publishFaults = [];
    expiries = [];
  });

  const inbox = async () =>
    ((await (await fetch(`${ses.url}/store`)).json()) as { emails: { destination: { to: string[] } }[] })
      .emails;

  const step = (record: ClaimRecord, action: ClaimAction, actor: Actor) =>
    stepClaim(store, clock, record, action, actor);
  const walk = (id: string, steps: [ClaimAction, Actor][]) =>
    walkClaim(store, clock, id, steps, 'Fault test');

  /** The outbox records of `claimId` the stream delivered, as one batch in stream order. */
  async function outboxBatch(claimId: string): Promise<DynamoDBStreamEvent> {
    await poller.drain();
    return outboxBatchOf(delivered, claimId);
  }
  const timersOf = (claimId: string) => timers.pending().filter((t) => t.claimId === claimId);

  it('Step Functions start failure (TimerScheduler port): the batch fails from there, the redelivery arms each timer once', async () => {
    await walk('sfn-1', toApproval.slice(0, 1)); // submitted: arms reviewStartBy
    const batch = await outboxBatch('sfn-1');
    timerFaults = ['fail'];

    const first = await relay(batch);

    expect(first.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(
      batch.Records.map((r) => r.dynamodb?.SequenceNumber),
    );
    expect(timersOf('sfn-1')).toEqual([]);
    // The submit's other effect (its domain event) was done anyway; the retry must not redo it.
    expect(published.map((e) => e.detailType)).toEqual(['ClaimSubmitted']);

    expect(await relay(batch)).toEqual({ batchItemFailures: [] });
    expect(await relay(batch)).toEqual({ batchItemFailures: [] }); // and once more, duplicated
    expect(timersOf('sfn-1').map((t) => t.deadline)).toEqual(['reviewStartBy']);
    // The event bus is at-least-once; consumers dedupe on the id, which stays the same.
    expect(new Set(published.map((e) => e.id)).size).toBe(1);
    expect(events.events.filter((e) => e.claimId === 'sfn-1')).toHaveLength(1);

    // The one timer fires once, however late.
    clock.advance(30 * 24 * 3600_000);
    await timers.fireDue();
    expect(expiries.filter((t) => t.claimId === 'sfn-1')).toHaveLength(1);
    expect((await store.get('sfn-1'))?.claim.status).toBe('submitted'); // reviewStartBy only flags
  });

  it.each(['fail', 'hang'] as const)(
    'a Lambda crash after the email went out and before the event was published (%s): the redelivery sends no second email and publishes once',
    async (fault) => {
      await walk(`crash-${fault}`, toApproval);
      const batch = await outboxBatch(`crash-${fault}`);
      // The approval's record comes last; its effects: timer, consent email, ClaimApproved.
      const approval = { Records: batch.Records.slice(-1) };
      await relay({ Records: batch.Records.slice(0, -1) });
      published = [];
      publishFaults = [fault];

      if (fault === 'fail') {
        expect((await relay(approval)).batchItemFailures).toHaveLength(1);
      } else {
        // The invocation never returns (the process died mid-call): Lambda retries the batch.
        void relay(approval);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      await expect.poll(async () => (await inbox()).length).toBe(1); // poll: the hanging call's email
      expect(published).toEqual([]);

      expect(await relay(approval)).toEqual({ batchItemFailures: [] });

      expect(await inbox()).toHaveLength(1);
      expect(published.map((e) => e.detailType)).toEqual(['ClaimApproved']);
      expect(timersOf(`crash-${fault}`).map((t) => t.deadline)).toContain('consentEndsAt');
    },
  );

  it('a duplicate stream record (twice in one batch, then the whole batch again) does nothing twice', async () => {
    const stoppedBefore = timers.counts().stopped;
    await walk('dup-1', toApproval);
    const batch = await outboxBatch('dup-1');
    const doubled = { Records: batch.Records.flatMap((r) => [r, structuredClone(r)]) };

    expect(await relay(doubled)).toEqual({ batchItemFailures: [] });
    expect(await relay(batch)).toEqual({ batchItemFailures: [] });

    expect(await inbox()).toHaveLength(1);
    // Each timer started once and the superseded ones stopped (issue 16): only the live one is open.
    expect(timersOf('dup-1').map((t) => t.deadline)).toEqual(['consentEndsAt']);
    expect(timers.counts().stopped - stoppedBefore).toBe(2);
    const ids = published.map((e) => e.id);
    expect(new Set(ids)).toEqual(
      new Set(events.events.filter((e) => e.claimId === 'dup-1').map((e) => e.id)),
    );
    expect(events.events.filter((e) => e.claimId === 'dup-1').map((e) => e.detailType)).toEqual([
      'ClaimSubmitted',
      'ClaimApproved',
    ]);
  });

  it('a timer firing late and twice at once (extends expire-deadline.test.ts): one expiry, one history event', async () => {
    const record = await walk('late-1', [
      ...toApproval.slice(0, 2),
      [{ type: 'requestInfo', reasons: ['missingAllPoe'], comment: 'Add the SOW' }, reviewer],
    ]);
    const dueAt = record.claim.deadlines.partnerResponseBy as string;
    const input: TimerInput = {
      claimId: 'late-1',
      deadline: 'partnerResponseBy',
      dueAt,
      version: record.claim.version,
    };
    clock.set(new Date(Date.parse(dueAt) + 3 * 24 * 3600_000)); // three days late

    // Two executions of the same timer race (a duplicate start that slipped past the name).
    const outcomes = await Promise.all([
      expireDeadline({ store, clock, calendar }, input),
      expireDeadline({ store, clock, calendar }, input),
    ]);

    expect(outcomes.filter((o) => o.applied)).toHaveLength(1);
    expect(outcomes.filter((o) => !o.applied)).toEqual([{ applied: false, reason: 'stale' }]);
    const after = await store.get('late-1');
    expect(after?.claim).toMatchObject({ status: 'rejected', version: record.claim.version + 1 });
    const history = await store.history('late-1');
    expect(history.filter((e) => e.type === 'deadlineExpired')).toHaveLength(1);
    expect(verifyHistoryChain(history)).toEqual({ valid: true });
  });

  it('a late timer for a deadline the partner already met changes nothing', async () => {
    const asked = await walk('late-2', [
      ...toApproval.slice(0, 2),
      [{ type: 'requestInfo', reasons: ['missingAllPoe'], comment: 'Add the SOW' }, reviewer],
    ]);
    const input: TimerInput = {
      claimId: 'late-2',
      deadline: 'partnerResponseBy',
      dueAt: asked.claim.deadlines.partnerResponseBy as string,
      version: asked.claim.version,
    };
    const record = await step(
      asked,
      { type: 'submit', availableDocuments: 1, conflictingClaimIds: [] },
      partner,
    );
    const before = await store.history('late-2');
    clock.advance(60 * 24 * 3600_000);
    expect(await expireDeadline({ store, clock, calendar }, input)).toEqual({
      applied: false,
      reason: 'stale',
    });
    expect(await store.history('late-2')).toHaveLength(before.length);
    expect((await store.get('late-2'))?.claim).toMatchObject({
      status: 'underReview',
      version: record.claim.version,
    });
  });
});
