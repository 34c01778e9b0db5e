/**
 * The upload verifier: the `verify-upload` Lambda, subscribed to the PoE bucket's S3 event
 * notifications for the upload prefix (object created; object tagged too, when GuardDuty's
 * scan result gates availability), with a dead-letter queue for events that fail every retry.
 */
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { EventType, type IBucket } from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DOCUMENT_PREFIX, UPLOAD_PREFIX } from '../../functions/storage-layout/document-object-keys.js';
import { ServiceAlarms } from './service-alarms.js';
import { ServiceFunction } from './service-function.js';

export interface UploadVerifierProps {
  /** The PoE bucket, imported from the stateful stack (`Bucket.fromBucketAttributes`). */
  readonly bucket: IBucket;
  /** The claims table: document records, counters and history. */
  readonly table: ITableV2;
  readonly logRetention: RetentionDays;
  /** The document policy's variables (`documentPolicyEnvironment`). */
  readonly documentPolicyEnvironment: Readonly<Record<string, string>>;
  /**
   * Wait for GuardDuty's `GuardDutyMalwareScanStatus` tag before a document becomes available.
   *
   * @default false
   */
  readonly malwareScanning?: boolean;
  /**
   * Reserved concurrency (`reservedConcurrency["verify-upload"]` of the stage).
   *
   * @default - none: the function shares the account's unreserved pool
   */
  readonly reservedConcurrentExecutions?: number;
}

export class UploadVerifier extends Construct {
  readonly function: ServiceFunction;
  /** Events whose verification failed after Lambda's two retries. */
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: UploadVerifierProps) {
    super(scope, id);
    const malwareScanning = props.malwareScanning ?? false;

    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge(
      ...['AwsSolutions-SQS3', 'Serverless-SQSRedrivePolicy'].map((id) => ({
        id,
        reason:
          'This queue is itself the dead-letter queue of the verify-upload Lambda (its DeadLetterConfig); nothing consumes it but an operator redriving events, so it needs no dead-letter queue of its own.',
      })),
    );
    ServiceAlarms.of(this)?.watchQueue(this.deadLetterQueue, 'verify-upload-dlq');

    this.function = new ServiceFunction(this, 'Function', {
      entryName: 'verify-upload',
      description:
        'CPOR claims: verifies PoE uploads (size, type from the bytes, malware scan) and promotes them',
      logRetention: props.logRetention,
      // Reading a 25 MB upload and writing its checked bytes back takes about a second; DynamoDB and S3 retries more.
      timeout: Duration.seconds(60),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      deadLetterQueue: this.deadLetterQueue,
      environment: {
        ...props.documentPolicyEnvironment,
        MALWARE_SCANNING: String(malwareScanning),
      },
    });
    // Document items, the claim's counters and history head: Get, and Put/Update in its
    // transactions; no index, no delete.
    this.function.useTable(
      props.table,
      ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      'TABLE_NAME',
      [],
    );
    this.function.useBucket(props.bucket, [
      {
        prefix: UPLOAD_PREFIX,
        actions: [
          's3:GetObject',
          's3:DeleteObject',
          ...(malwareScanning ? (['s3:GetObjectTagging'] as const) : []),
        ],
        // A duplicate or late event finds the upload gone: 404 (resolved, nothing to do), not a
        // 403 that fails the event into retries and the dead-letter queue.
        listKeys: true,
      },
      // The verified copy; the verifier never reads or deletes a verified document.
      { prefix: DOCUMENT_PREFIX, actions: ['s3:PutObject'] },
    ]);

    // The bucket lives in the stateful stack and arrives imported: its notification
    // configuration is set from this stack (through CDK's notifications custom resource, which
    // keeps notifications it did not create, such as GuardDuty's EventBridge setting), so the
    // stateful stack never depends on this one.
    const { bucket } = props;
    const destination = new LambdaDestination(this.function.function);
    bucket.addEventNotification(EventType.OBJECT_CREATED, destination, { prefix: UPLOAD_PREFIX });
    if (malwareScanning) {
      // GuardDuty tags the object after the upload: that tag is the moment it can become available.
      bucket.addEventNotification(EventType.OBJECT_TAGGING_PUT, destination, { prefix: UPLOAD_PREFIX });
    }
    acknowledgeNotificationsHandler(this);
  }
}

/** The id of CDK's singleton Lambda behind bucket notifications (`aws-s3` notifications-resource). */
const NOTIFICATIONS_HANDLER_ID = 'BucketNotificationsHandler050a0587b7544547bf325f094a3db834';

/**
 * CDK's notifications handler is an inline Python function of its own that only calls
 * PutBucketNotificationConfiguration during deployments; its role comes with the AWS managed
 * basic-execution policy. Acknowledged where it is created, with the reason.
 */
function acknowledgeNotificationsHandler(scope: Construct): void {
  const handler = Stack.of(scope).node.tryFindChild(NOTIFICATIONS_HANDLER_ID);
  if (!handler) throw new Error(`${scope.node.path}: CDK's bucket notifications handler was not found.`);
  Validations.of(handler).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason:
      "CDK's own bucket-notifications custom resource (a deployment-time function, not service code) attaches AWSLambdaBasicExecutionRole to its role; it only writes its own logs with it.",
  });
}
