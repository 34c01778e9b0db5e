import type { CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ABANDONED_UPLOAD_DAYS,
  DOCUMENT_PREFIX,
  FINAL_CLAIM_TAG,
} from '../../functions/storage-layout/document-object-keys.js';
import type { ServiceFunction } from '../../infra/constructs/service-function.js';
import { nagPacks, type ServiceApp } from '../../infra/service-app.js';
import { buildServiceApp, cdkJsonContext } from './service-app-fixture.js';

const STAGE = 'prod';
const stages = cdkJsonContext().stages as Record<string, Record<string, unknown>>;

/** The prod stage with `documents` set (or left out). */
function build(documents?: Record<string, unknown>): ServiceApp {
  const prod = { ...stages[STAGE], ...(documents && { documents }) };
  return buildServiceApp(STAGE, { context: { stages: { ...stages, [STAGE]: prod } } });
}

function logicalId(stack: Stack, construct: IConstruct): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/** Every statement of the policies attached to a function's role. */
function statementsOf(template: Template, stack: Stack, fn: ServiceFunction): Statement[] {
  const role = logicalId(stack, fn.role);
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: role }]))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

/** `action → resource` pairs of the S3 statements, resources rendered as text. */
function s3Grants(statements: Statement[]): string[] {
  return statements
    .flatMap((s) => [s.Action].flat().map((action) => ({ action, resource: JSON.stringify(s.Resource) })))
    .filter((g) => g.action.startsWith('s3:'))
    .map(
      (g) =>
        `${g.action} ${g.resource.includes('/uploads/*') ? 'uploads/*' : g.resource.includes('/claims/*') ? 'claims/*' : g.resource}`,
    )
    .sort();
}

describe('PoE bucket (stateful stack)', () => {
  let built: ServiceApp;
  let template: Template;
  let bucketId: string;

  beforeAll(() => {
    built = build();
    template = Template.fromStack(built.stateful);
    bucketId = logicalId(built.stateful, built.stateful.documentsBucket);
  }, 60_000);

  const bucket = () => template.toJSON().Resources[bucketId] as { Properties: Record<string, unknown> };

  it('is private, bucket-owner only, encrypted, versioned and retained', () => {
    expect(bucket().Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      VersioningConfiguration: { Status: 'Enabled' },
    });
    template.hasResource('AWS::S3::Bucket', {
      Properties: Match.objectLike({ VersioningConfiguration: { Status: 'Enabled' } }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('refuses requests without TLS (1.2 or newer)', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
        ]),
      },
    });
  });

  it('allows browser uploads (POST) and downloads only from the portal origins', () => {
    expect(bucket().Properties.CorsConfiguration).toEqual({
      CorsRules: [
        {
          AllowedMethods: ['POST', 'GET', 'HEAD'],
          AllowedOrigins: built.config.portalOrigins,
          AllowedHeaders: ['content-type'],
          ExposedHeaders: ['ETag'],
          MaxAge: 3600,
        },
      ],
    });
  });

  it('expires abandoned uploads and old versions, keeping verified documents', () => {
    const rules = (bucket().Properties.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
    expect(rules).toContainEqual(
      expect.objectContaining({
        Id: 'abandoned-uploads',
        Prefix: 'uploads/',
        ExpirationInDays: ABANDONED_UPLOAD_DAYS,
        NoncurrentVersionExpiration: { NoncurrentDays: 1 },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
        Status: 'Enabled',
      }),
    );
    expect(rules).toContainEqual(
      expect.objectContaining({
        Id: 'noncurrent-documents',
        Prefix: 'claims/',
        NoncurrentVersionExpiration: { NoncurrentDays: 90 },
      }),
    );
    // A current verified document expires only once its claim is final (tagged by the relay).
    expect(
      rules.filter((r) => r.ExpirationInDays !== undefined && !r.TagFilters).map((r) => r.Prefix),
    ).toEqual(['uploads/']);
  });

  it("archives final claims' documents to Glacier Instant Retrieval after 90 days, deletes them after 7 years", () => {
    const rules = (bucket().Properties.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
    expect(rules.find((r) => r.Id === 'final-claims')).toEqual({
      Id: 'final-claims',
      Prefix: DOCUMENT_PREFIX,
      TagFilters: [{ Key: FINAL_CLAIM_TAG.key, Value: FINAL_CLAIM_TAG.value }],
      Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 90 }],
      ExpirationInDays: 2557,
      Status: 'Enabled',
    });
  });

  it('takes the final-claim retention from the stage configuration, and refuses a deletion before the archive', () => {
    const custom = build({ finalClaimRetention: { archiveAfterDays: 30, expireAfterDays: 3653 } });
    const rules = Template.fromStack(custom.stateful).findResources('AWS::S3::Bucket', {
      Properties: { VersioningConfiguration: { Status: 'Enabled' } },
    });
    const finalRule = Object.values(rules)
      .flatMap(
        (r) =>
          (r as { Properties: { LifecycleConfiguration: { Rules: Record<string, unknown>[] } } }).Properties
            .LifecycleConfiguration.Rules,
      )
      .find((r) => r.Id === 'final-claims');
    expect(finalRule).toMatchObject({
      Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 30 }],
      ExpirationInDays: 3653,
    });
    expect(() => build({ finalClaimRetention: { archiveAfterDays: 400, expireAfterDays: 365 } })).toThrow(
      /expireAfterDays/,
    );
  });

  it('logs access to a private, encrypted log bucket that only the logging service writes', () => {
    const logging = bucket().Properties.LoggingConfiguration as { DestinationBucketName: { Ref: string } };
    const logsId = logging.DestinationBucketName.Ref;
    expect(template.toJSON().Resources[logsId]).toMatchObject({
      Type: 'AWS::S3::Bucket',
      DeletionPolicy: 'Retain',
      Properties: { PublicAccessBlockConfiguration: { BlockPublicAcls: true, RestrictPublicBuckets: true } },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logsId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Action: 's3:PutObject',
            Condition: Match.objectLike({
              ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [bucketId, 'Arn'] } },
            }),
          }),
        ]),
      },
    });
  });

  it('exports the bucket under fixed names for the stateless stack', () => {
    const outputs = Object.values(template.toJSON().Outputs as Record<string, { Export?: { Name: string } }>);
    expect(outputs.map((o) => o.Export?.Name)).toEqual(
      expect.arrayContaining([
        `${built.stateful.stackName}:DocumentsBucketArn`,
        `${built.stateful.stackName}:DocumentsBucketName`,
      ]),
    );
  });

  it('has no malware protection plan unless configured', () => {
    template.resourceCountIs('AWS::GuardDuty::MalwareProtectionPlan', 0);
  });
});

describe('upload verifier and bucket grants (stateless stack)', () => {
  let built: ServiceApp;
  let template: Template;

  beforeAll(() => {
    built = build({ maxSizeMiB: 10, maxPerClaim: 20, allowedContentTypes: ['application/pdf', 'image/png'] });
    template = Template.fromStack(built.stateless);
  }, 60_000);

  const verifier = () => built.stateless.uploadVerifier.function;
  const api = () => built.stateless.functions.get('api') as ServiceFunction;
  const resource = (fn: ServiceFunction) =>
    template.toJSON().Resources[logicalId(built.stateless, fn.function)] as {
      Properties: Record<string, unknown>;
    };

  it('runs the verify-upload entry like every function, with a dead-letter queue and a minute to finish', () => {
    const { Properties } = resource(verifier());
    expect(Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      Timeout: 60,
      DeadLetterConfig: {
        TargetArn: {
          'Fn::GetAtt': [logicalId(built.stateless, built.stateless.uploadVerifier.deadLetterQueue), 'Arn'],
        },
      },
    });
  });

  it('passes the bucket name, the table name and the stage document policy with the grants', () => {
    const policy = {
      DOCUMENT_ALLOWED_TYPES: 'application/pdf,image/png',
      DOCUMENT_MAX_BYTES: String(10 * 1024 * 1024),
      DOCUMENT_MAX_PER_CLAIM: '20',
    };
    const bucketName = { 'Fn::ImportValue': `${built.stateful.stackName}:DocumentsBucketName` };
    expect((resource(verifier()).Properties.Environment as { Variables: object }).Variables).toMatchObject({
      ...policy,
      MALWARE_SCANNING: 'false',
      DOCUMENTS_BUCKET_NAME: bucketName,
      TABLE_NAME: expect.anything(),
    });
    expect((resource(api()).Properties.Environment as { Variables: object }).Variables).toMatchObject({
      ...policy,
      DOCUMENTS_BUCKET_NAME: bucketName,
    });
  });

  it('subscribes the verifier to object-created events under uploads/ only', () => {
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { 'Fn::ImportValue': `${built.stateful.stackName}:DocumentsBucketName` },
      Managed: false,
      NotificationConfiguration: {
        LambdaFunctionConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'uploads/' }] } },
            LambdaFunctionArn: { 'Fn::GetAtt': [logicalId(built.stateless, verifier().function), 'Arn'] },
          },
        ],
      },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 's3.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [logicalId(built.stateless, verifier().function), 'Arn'] },
      SourceArn: { 'Fn::ImportValue': `${built.stateful.stackName}:DocumentsBucketArn` },
    });
  });

  it('lets each function touch only the prefix it needs', () => {
    expect(s3Grants(statementsOf(template, built.stateless, api()))).toEqual([
      's3:GetObject claims/*',
      's3:PutObject uploads/*',
    ]);
    const bucketArn = { 'Fn::ImportValue': `${built.stateful.stackName}:DocumentsBucketArn` };
    expect(s3Grants(statementsOf(template, built.stateless, verifier()))).toEqual([
      's3:DeleteObject uploads/*',
      's3:GetObject uploads/*',
      `s3:ListBucket ${JSON.stringify(bucketArn)}`,
      's3:PutObject claims/*',
    ]);
    // Listing only under uploads/: S3 then answers a missing upload with 404, not 403.
    expect(statementsOf(template, built.stateless, verifier())).toContainEqual(
      expect.objectContaining({
        Action: 's3:ListBucket',
        Resource: bucketArn,
        Condition: { StringLike: { 's3:prefix': 'uploads/*' } },
      }),
    );
    // The verifier only needs the table's items, no index.
    expect(JSON.stringify(statementsOf(template, built.stateless, verifier()))).not.toContain('/index/');
  });

  it('keeps a dead-letter queue encrypted and TLS-only, watched by an alarm', () => {
    const queueId = logicalId(built.stateless, built.stateless.uploadVerifier.deadLetterQueue);
    expect(template.toJSON().Resources[queueId]).toMatchObject({
      Type: 'AWS::SQS::Queue',
      Properties: { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 },
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
    });
  });
});

describe('with malware scanning', () => {
  let built: ServiceApp;

  beforeAll(() => {
    built = build({ malwareScanning: true });
  }, 60_000);

  it('protects the upload prefix with a GuardDuty plan that tags scanned objects', () => {
    const stateful = Template.fromStack(built.stateful);
    stateful.hasResourceProperties('AWS::GuardDuty::MalwareProtectionPlan', {
      ProtectedResource: {
        S3Bucket: {
          BucketName: { Ref: logicalId(built.stateful, built.stateful.documentsBucket) },
          ObjectPrefixes: ['uploads/'],
        },
      },
      Actions: { Tagging: { Status: 'ENABLED' } },
    });
    stateful.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({ Principal: { Service: 'malware-protection-plan.guardduty.amazonaws.com' } }),
        ],
      },
    });
  });

  it('also sends object-tagged events to the verifier, which may read the scan tag and waits for it', () => {
    const stateless = Template.fromStack(built.stateless);
    const verifier = built.stateless.uploadVerifier.function;
    const [notifications] = Object.values(stateless.findResources('Custom::S3BucketNotifications'));
    const configurations = notifications?.Properties.NotificationConfiguration
      .LambdaFunctionConfigurations as {
      Events: string[];
    }[];
    expect(configurations.map((c) => c.Events)).toEqual([['s3:ObjectCreated:*'], ['s3:ObjectTagging:Put']]);
    expect(s3Grants(statementsOf(stateless, built.stateless, verifier))).toContain(
      's3:GetObjectTagging uploads/*',
    );
    const fn = stateless.toJSON().Resources[logicalId(built.stateless, verifier.function)];
    expect(fn.Properties.Environment.Variables.MALWARE_SCANNING).toBe('true');
  });

  it('passes cdk-nag with the plan and its grants (every finding acknowledged with a reason)', () => {
    built.app.synth();
    const findings = nagPacks().flatMap((pack) =>
      pack
        .validateScope(built.app)
        .violations.map((v) => `${v.ruleName} at ${v.violatingResources[0]?.constructPath}`),
    );
    expect(findings).toEqual([]);
  });
});
