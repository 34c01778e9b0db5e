/**
 * The local stream poller (issue 10, item 1) survives the stream errors AWS documents and
 * DynamoDB Local throws: an iterator that is trimmed or expired, a checkpoint older than the
 * trim horizon, a table re-created with a new stream, and a stream that keeps failing. Each
 * fault is injected at the SDK middleware of the real DynamoDB Streams client, because
 * DynamoDB Local throws `TrimmedDataAccessException` on an idle iterator only now and then
 * (and never expires one within a test): deterministic, no waiting.
 */
import { DeleteTableCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureTable } from '../../infra/local/create-table.js';
import { LOCAL_AWS_CREDENTIALS, LOCAL_AWS_REGION } from '../../infra/local/dynamodb-local.js';
import { type LocalCloud, startLocalCloud } from '../../infra/local/local-cloud.js';
import { type StreamPoller, startStreamPoller } from '../../infra/local/stream-poller.js';
import { claimDraft } from '../support/claim-draft.js';
import { seedAvailableDocument } from '../support/documents.js';
import { createTestTable, type TestTable } from '../support/dynamodb.js';

/** An error as the DynamoDB Streams service sends it (name, fault, HTTP status). */
function streamsError(name: string, message: string, status = 400) {
  return Object.assign(new Error(message), {
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
  });
}

const trimmed = () =>
  streamsError(
    'TrimmedDataAccessException',
    'The operation attempted to read past the oldest stream record.',
  );
const expired = () => streamsError('ExpiredIteratorException', 'Iterator expired.');

/**
 * A real DynamoDB Streams client with a fault switch. `killIterators(error)` makes every shard
 * iterator handed out so far fail with that error from then on, as AWS does with an expired
 * or trimmed iterator (a new one, from GetShardIterator, works); `failCheckpoint` makes
 * GetShardIterator refuse a sequence number, as for a checkpoint older than the trim horizon;
 * `failEverything` makes every call fail until it is cleared.
 */
function faultyStreamsClient(endpoint: string) {
  const client = new DynamoDBStreamsClient({
    endpoint,
    region: LOCAL_AWS_REGION,
    credentials: LOCAL_AWS_CREDENTIALS,
    maxAttempts: 1,
  });
  const issued = new Set<string>();
  const dead = new Map<string, () => Error>();
  const faults = {
    checkpointFailure: undefined as (() => Error) | undefined,
    everything: undefined as (() => Error) | undefined,
    getRecordsCalls: 0,
    killIterators(error: () => Error) {
      for (const iterator of issued) dead.set(iterator, error);
    },
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { ShardIterator?: string; ShardIteratorType?: string };
      if (faults.everything) throw faults.everything();
      if (context.commandName === 'GetRecordsCommand') {
        faults.getRecordsCalls++;
        const error = dead.get(input.ShardIterator ?? '');
        if (error) throw error();
      }
      if (
        context.commandName === 'GetShardIteratorCommand' &&
        input.ShardIteratorType === 'AFTER_SEQUENCE_NUMBER' &&
        faults.checkpointFailure
      ) {
        throw faults.checkpointFailure();
      }
      const result = await next(args);
      const output = result.output as { ShardIterator?: string; NextShardIterator?: string };
      for (const iterator of [output.ShardIterator, output.NextShardIterator]) {
        if (iterator) issued.add(iterator);
      }
      return result;
    },
    { step: 'initialize', name: 'injectStreamFaults' },
  );
  return { client, faults };
}

describe('the local stream poller', () => {
  let table: TestTable | undefined;
  let poller: StreamPoller | undefined;
  afterEach(async () => {
    await poller?.stop();
    await table?.destroy();
    poller = undefined;
    table = undefined;
  });

  /** A poller on a fresh table that records the key of every item whose insert it delivers. */
  async function start(options: { failing?: () => boolean } = {}) {
    table = await createTestTable('poller');
    const { client, faults } = faultyStreamsClient(table.endpoint);
    const delivered: string[] = [];
    poller = await startStreamPoller({
      endpoint: table.endpoint,
      tableName: table.tableName,
      streamsClient: client,
      handler: async (event) => {
        if (options.failing?.()) {
          // As the relay answers a record that failed: it and the rest of the batch are retried.
          return {
            batchItemFailures: event.Records.map((r) => ({
              itemIdentifier: r.dynamodb?.SequenceNumber ?? '',
            })),
          };
        }
        for (const record of event.Records) {
          if (record.eventName === 'INSERT') delivered.push(record.dynamodb?.Keys?.pk?.S ?? '?');
        }
        return { batchItemFailures: [] };
      },
      idleMs: 20,
    });
    const put = async (...keys: string[]) => {
      for (const pk of keys) {
        await table?.client.send(
          new PutItemCommand({ TableName: table.tableName, Item: { pk: { S: pk }, sk: { S: 'item' } } }),
        );
      }
    };
    return { faults, delivered, put, poller, table };
  }

  it.each([
    ['trimmed', trimmed],
    ['expired', expired],
  ])('resumes after an %s iterator from its checkpoint: every record once, in order', async (_, error) => {
    const { faults, delivered, put, poller } = await start();
    await put('A');
    await poller.drain();
    expect(delivered).toEqual(['A']);

    faults.killIterators(error);
    await put('B', 'C');
    await poller.drain();

    expect(delivered).toEqual(['A', 'B', 'C']);
    expect(poller.health()).toMatchObject({ status: 'ok' });
  });

  it('falls back to the trim horizon when the checkpoint itself was trimmed, without repeating a record', async () => {
    const { faults, delivered, put, poller } = await start();
    await put('A', 'B');
    await poller.drain();

    faults.killIterators(trimmed);
    faults.checkpointFailure = trimmed;
    await put('C');
    await poller.drain();

    // The stream still holds A and B (read again from the horizon) but they were done.
    expect(delivered).toEqual(['A', 'B', 'C']);
  });

  it('follows the new stream when the table is deleted and created again', async () => {
    const { delivered, put, poller, table } = await start();
    await put('A');
    await poller.drain();

    await table.client.send(new DeleteTableCommand({ TableName: table.tableName }));
    await ensureTable(table.client, table.tableName);
    await put('B');
    // DynamoDB Local may show the new stream's shard a moment after the write: the poller runs
    // pass after pass, so give it a bounded number of passes (old code never followed at all).
    for (let pass = 0; pass < 50 && !delivered.includes('B'); pass++) await poller.drain();

    expect(delivered).toEqual(['A', 'B']);
  });

  it('reports a stream that keeps failing as degraded, with the reason, and recovers once it works', async () => {
    const { faults, delivered, put, poller } = await start();
    await put('A');
    await poller.drain();
    expect(poller.health()).toMatchObject({ status: 'ok' });

    faults.everything = () => streamsError('InternalServerError', 'Injected outage', 500);
    await put('B');
    await expect(poller.drain()).rejects.toThrow(/InternalServerError: Injected outage/);
    expect(poller.health()).toMatchObject({
      status: 'degraded',
      reason: expect.stringContaining('InternalServerError: Injected outage'),
    });

    faults.everything = undefined;
    await poller.drain();

    expect(delivered).toEqual(['A', 'B']);
    expect(poller.health()).toMatchObject({ status: 'ok' });
  });

  it('reports a record the relay keeps failing as degraded until it goes through', async () => {
    const relay = { failing: false };
    const { delivered, put, poller } = await start({ failing: () => relay.failing });
    relay.failing = true;
    await put('A');
    await poller.drain();
    expect(delivered).toEqual([]);
    expect(poller.health()).toMatchObject({
      status: 'degraded',
      reason: expect.stringContaining('the relay failed record'),
    });

    relay.failing = false;
    await poller.drain();

    expect(delivered).toEqual(['A']);
    expect(poller.health()).toMatchObject({ status: 'ok' });
  });
});

describe('the local stack with a failing stream', () => {
  let table: TestTable | undefined;
  let cloud: LocalCloud | undefined;
  afterEach(async () => {
    await cloud?.stop();
    await table?.destroy();
    cloud = undefined;
    table = undefined;
  });

  async function start() {
    const testTable = await createTestTable('stall');
    table = testTable;
    const { client, faults } = faultyStreamsClient(testTable.endpoint);
    cloud = await startLocalCloud({
      dynamoDbEndpoint: testTable.endpoint,
      tableName: testTable.tableName,
      streamsClient: client,
      sesPort: 0,
    });
    const running = cloud;
    const call = async (method: string, path: string, body?: unknown, token?: string) => {
      const response = await fetch(`${running.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      return { status: response.status, json: (await response.json()) as Record<string, unknown> };
    };
    const token = (
      await call('POST', '/_local/token', { sub: 'alice', partnerId: 'p-1', roles: ['Partner.GlobalAdmin'] })
    ).json.token as string;
    /** Creates a claim with a verified document and submits it (which arms the review timer). */
    const submitClaim = async () => {
      const id = (await call('POST', '/v1/claims', claimDraft(), token)).json.id as string;
      await seedAvailableDocument(
        { table: { client: testTable.client, tableName: running.tableName }, clock: running.clock },
        id,
      );
      expect((await call('POST', `/v1/claims/${id}/submit`, {}, token)).status).toBe(200);
      return id;
    };
    return { faults, call, submitClaim };
  }

  it('relays a claim submitted after the idle iterator was trimmed: event, timer, clock and health all work', async () => {
    const { faults, call, submitClaim } = await start();
    // What DynamoDB Local does to an iterator left idle: it is trimmed.
    faults.killIterators(trimmed);

    const id = await submitClaim();

    const events = await call('GET', '/_local/events');
    expect(events.status).toBe(200);
    expect(events.json.items).toContainEqual(
      expect.objectContaining({ claimId: id, detailType: 'ClaimSubmitted' }),
    );
    expect((await call('GET', '/_local/timers')).json.items).toContainEqual(
      expect.objectContaining({ claimId: id, deadline: 'reviewStartBy' }),
    );
    expect((await call('POST', '/_local/clock', { advanceHours: 1 })).status).toBe(200);
    expect(await call('GET', '/health')).toMatchObject({ status: 200, json: { status: 'ok' } });
  });

  it('says degraded with the reason (503) while the stream fails, answers 503 problems, and recovers', async () => {
    const { faults, call, submitClaim } = await start();
    expect(await call('GET', '/health')).toMatchObject({
      status: 200,
      json: { status: 'ok', relay: { status: 'ok' }, timers: { status: 'ok' } },
    });
    faults.everything = () => streamsError('InternalServerError', 'Injected outage', 500);

    const events = await call('GET', '/_local/events');
    expect(events.status).toBe(503);
    expect(events.json.detail).toContain('InternalServerError: Injected outage');
    expect((await call('POST', '/_local/clock', { advanceHours: 1 })).status).toBe(503);
    const health = await call('GET', '/health');
    expect(health.status).toBe(503);
    expect(health.json).toMatchObject({
      status: 'degraded',
      reason: expect.stringContaining("outbox relay: reading the table's stream failed: InternalServerError"),
      relay: { status: 'degraded' },
    });

    faults.everything = undefined;
    const id = await submitClaim();
    expect((await call('GET', '/_local/events')).json.items).toContainEqual(
      expect.objectContaining({ claimId: id, detailType: 'ClaimSubmitted' }),
    );
    expect(await call('GET', '/health')).toMatchObject({ status: 200, json: { status: 'ok' } });
  });
});
