/**
 * The outbox relay as a DynamoDB Streams handler: picks the committed outbox items out of a
 * batch, in order, and carries out their effects. On a failure it reports that record and
 * the rest of the batch as failed (`ReportBatchItemFailures`), so the stream retries from
 * there and the order of a claim's events is kept; effects already done are idempotent.
 */

import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { OutboxEvent } from '../domain/ports/outbox.js';
import {
  type EventHandler,
  handlerStack,
  type Observability,
  withOptionalContext,
} from '../handler-stack.js';
import { type RelayDeps, relayOutboxEvent } from '../use-cases/relay-outbox.js';

/** The outbox event of a stream record, or `undefined` for any other change of the table. */
export function outboxEventOf(record: DynamoDBRecord): OutboxEvent | undefined {
  const image = record.dynamodb?.NewImage;
  if (record.eventName !== 'INSERT' || image?.type?.S !== 'outbox') return undefined;
  const item = unmarshall(image as Record<string, AttributeValue>);
  return {
    eventId: item.eventId,
    claimId: item.claimId,
    version: item.version,
    at: item.at,
    effects: item.effects,
    claim: item.claim,
  };
}

export interface RelayHandlerDeps extends RelayDeps, Observability {}

/** The local stream poller and the tests call it with the event only. */
export type RelayHandler = EventHandler<DynamoDBStreamEvent, DynamoDBBatchResponse>;

export function buildRelayHandler(deps: RelayHandlerDeps): RelayHandler {
  const { logger, metrics } = deps;
  const relayDeps: RelayDeps = {
    ...deps,
    // Each effect is counted with its own dimensions, so each is flushed on its own.
    ...(metrics && {
      onEffect: (effect, detail) => {
        const single = metrics.singleMetric();
        single.addDimensions({ effect, detail });
        single.addMetric(effect === 'emailFailed' ? 'EmailsFailed' : 'RelayEffects', MetricUnit.Count, 1);
      },
    }),
  };
  const handler = handlerStack<DynamoDBStreamEvent, DynamoDBBatchResponse>(deps).handler(
    async (event: DynamoDBStreamEvent) => {
      const records = event.Records;
      for (const [index, record] of records.entries()) {
        const outbox = outboxEventOf(record);
        if (!outbox) continue;
        try {
          await relayOutboxEvent(relayDeps, outbox);
        } catch (error) {
          logger.error('Outbox event failed; the stream will retry it', {
            error: error as Error,
            eventId: outbox.eventId,
            claimId: outbox.claimId,
          });
          return {
            batchItemFailures: records
              .slice(index)
              .map((r) => ({ itemIdentifier: r.dynamodb?.SequenceNumber ?? '' }))
              .filter((f) => f.itemIdentifier !== ''),
          };
        }
      }
      return { batchItemFailures: [] };
    },
  );
  return withOptionalContext(handler);
}
