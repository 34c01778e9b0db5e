/**
 * The outbox relay: the `outbox-relay` Lambda on the claims table's stream, invoked only for
 * newly inserted outbox items, turning each into its side effects (start or stop a claim
 * timer, send an email, publish a domain event, tag a final claim's documents for retention). Records that fail every retry land, as batch metadata,
 * in a dead-letter queue that alarms.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, FilterRule, type IEventSourceDlq, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IConfigurationSet, IEmailIdentity } from 'aws-cdk-lib/aws-ses';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DOCUMENT_PREFIX } from '../../functions/storage-layout/document-object-keys.js';
import { ServiceAlarms } from './service-alarms.js';
import { ServiceFunction } from './service-function.js';

/**
 * The stream records the relay is invoked for: inserts of outbox items (`type = outbox`), the
 * same test as `outboxEventOf` in `functions/events/outbox-relay-handler.ts`. Claim and
 * history writes, modifications and TTL deletions never cost an invocation.
 */
export const OUTBOX_RECORD_FILTER = {
  eventName: FilterRule.isEqual('INSERT'),
  dynamodb: { NewImage: { type: { S: FilterRule.isEqual('outbox') } } },
};

export interface OutboxRelayProps {
  /** The claims table, with its stream; the relay writes email-ledger and consent-token items. */
  readonly table: ITableV2;
  /** The claim timer the relay starts executions of. */
  readonly timerStateMachine: IStateMachine;
  /** The PoE bucket: a final claim's documents are tagged there for their retention. */
  readonly documentsBucket: IBucket;
  /** Where domain events are published. */
  readonly eventBus: IEventBus;
  /** The verified identity of `senderAddress`. */
  readonly emailIdentity: IEmailIdentity;
  /** From address of every email. */
  readonly senderAddress: string;
  /**
   * The configuration set emails are sent with (bounce and complaint metrics).
   *
   * @default - none
   */
  readonly emailConfigurationSet?: IConfigurationSet;
  /** HMAC key the consent tokens are derived from. */
  readonly consentSecret: ISecret;
  /** Base of the consent links in emails, e.g. `https://claims.example.com`. */
  readonly publicBaseUrl: string;
  /**
   * The partner portal partner emails link to (base URL or `{claimId}` template).
   *
   * @default - the service's console, `<publicBaseUrl>/console`
   */
  readonly portalUrl?: string;
  /** The IANA zone emails show deadlines in: the business calendar's. */
  readonly timeZone: string;
  readonly logRetention: RetentionDays;

  /**
   * Reserved concurrency of the relay (it never runs more than one invocation per stream
   * shard anyway).
   *
   * @default - none; the account's unreserved pool
   */
  readonly reservedConcurrentExecutions?: number;

  /**
   * Records per invocation.
   *
   * @default 10 — a few seconds of work, well inside the timeout; a failure retries only the
   *   failed record and the ones after it.
   */
  readonly batchSize?: number;

  /**
   * Retries of a failing record before its batch's metadata goes to the dead-letter queue.
   *
   * @default -1 (unbounded: `maxRecordAge` ends the retries) — a record waiting for an email
   *   lease left by a crashed relay (3 minutes) or a dependency's outage must not use up a
   *   count of fast retries and land in the dead-letter queue with its email unsent.
   */
  readonly retryAttempts?: number;

  /**
   * Age after which a record still failing goes to the dead-letter queue whatever the retry
   * count: the longest a poison record may hold up the claims behind it on its shard.
   *
   * @default Duration.hours(1)
   */
  readonly maxRecordAge?: Duration;
}

export class OutboxRelay extends Construct {
  readonly function: ServiceFunction;
  /** Metadata (shard, sequence numbers) of stream batches that failed every retry. */
  readonly deadLetterQueue: Queue;
  readonly eventSource: DynamoEventSource;

  constructor(scope: Construct, id: string, props: OutboxRelayProps) {
    super(scope, id);

    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge(
      ...['AwsSolutions-SQS3', 'Serverless-SQSRedrivePolicy'].map((ruleId) => ({
        id: ruleId,
        reason:
          "This queue is itself the on-failure destination of the outbox relay's stream event source mapping; nothing consumes it but an operator replaying the failed records, so it needs no dead-letter queue of its own.",
      })),
    );
    ServiceAlarms.of(this)?.watchQueue(this.deadLetterQueue, 'outbox-relay-dlq', {
      meaning:
        'outbox events failed every retry, or were still failing an hour after they were committed: their timers, emails or domain events did not happen. The message holds the stream batch (DDBStreamBatchInfo: stream, shard, first and last sequence number), not the events.',
      action:
        'find the failure in the outbox relay\'s logs (level ERROR, "Outbox event failed", with eventId and claimId) and fix its cause; then replay the batch into the relay: within 24 hours read its records from the stream (get-shard-iterator AT_SEQUENCE_NUMBER, get-records), later take the claim\'s outbox items from the table (kept 7 days), and invoke the relay with them as {"Records": [...]} (README, "The outbox relay\'s dead-letter queue"). Replays are safe: every effect is idempotent. Then delete the message.',
    });

    this.function = new ServiceFunction(this, 'Function', {
      entryName: 'outbox-relay',
      description: 'CPOR claims outbox relay: claim timers, emails and domain events from the table stream',
      logRetention: props.logRetention,
      // A batch of 10 records, each a few AWS calls with the SDK's retries.
      timeout: Duration.seconds(60),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      environment: {
        PUBLIC_BASE_URL: props.publicBaseUrl,
        ...(props.portalUrl !== undefined && { PORTAL_URL: props.portalUrl }),
        BUSINESS_CALENDAR_TIME_ZONE: props.timeZone,
      },
    });
    const fn = this.function;
    // Email-ledger items (conditional Put, Delete on a failed send) and consent-token items
    // (Put); the relay reads nothing from the table but its stream.
    fn.useTable(props.table, ['dynamodb:PutItem', 'dynamodb:DeleteItem'], 'TABLE_NAME', []);
    fn.useStateMachine(props.timerStateMachine);
    // A final claim's documents: list its prefix, tag each object (the final-claims rule).
    fn.useBucket(props.documentsBucket, [{ prefix: DOCUMENT_PREFIX, actions: ['s3:PutObjectTagging'] }]);
    Grant.addToPrincipal({
      grantee: fn,
      actions: ['s3:ListBucket'],
      resourceArns: [props.documentsBucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': `${DOCUMENT_PREFIX}*` } },
    });
    fn.useEventBus(props.eventBus);
    fn.useEmailIdentity({
      identity: props.emailIdentity,
      sender: props.senderAddress,
      ...(props.emailConfigurationSet && { configurationSet: props.emailConfigurationSet }),
    });
    fn.useSecret(props.consentSecret, 'CONSENT_SECRET_ARN');
    Validations.of(fn).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        "Invoked by a DynamoDB stream event source mapping, whose own on-failure destination (this construct's DeadLetters queue) receives failed batches; a function dead-letter queue only serves asynchronous invocations.",
    });

    this.eventSource = new DynamoEventSource(props.table, {
      // From the oldest record the stream still holds (24 hours): outbox events committed before
      // this mapping existed (first deploy, or a redeploy of this stack) are relayed, not lost.
      // Replaying ones already relayed is harmless: every effect is idempotent.
      startingPosition: StartingPosition.TRIM_HORIZON,
      batchSize: props.batchSize ?? 10,
      // One batch per shard at a time: the records of a claim (one partition key, one shard) are
      // relayed in commit order.
      parallelizationFactor: 1,
      reportBatchItemFailures: true,
      bisectBatchOnError: true,
      retryAttempts: props.retryAttempts ?? -1,
      maxRecordAge: props.maxRecordAge ?? Duration.hours(1),
      onFailure: sendOnlyDestination(this.deadLetterQueue),
      filters: [FilterCriteria.filter(OUTBOX_RECORD_FILTER)],
    });
    fn.function.addEventSource(this.eventSource);
    ServiceAlarms.of(this)?.watchStreamConsumer(fn, 'outbox-relay');
  }
}

/**
 * The stream mapping's on-failure destination: Lambda sends the failed batch's record with the
 * function's role, which needs `sqs:SendMessage` on the queue and nothing else (CDK's `SqsDlq`
 * also grants `GetQueueAttributes` and `GetQueueUrl`, which nothing calls).
 */
function sendOnlyDestination(queue: Queue): IEventSourceDlq {
  return {
    bind(_target, targetHandler) {
      Grant.addToPrincipal({
        grantee: targetHandler,
        actions: ['sqs:SendMessage'],
        resourceArns: [queue.queueArn],
      });
      return { destination: queue.queueArn };
    },
  };
}
