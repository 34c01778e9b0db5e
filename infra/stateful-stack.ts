/**
 * The resources that hold data and must survive any redeploy of the code: the single table,
 * the PoE bucket, the domain event bus (and its archive), the SES identity and configuration
 * set, and the HMAC keys. Nothing here depends on the stateless stack.
 */
import { CfnOutput, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import {
  type Attribute,
  AttributeType,
  Billing,
  ProjectionType,
  StreamViewType,
  TableV2,
} from 'aws-cdk-lib/aws-dynamodb';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { BucketAttributes, IBucket } from 'aws-cdk-lib/aws-s3';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import {
  IDEMPOTENCY_TABLE,
  INDEXES,
  KEY,
  KEY_ATTRIBUTE_TYPE,
  TTL_ATTRIBUTE,
} from '../functions/storage-layout/table-schema.js';
import { DocumentsBucket, type FinalClaimRetention } from './constructs/documents-bucket.js';
import { DomainEventBus } from './constructs/domain-event-bus.js';
import { PartnerUserPool } from './constructs/partner-user-pool.js';
import { ServiceEmail } from './constructs/service-email.js';

const ATTRIBUTE_TYPES = { S: AttributeType.STRING } as const satisfies Record<
  typeof KEY_ATTRIBUTE_TYPE,
  AttributeType
>;

function keyAttribute(name: string): Attribute {
  return { name, type: ATTRIBUTE_TYPES[KEY_ATTRIBUTE_TYPE] };
}

export interface StatefulStackProps extends StackProps {
  /** Deployment stage, e.g. `dev` or `prod`; part of resource descriptions. */
  readonly stage: string;
  /** Browser origins of the portals, allowed by the PoE bucket's CORS for uploads. */
  readonly portalOrigins: readonly string[];
  /**
   * GuardDuty Malware Protection for S3 on PoE uploads.
   *
   * @default false
   */
  readonly malwareScanning?: boolean;
  /**
   * Archive and deletion of final claims' documents.
   *
   * @default DEFAULT_FINAL_CLAIM_RETENTION
   */
  readonly finalClaimRetention?: FinalClaimRetention;
  /** The address the service's emails come from; its domain becomes the SES identity. */
  readonly senderAddress: string;
  /**
   * Create a Cognito user pool for the portals (see `PartnerUserPool`).
   *
   * @default - none: the stage trusts an external identity provider
   */
  readonly cognito?: { readonly callbackUrls: readonly string[]; readonly logoutUrls?: readonly string[] };
  /** Retention of the log groups created here (the Cognito trigger's). */
  readonly logRetention: RetentionDays;
}

export class StatefulStack extends Stack {
  /** The single table of `functions/storage-layout/table-schema.ts`: claims, history, documents, outbox. */
  readonly table: TableV2;
  /** Powertools idempotency records of `Idempotency-Key` POSTs (expire after a day via TTL). */
  readonly idempotencyTable: TableV2;
  /** HMAC key of the tamper-proof list cursors. */
  readonly cursorSecret: ISecret;
  /** The PoE files: uploads under `uploads/`, verified documents under `claims/`. */
  readonly documentsBucket: IBucket;
  /**
   * The PoE bucket as the stateless stack imports it, through exports with fixed names: its
   * IAM grants then name the same resources in every synth, which their cdk-nag
   * acknowledgements (keyed by the resource) rely on.
   */
  readonly documentsBucketExports: Required<Pick<BucketAttributes, 'bucketArn' | 'bucketName'>>;
  /** Domain events for other systems, archived for replays. */
  readonly eventBus: DomainEventBus;
  /** The sender's SES domain identity and the configuration set of every email. */
  readonly email: ServiceEmail;
  /** HMAC key the customers' consent (opt-out) tokens are derived from. */
  readonly consentSecret: ISecret;
  /** The stage's Cognito user pool, when it asks for one. */
  readonly partnerUserPool?: PartnerUserPool;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);

    this.table = new TableV2(this, 'ClaimsTable', {
      partitionKey: keyAttribute(KEY.partition),
      sortKey: keyAttribute(KEY.sort),
      billing: Billing.onDemand(),
      globalSecondaryIndexes: Object.entries(INDEXES).map(([indexName, keys]) => ({
        indexName,
        partitionKey: keyAttribute(keys.partition),
        sortKey: keyAttribute(keys.sort),
        projectionType: ProjectionType.ALL,
      })),
      timeToLiveAttribute: TTL_ATTRIBUTE,
      // The outbox relay reads the stream; both images let it see what a transition changed.
      dynamoStream: StreamViewType.NEW_AND_OLD_IMAGES,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.idempotencyTable = new TableV2(this, 'IdempotencyTable', {
      partitionKey: keyAttribute(IDEMPOTENCY_TABLE.partition),
      billing: Billing.onDemand(),
      timeToLiveAttribute: IDEMPOTENCY_TABLE.ttl,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Records live a day; losing them on a stack deletion only re-enables retries.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.documentsBucket = new DocumentsBucket(this, 'Documents', {
      portalOrigins: props.portalOrigins,
      malwareScanning: props.malwareScanning ?? false,
      ...(props.finalClaimRetention && { finalClaimRetention: props.finalClaimRetention }),
    }).bucket;
    this.documentsBucketExports = {
      bucketArn: this.exportValue(this.documentsBucket.bucketArn, {
        name: `${this.stackName}:DocumentsBucketArn`,
      }),
      bucketName: this.exportValue(this.documentsBucket.bucketName, {
        name: `${this.stackName}:DocumentsBucketName`,
      }),
    };

    this.cursorSecret = new Secret(this, 'CursorSecret', {
      description: `cpor-claims ${props.stage}: HMAC key that signs list pagination cursors`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      // A lost key only invalidates cursors of pages being browsed; no data depends on it.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.cursorSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The secret is an HMAC key for short-lived pagination cursors, not a credential: rotating it needs no rotation Lambda (put a new random value; open cursors then fail with 400 and clients restart from the first page).',
    });

    this.consentSecret = new Secret(this, 'ConsentSecret', {
      description: `cpor-claims ${props.stage}: HMAC key the customers' consent (opt-out) link tokens are derived from`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      // Tokens are stored as hashes: links already sent stay valid without the key.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.consentSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The secret is an HMAC key that derives consent-link tokens, not a credential: rotating it needs no rotation Lambda (put a new random value). Issued tokens are stored hashed with their claim and window, so links already emailed keep working; only a consent email relayed again after the rotation carries a second, equally valid link.',
    });

    const name = `cpor-claims-${props.stage}`;
    this.eventBus = new DomainEventBus(this, 'DomainEvents', { eventBusName: name });
    this.email = new ServiceEmail(this, 'Email', {
      senderAddress: props.senderAddress,
      configurationSetName: name,
    });

    if (props.cognito) {
      this.partnerUserPool = new PartnerUserPool(this, 'Identity', {
        ...props.cognito,
        logRetention: props.logRetention,
      });
      new CfnOutput(this, 'UserPoolId', { value: this.partnerUserPool.userPool.userPoolId });
      new CfnOutput(this, 'PortalClientId', {
        description: 'App client of the portals (authorization code with PKCE)',
        value: this.partnerUserPool.portalClient.userPoolClientId,
      });
    }

    new CfnOutput(this, 'EventBusName', {
      description: 'EventBridge bus of the domain events (source cpor.claims): subscribe consumers here',
      value: this.eventBus.eventBus.eventBusName,
    });
    new CfnOutput(this, 'EventBusArn', {
      description: 'ARN of the domain event bus',
      value: this.eventBus.eventBus.eventBusArn,
    });
    this.email.identity.dkimRecords.forEach((record, index) => {
      new CfnOutput(this, `SenderDomainDkimRecord${index + 1}`, {
        description: `DKIM record ${index + 1} of 3 to publish in the DNS of ${this.email.senderDomain} (CNAME name and value); SES verifies the domain once all three resolve`,
        value: `${record.name} CNAME ${record.value}`,
      });
    });
  }
}
