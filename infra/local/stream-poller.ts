/**
 * The local stand-in for Lambda's DynamoDB Streams event source: reads DynamoDB Local's
 * stream of the table and invokes the relay handler with the same event shape, batch by
 * batch, honouring `batchItemFailures` (the failed record and the rest are retried). Its
 * checkpoint (last sequence number per shard) can be kept in a file, so a restart of
 * `npm start` resumes where it stopped and loses no outbox event.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
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
  onError?: (error: unknown) => void;
}

export interface StreamPoller {
  /** Polls until every record written so far has been handled (or failed for this round). */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

type Checkpoints = Record<string, string>;

export async function startStreamPoller(options: StreamPollerOptions): Promise<StreamPoller> {
  const { tableName, handler } = options;
  const streams = new DynamoDBStreamsClient({
    endpoint: options.endpoint,
    region: LOCAL_AWS_REGION,
    credentials: LOCAL_AWS_CREDENTIALS,
  });
  const dynamoDb = createLocalDynamoDbClient(options.endpoint);
  const table = await dynamoDb.send(new DescribeTableCommand({ TableName: tableName }));
  dynamoDb.destroy();
  const streamArn = table.Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`Table ${tableName} has no stream.`);

  const checkpoints: Checkpoints =
    options.checkpointFile && existsSync(options.checkpointFile)
      ? (JSON.parse(readFileSync(options.checkpointFile, 'utf8')) as Checkpoints)
      : {};
  const iterators = new Map<string, string | null>();
  const saveCheckpoints = () => {
    if (!options.checkpointFile) return;
    writeFileSync(`${options.checkpointFile}.tmp`, JSON.stringify(checkpoints));
    renameSync(`${options.checkpointFile}.tmp`, options.checkpointFile);
  };

  async function iteratorFor(shardId: string): Promise<string | undefined> {
    const after = checkpoints[shardId];
    const { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shardId,
        ShardIteratorType: after ? 'AFTER_SEQUENCE_NUMBER' : 'TRIM_HORIZON',
        ...(after && { SequenceNumber: after }),
      }),
    );
    return ShardIterator;
  }

  /** One pass over every shard; returns how many records it handled. */
  async function pollOnce(): Promise<number> {
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    let handled = 0;
    for (const shard of StreamDescription?.Shards ?? []) {
      const shardId = shard.ShardId as string;
      if (iterators.get(shardId) === null) continue; // a closed shard read to its end
      let iterator = iterators.get(shardId) ?? (await iteratorFor(shardId));
      if (!iterator) continue;
      const page = await streams.send(
        new GetRecordsCommand({ ShardIterator: iterator, Limit: options.batchSize ?? 100 }),
      );
      const records = page.Records ?? [];
      iterator = page.NextShardIterator;
      if (records.length > 0) {
        const result = await handler({ Records: records.map((r) => lambdaRecord(r, streamArn as string)) });
        const failed = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
        const firstFailed = records.findIndex((r) => failed.has(r.dynamodb?.SequenceNumber ?? ''));
        const done = firstFailed === -1 ? records : records.slice(0, firstFailed);
        const last = done.at(-1)?.dynamodb?.SequenceNumber;
        if (last) checkpoints[shardId] = last;
        handled += done.length;
        saveCheckpoints();
        // Retry from the first failure on the next pass, as the event source would.
        if (firstFailed !== -1) {
          iterators.delete(shardId);
          continue;
        }
      }
      iterators.set(shardId, iterator ?? null);
    }
    return handled;
  }

  let stopped = false;
  let running: Promise<number> | undefined;
  const pass = () => {
    running ??= pollOnce().finally(() => {
      running = undefined;
    });
    return running;
  };
  const loop = (async () => {
    while (!stopped) {
      try {
        if ((await pass()) === 0) await new Promise((r) => setTimeout(r, options.idleMs ?? 250));
      } catch (error) {
        options.onError?.(error);
        await new Promise((r) => setTimeout(r, options.idleMs ?? 250));
      }
    }
  })();

  return {
    async drain() {
      // Wait for a pass in flight, then pass until one finds nothing new.
      for (let i = 0; i < 50; i++) {
        if (running) await running.catch(() => 0);
        if ((await pass()) === 0) return;
      }
    },
    async stop() {
      stopped = true;
      await loop;
      streams.destroy();
    },
  };
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
