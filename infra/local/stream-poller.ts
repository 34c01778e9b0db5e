/**
 * The local stand-in for Lambda's DynamoDB Streams event source: reads DynamoDB Local's
 * stream of the table and invokes the relay handler with the same event shape, batch by
 * batch, honouring `batchItemFailures` (the failed record and the rest are retried). Its
 * checkpoint (last sequence number handled per shard) can be kept in a file, so a restart of
 * `npm start` resumes where it stopped and loses no outbox event.
 *
 * Like the event source it survives the stream's own errors: an iterator that expired or was
 * trimmed (DynamoDB Local throws `TrimmedDataAccessException` on an idle iterator now and
 * then), a checkpoint older than the trim horizon, closed shards, and a table re-created with
 * a new stream. Whatever fails, the shard is re-opened from its checkpoint and the stream
 * described again; a record is never skipped (at worst read again, and then not re-delivered).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { createLocalDynamoDbClient, LOCAL_AWS_CREDENTIALS, LOCAL_AWS_REGION } from './dynamodb-local.js';

export type StreamHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;

export interface StreamPollerOptions {
  /** DynamoDB Local's endpoint (the streams API is served on the same port). */
  endpoint: string;
  tableName: string;
  handler: StreamHandler;
  /** Keep the per-shard checkpoint in this file; unset: start at the stream's beginning each time. */
  checkpointFile?: string;
  /** @default 100, like the event source's batch size */
  batchSize?: number;
  /** Between polls when idle. @default 250 */
  idleMs?: number;
  /** The longest pause between polls while the stream keeps failing. @default 5000 */
  maxBackoffMs?: number;
  /** Called when polling starts failing, and again whenever the reason changes (not on every retry). */
  onError?: (error: unknown) => void;
  /** Called when polling works again after a failure. */
  onRecover?: () => void;
  /** The DynamoDB Streams client to read with (tests add middleware to it); default: one for `endpoint`. */
  streamsClient?: DynamoDBStreamsClient;
}

/** What `/health` says about the relay's feed. */
export interface StreamPollerHealth {
  status: 'ok' | 'degraded';
  /** Why it is degraded: the stream's error, or the record the relay keeps failing. */
  reason?: string;
  /** Since when it has been degraded (ISO 8601). */
  since?: string;
  /** The last pass over the stream that worked (ISO 8601). */
  lastPollAt?: string;
}

export interface StreamPoller {
  /**
   * Polls until every record written so far has been handled (or its handler failed for this
   * round). Rejects only when the stream itself keeps failing; the error says why.
   */
  drain(): Promise<void>;
  health(): StreamPollerHealth;
  stop(): Promise<void>;
}

type Checkpoints = Record<string, string>;

interface ShardState {
  iterator?: string;
  /** Read to its end: the shard is closed and nothing is left. */
  finished?: boolean;
  /** The checkpoint was refused as trimmed: re-open at the horizon and skip what was handled. */
  fromHorizon?: boolean;
}

/** A pass that hit a stream error (the cause); what failed is already reset for the next pass. */
class StreamPassError extends Error {
  override readonly name = 'StreamPassError';
}

/** Failing passes in a row before `drain()` gives up and reports the error. */
const DRAIN_ATTEMPTS = 3;

export async function startStreamPoller(options: StreamPollerOptions): Promise<StreamPoller> {
  const { tableName, handler } = options;
  const idleMs = options.idleMs ?? 250;
  const maxBackoffMs = options.maxBackoffMs ?? 5000;
  const streams =
    options.streamsClient ??
    new DynamoDBStreamsClient({
      endpoint: options.endpoint,
      region: LOCAL_AWS_REGION,
      credentials: LOCAL_AWS_CREDENTIALS,
    });
  const dynamoDb = createLocalDynamoDbClient(options.endpoint);

  const checkpoints: Checkpoints =
    options.checkpointFile && existsSync(options.checkpointFile)
      ? (JSON.parse(readFileSync(options.checkpointFile, 'utf8')) as Checkpoints)
      : {};
  const saveCheckpoints = () => {
    if (!options.checkpointFile) return;
    writeFileSync(`${options.checkpointFile}.tmp`, JSON.stringify(checkpoints));
    renameSync(`${options.checkpointFile}.tmp`, options.checkpointFile);
  };

  let streamArn: string | undefined;
  let shards = new Map<string, ShardState>();
  const stateOf = (shardId: string): ShardState => {
    let state = shards.get(shardId);
    if (!state) {
      state = {};
      shards.set(shardId, state);
    }
    return state;
  };

  /** The table's current stream; a re-created table has a new one (and new shards). */
  async function latestStreamArn(): Promise<string> {
    const { Table } = await dynamoDb.send(new DescribeTableCommand({ TableName: tableName }));
    const arn = Table?.LatestStreamArn;
    if (!arn || Table?.StreamSpecification?.StreamEnabled === false) {
      throw new Error(`Table ${tableName} has no stream.`);
    }
    if (arn !== streamArn) {
      if (streamArn !== undefined) {
        // Checkpoints of the old stream's shards mean nothing on the new one.
        for (const shardId of Object.keys(checkpoints)) delete checkpoints[shardId];
        saveCheckpoints();
      }
      streamArn = arn;
      shards = new Map();
    }
    return arn;
  }

  async function describeShards(arn: string): Promise<{ shards: Shard[]; open: boolean }> {
    const all: Shard[] = [];
    let exclusiveStartShardId: string | undefined;
    let open = true;
    do {
      const { StreamDescription } = await streams.send(
        new DescribeStreamCommand({
          StreamArn: arn,
          ...(exclusiveStartShardId && { ExclusiveStartShardId: exclusiveStartShardId }),
        }),
      );
      open =
        StreamDescription?.StreamStatus !== 'DISABLED' && StreamDescription?.StreamStatus !== 'DISABLING';
      all.push(...(StreamDescription?.Shards ?? []));
      exclusiveStartShardId = StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId);
    return { shards: all, open };
  }

  async function openIterator(shardId: string, state: ShardState): Promise<string | undefined> {
    const after = checkpoints[shardId];
    if (after && !state.fromHorizon) {
      try {
        const { ShardIterator } = await streams.send(
          new GetShardIteratorCommand({
            StreamArn: streamArn,
            ShardId: shardId,
            ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
            SequenceNumber: after,
          }),
        );
        return ShardIterator;
      } catch (error) {
        if (!isTrimmed(error)) throw error;
        state.fromHorizon = true;
      }
    }
    const { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    return ShardIterator;
  }

  let failingRecord: string | undefined;

  /** Reads one batch of a shard and hands it to the handler; returns how many records it read. */
  async function readShard(shardId: string, state: ShardState): Promise<number> {
    state.iterator ??= await openIterator(shardId, state);
    if (!state.iterator) {
      state.finished = true;
      return 0;
    }
    const page = await streams.send(
      new GetRecordsCommand({ ShardIterator: state.iterator, Limit: options.batchSize ?? 100 }),
    );
    state.fromHorizon = false;
    const read = page.Records ?? [];
    const after = checkpoints[shardId];
    // Re-read from the horizon (or a redelivered page): what was handled is not handled twice.
    const records = after ? read.filter((r) => isAfter(r.dynamodb?.SequenceNumber, after)) : read;
    if (records.length > 0) {
      const result = await handler({ Records: records.map((r) => lambdaRecord(r, streamArn as string)) });
      const failed = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
      const firstFailed = records.findIndex((r) => failed.has(r.dynamodb?.SequenceNumber ?? ''));
      const done = firstFailed === -1 ? records : records.slice(0, firstFailed);
      const last = done.at(-1)?.dynamodb?.SequenceNumber;
      if (last) {
        checkpoints[shardId] = last;
        saveCheckpoints();
      }
      if (firstFailed !== -1) {
        // Retry from the first failure on the next pass, as the event source would.
        failingRecord = records[firstFailed]?.dynamodb?.SequenceNumber;
        state.iterator = undefined;
        return done.length;
      }
      failingRecord = undefined;
    }
    state.iterator = page.NextShardIterator;
    // No next iterator: the shard is closed and read to its end.
    if (!state.iterator) state.finished = true;
    return read.length;
  }

  /** One pass over every shard; returns how many records it read. */
  async function pollOnce(): Promise<number> {
    let arn = streamArn ?? (await latestStreamArn());
    let description: { shards: Shard[]; open: boolean };
    try {
      description = await describeShards(arn);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      arn = await latestStreamArn();
      description = await describeShards(arn);
    }
    const listed = new Map(description.shards.map((shard) => [shard.ShardId as string, shard]));
    let read = 0;
    let failure: unknown;
    for (const [shardId, shard] of listed) {
      const state = stateOf(shardId);
      if (state.finished) continue;
      // A child shard waits until its parent is read to the end, so a claim's events stay in order.
      const parent = shard.ParentShardId;
      if (parent && listed.has(parent) && !stateOf(parent).finished) continue;
      try {
        read += await readShard(shardId, state);
      } catch (error) {
        // Whatever went wrong, the shard is re-opened from its checkpoint (never past it).
        state.iterator = undefined;
        if (isTrimmed(error)) state.fromHorizon = true;
        failure ??= error;
      }
    }
    const exhausted = [...listed.keys()].every((shardId) => stateOf(shardId).finished);
    if (failure !== undefined || !description.open || exhausted) {
      // The table may have been re-created with a new stream: look again next pass.
      streamArn = undefined;
    }
    if (failure !== undefined) throw failure;
    return read;
  }

  // A table without a stream is a setup error: fail the start, not every poll.
  await latestStreamArn().catch((error: unknown) => {
    dynamoDb.destroy();
    throw error;
  });

  let failingSince: Date | undefined;
  let lastFailure: string | undefined;
  let lastPollAt: Date | undefined;
  let running: Promise<number> | undefined;
  /** One pass at a time, whoever asks (the loop, `drain()`); its outcome is recorded for `health()`. */
  const pass = () => {
    running ??= pollOnce()
      .then(
        (read) => {
          lastPollAt = new Date();
          if (failingSince) options.onRecover?.();
          failingSince = undefined;
          lastFailure = undefined;
          return read;
        },
        (error: unknown) => {
          const failure = new StreamPassError(`reading the table's stream failed: ${describeError(error)}`, {
            cause: error,
          });
          failingSince ??= new Date();
          if (failure.message !== lastFailure) options.onError?.(failure);
          lastFailure = failure.message;
          throw failure;
        },
      )
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  let stopped = false;
  const stopping = new AbortController();
  const pause = (ms: number) => sleep(ms, undefined, { signal: stopping.signal }).catch(() => undefined);
  const loop = (async () => {
    let failures = 0;
    while (!stopped) {
      try {
        const read = await pass();
        failures = 0;
        if (read === 0) await pause(idleMs);
      } catch {
        // Back off while the stream keeps failing, instead of retrying (and logging) 4 times a second.
        failures++;
        await pause(Math.min(maxBackoffMs, idleMs * 2 ** failures));
      }
    }
  })();

  return {
    async drain() {
      // Wait for a pass in flight, then pass until one finds nothing new.
      let failures = 0;
      for (let i = 0; i < 50; i++) {
        if (running) await running.catch(() => 0);
        try {
          if ((await pass()) === 0) return;
          failures = 0;
        } catch (error) {
          // A failed pass already reset what failed: the next one re-opens from the checkpoints.
          if (++failures >= DRAIN_ATTEMPTS) throw error;
        }
      }
    },
    health() {
      const reason =
        lastFailure ??
        (failingRecord === undefined
          ? undefined
          : `the relay failed record ${failingRecord} and retries it (see the log for the error)`);
      return {
        status: reason === undefined ? 'ok' : 'degraded',
        ...(reason !== undefined && { reason }),
        ...(failingSince && { since: failingSince.toISOString() }),
        ...(lastPollAt && { lastPollAt: lastPollAt.toISOString() }),
      };
    },
    async stop() {
      stopped = true;
      stopping.abort();
      await loop;
      if (!options.streamsClient) streams.destroy();
      dynamoDb.destroy();
    },
  };
}

function isTrimmed(error: unknown): boolean {
  return (error as Error | undefined)?.name === 'TrimmedDataAccessException';
}

function isNotFound(error: unknown): boolean {
  return (error as Error | undefined)?.name === 'ResourceNotFoundException';
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** Sequence numbers are decimal strings of up to 40 digits: compared as numbers. */
function isAfter(sequenceNumber: string | undefined, checkpoint: string): boolean {
  return sequenceNumber === undefined || BigInt(sequenceNumber) > BigInt(checkpoint);
}

/** A stream record in the shape Lambda's event source delivers. */
function lambdaRecord(record: StreamRecord, streamArn: string): DynamoDBRecord {
  const created = record.dynamodb?.ApproximateCreationDateTime;
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: record.awsRegion ?? 'us-east-1',
    eventSourceARN: streamArn,
    dynamodb: {
      ...(record.dynamodb as DynamoDBRecord['dynamodb']),
      ...(created && { ApproximateCreationDateTime: Math.floor(new Date(created).getTime() / 1000) }),
    },
  } as DynamoDBRecord;
}
