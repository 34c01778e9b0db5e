/** For tests that relay outbox events themselves: what the stream delivered, the relay's settings. */
import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SESClient } from '@aws-sdk/client-ses';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { expect } from 'vitest';
import type { RelaySettings } from '../../functions/wiring.js';

/**
 * The outbox records of `claimId` among the `delivered` stream batches, as one batch in stream
 * order; there must be at least one.
 */
export function outboxBatchOf(
  delivered: readonly DynamoDBStreamEvent[],
  claimId: string,
): DynamoDBStreamEvent {
  const Records = delivered
    .flatMap((b) => b.Records)
    .filter(
      (r) =>
        r.eventName === 'INSERT' &&
        r.dynamodb?.NewImage?.type?.S === 'outbox' &&
        r.dynamodb.NewImage.claimId?.S === claimId,
    );
  expect(Records.length).toBeGreaterThan(0);
  return { Records };
}

/**
 * The relay's settings every relay test shares (secret, links, sender, a silent logger, no S3),
 * over `table`'s client and `sesClient`; a test passes what it watches (timers, events, clock).
 */
export function testRelaySettings(
  table: { tableName: string; dynamoDbClient: DynamoDBClient },
  sesClient: SESClient,
  own: Pick<RelaySettings, 'timers' | 'events'> & Partial<RelaySettings>,
): RelaySettings {
  return {
    tableName: table.tableName,
    dynamoDbClient: table.dynamoDbClient,
    consentSecret: 'x'.repeat(40),
    publicBaseUrl: 'https://claims.example.com',
    portalUrl: 'https://partners.example.com',
    email: { sender: 'no-reply@claims.example.com', client: sesClient },
    documents: { markFinal: async () => {} }, // no S3 in these tests
    logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
    ...own,
  };
}
