/**
 * The PoE bucket with its defaults fixed once: private (public access blocked, bucket-owner
 * objects, TLS only), encrypted, versioned, retained, CORS only for the portals' browser
 * uploads, server access logs, lifecycle rules for abandoned uploads and old versions, and
 * optionally GuardDuty Malware Protection for S3 on the upload prefix. The key layout is
 * `functions/storage-layout/document-object-keys.ts`.
 */
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { CfnMalwareProtectionPlan } from 'aws-cdk-lib/aws-guardduty';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  HttpMethods,
  ObjectOwnership,
  StorageClass,
} from 'aws-cdk-lib/aws-s3';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import { Construct } from 'constructs';
import {
  ABANDONED_UPLOAD_DAYS,
  DOCUMENT_PREFIX,
  FINAL_CLAIM_TAG,
  UPLOAD_PREFIX,
} from '../../functions/storage-layout/document-object-keys.js';

export interface DocumentsBucketProps {
  /** Browser origins of the portals: the only ones CORS lets POST uploads (and read downloads). */
  readonly portalOrigins: readonly string[];

  /**
   * Scan every upload with GuardDuty Malware Protection for S3, which tags it with the result
   * (`GuardDutyMalwareScanStatus`); the verifier then waits for a clean tag. Billed per GB
   * scanned.
   *
   * @default false
   */
  readonly malwareScanning?: boolean;

  /**
   * Days a deleted or overwritten verified document stays recoverable as a noncurrent version.
   *
   * @default 90
   */
  readonly noncurrentVersionDays?: number;

  /**
   * What happens to a final claim's documents (tagged `FINAL_CLAIM_TAG` by the outbox relay when
   * the claim becomes final), counted from their upload as S3 lifecycle rules count.
   *
   * @default DEFAULT_FINAL_CLAIM_RETENTION
   */
  readonly finalClaimRetention?: FinalClaimRetention;

  /**
   * Days the server access logs are kept.
   *
   * @default 365
   */
  readonly accessLogDays?: number;
}

/** The final-claim retention of PoE objects (see `DocumentsBucketProps.finalClaimRetention`). */
export interface FinalClaimRetention {
  /** Days after upload a final claim's document moves to Glacier Instant Retrieval (still downloadable at once). */
  readonly archiveAfterDays: number;
  /** Days after upload a final claim's document is deleted (its noncurrent version goes after `noncurrentVersionDays`). */
  readonly expireAfterDays: number;
}

/** Glacier Instant Retrieval after 90 days, deleted after 2,557 days (7 years). */
export const DEFAULT_FINAL_CLAIM_RETENTION: FinalClaimRetention = {
  archiveAfterDays: 90,
  expireAfterDays: 2557,
};

/** Where the PoE bucket's access logs go in the log bucket. */
const ACCESS_LOG_PREFIX = 'documents/';

/** What GuardDuty calls the object it writes to check its access when the plan is created. */
const GUARDDUTY_VALIDATION_OBJECT = 'malware-protection-resource-validation-object';

export class DocumentsBucket extends Construct {
  readonly bucket: Bucket;
  /** Server access logs of `bucket`. */
  readonly accessLogs: Bucket;
  /** Present when `malwareScanning` is on. */
  readonly malwareProtectionPlan?: CfnMalwareProtectionPlan;

  constructor(scope: Construct, id: string, props: DocumentsBucketProps) {
    super(scope, id);

    this.accessLogs = new Bucket(this, 'AccessLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      // The S3 logging service delivers with bucket-owner-enforced ownership and SSE-S3 only.
      encryption: BucketEncryption.S3_MANAGED,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      lifecycleRules: [{ id: 'expire-logs', expiration: Duration.days(props.accessLogDays ?? 365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This is the access-log bucket of the PoE bucket; logging its own access would need a further bucket without adding evidence (CloudTrail records its management events).',
    });

    const retention = props.finalClaimRetention ?? DEFAULT_FINAL_CLAIM_RETENTION;
    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // SSE-S3: GuardDuty, the presigned URLs and the Lambdas need no KMS key grants.
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      cors: [
        {
          // Browsers POST the presigned form (multipart, a CORS-simple request) and may fetch
          // a download link; nothing else is reachable from a page.
          allowedMethods: [HttpMethods.POST, HttpMethods.GET, HttpMethods.HEAD],
          allowedOrigins: [...props.portalOrigins],
          allowedHeaders: ['content-type'],
          exposedHeaders: ['ETag'],
          maxAge: 3600,
        },
      ],
      lifecycleRules: [
        {
          // The verifier deletes every upload within seconds; one still here failed verification
          // for good (its event sits in the dead-letter queue) and is not worth keeping.
          id: 'abandoned-uploads',
          prefix: UPLOAD_PREFIX,
          expiration: Duration.days(ABANDONED_UPLOAD_DAYS),
          noncurrentVersionExpiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
        {
          id: 'noncurrent-documents',
          prefix: DOCUMENT_PREFIX,
          noncurrentVersionExpiration: Duration.days(props.noncurrentVersionDays ?? 90),
        },
        {
          // Documents of final claims: evidence only, rarely read, then gone (issue 16).
          // Glacier Instant Retrieval keeps presigned downloads working without a restore.
          id: 'final-claims',
          prefix: DOCUMENT_PREFIX,
          tagFilters: { [FINAL_CLAIM_TAG.key]: FINAL_CLAIM_TAG.value },
          transitions: [
            {
              storageClass: StorageClass.GLACIER_INSTANT_RETRIEVAL,
              transitionAfter: Duration.days(retention.archiveAfterDays),
            },
          ],
          expiration: Duration.days(retention.expireAfterDays),
        },
        { id: 'expired-delete-markers', expiredObjectDeleteMarker: true },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.logAccessTo(this.accessLogs);
    if (props.malwareScanning) this.malwareProtectionPlan = this.protectUploads();
  }

  /**
   * Server access logging with a bucket policy for the logging service (what AWS recommends
   * over the log-delivery ACL, which bucket-owner-enforced ownership forbids).
   */
  private logAccessTo(logs: Bucket): void {
    logs.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('logging.s3.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [logs.arnForObjects(`${ACCESS_LOG_PREFIX}*`)],
        conditions: {
          ArnLike: { 'aws:SourceArn': this.bucket.bucketArn },
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
        },
      }),
    );
    (this.bucket.node.defaultChild as CfnBucket).loggingConfiguration = {
      destinationBucketName: logs.bucketName,
      logFilePrefix: ACCESS_LOG_PREFIX,
    };
  }

  /**
   * GuardDuty Malware Protection for S3 on the upload prefix, tagging each scanned object. Its
   * role has what GuardDuty documents for a protected bucket: its managed EventBridge rule, the
   * bucket's EventBridge notifications, reading and tagging objects under the prefix, and
   * writing its validation object.
   */
  private protectUploads(): CfnMalwareProtectionPlan {
    const stack = Stack.of(this);
    const role = new Role(this, 'MalwareProtectionRole', {
      assumedBy: new ServicePrincipal('malware-protection-plan.guardduty.amazonaws.com'),
      description: 'GuardDuty Malware Protection for S3: scans and tags PoE uploads',
    });
    const managedRule = stack.formatArn({
      service: 'events',
      resource: 'rule',
      resourceName: 'DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*',
    });
    role.addToPolicy(
      new PolicyStatement({
        actions: ['events:PutRule', 'events:DeleteRule', 'events:PutTargets', 'events:RemoveTargets'],
        resources: [managedRule],
        conditions: { StringLike: { 'events:ManagedBy': 'malware-protection-plan.guardduty.amazonaws.com' } },
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        actions: ['events:DescribeRule', 'events:ListTargetsByRule'],
        resources: [managedRule],
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        actions: ['s3:PutBucketNotification', 's3:GetBucketNotification'],
        resources: [this.bucket.bucketArn],
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        actions: [
          's3:GetObject',
          's3:GetObjectVersion',
          's3:GetObjectTagging',
          's3:GetObjectVersionTagging',
          's3:PutObjectTagging',
          's3:PutObjectVersionTagging',
        ],
        resources: [this.bucket.arnForObjects(`${UPLOAD_PREFIX}*`)],
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(GUARDDUTY_VALIDATION_OBJECT)],
      }),
    );
    // cdk-nag names each wildcard finding by its flattened resource.
    const finding = (arn: string) =>
      `AwsSolutions-IAM5[Resource::${flattenCfnReference(stack.resolve(arn))}]`;
    Validations.of(role).acknowledge(
      {
        id: finding(managedRule),
        reason:
          'GuardDuty creates and names its managed EventBridge rule itself, with a suffix of its own (DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*); the grant is limited to rules managed by GuardDuty.',
      },
      {
        id: finding(this.bucket.arnForObjects(`${UPLOAD_PREFIX}*`)),
        reason:
          'GuardDuty must read and tag every object under the upload prefix, whose keys are chosen at run time; nothing outside the prefix is granted.',
      },
    );
    const plan = new CfnMalwareProtectionPlan(this, 'MalwareProtectionPlan', {
      role: role.roleArn,
      protectedResource: {
        s3Bucket: { bucketName: this.bucket.bucketName, objectPrefixes: [UPLOAD_PREFIX] },
      },
      actions: { tagging: { status: 'ENABLED' } },
    });
    // The plan validates its access when created: the role's policy must exist by then.
    plan.node.addDependency(role);
    return plan;
  }
}
