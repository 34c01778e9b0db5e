import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  IDEMPOTENCY_TABLE,
  INDEXES,
  KEY,
  TTL_ATTRIBUTE,
} from '../../functions/storage-layout/table-schema.js';
import type { ServiceApp } from '../../infra/service-app.js';
import { buildServiceApp } from './service-app-fixture.js';

let built: ServiceApp;
let template: Template;

beforeAll(() => {
  built = buildServiceApp('prod');
  template = Template.fromStack(built.stateful);
}, 60_000);

describe('stateful stack: the claims table', () => {
  it('is the claims table plus the idempotency table, nothing more', () => {
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 2);
  });

  it('keeps idempotency records in their own table keyed by id, expiring by TTL', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: IDEMPOTENCY_TABLE.partition, KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: IDEMPOTENCY_TABLE.ttl, Enabled: true },
    });
  });

  it('has the string keys of table-schema.ts, billed on demand', () => {
    const keyAttributes = [
      KEY.partition,
      KEY.sort,
      ...Object.values(INDEXES).flatMap((i) => [i.partition, i.sort]),
    ];
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: KEY.partition, KeyType: 'HASH' },
        { AttributeName: KEY.sort, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith(
        keyAttributes.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
      ),
    });
    const [table] = Object.values(template.findResources('AWS::DynamoDB::GlobalTable'));
    expect(table?.Properties.AttributeDefinitions).toHaveLength(new Set(keyAttributes).size);
  });

  it('has every index of table-schema.ts, projecting ALL, and no other', () => {
    const [table] = Object.values(template.findResources('AWS::DynamoDB::GlobalTable'));
    const indexes = table?.Properties.GlobalSecondaryIndexes as unknown[];
    expect(indexes).toHaveLength(Object.keys(INDEXES).length);
    for (const [indexName, keys] of Object.entries(INDEXES)) {
      expect(indexes).toContainEqual({
        IndexName: indexName,
        KeySchema: [
          { AttributeName: keys.partition, KeyType: 'HASH' },
          { AttributeName: keys.sort, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      });
    }
  });

  it('expires outbox items by TTL and streams both images', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
  });

  it('has point-in-time recovery and deletion protection', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      Replicas: [
        Match.objectLike({
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
        }),
      ],
    });
  });

  it('is retained when removed from the stack or replaced', () => {
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('is tagged with service and stage', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      Replicas: [
        Match.objectLike({
          Tags: Match.arrayWith([
            { Key: 'service', Value: 'cpor-claims' },
            { Key: 'stage', Value: 'prod' },
          ]),
        }),
      ],
    });
  });
});

describe('stateful stack: protection', () => {
  it('has termination protection', () => {
    expect(built.stateful.terminationProtection).toBe(true);
  });

  it('keeps the cursor HMAC key in a generated secret', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ PasswordLength: 64 }),
    });
  });
});
