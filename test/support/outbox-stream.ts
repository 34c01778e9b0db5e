/** Reading what the table's stream delivered, for tests that relay outbox events themselves. */
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { expect } from 'vitest';

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
