/**
 * What makes a plain `cdk deploy` safe: example values cannot ship unless a stage says it is a
 * demo, a deleted stateful stack can be created again (nothing retained carries a fixed name),
 * and the event archive is declared the way every region accepts.
 */
import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { InvalidStageConfigError, placeholderReason } from '../../infra/config.js';
import { createServiceApp } from '../../infra/service-app.js';
import { buildServiceApp, configuredStages, shippedCdkJsonContext } from './service-app-fixture.js';

/** Builds a stage from the shipped `cdk.json` as `cdk synth` would (no bundling). */
function synthShipped(stage: string, stages?: Record<string, unknown>) {
  const context = shippedCdkJsonContext();
  return createServiceApp({
    appProps: {
      context: {
        ...context,
        ...(stages && { stages }),
        stage,
        'aws:cdk:bundling-stacks': [],
      },
    },
    nag: false,
  });
}

const shippedStages = shippedCdkJsonContext().stages as Record<string, Record<string, unknown>>;

describe('placeholders cannot ship', () => {
  it('fails the shipped prod stage, naming every key that is still an example', () => {
    let message = '';
    try {
      synthShipped('prod');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidStageConfigError);
      message = (error as Error).message;
    }
    for (const key of [
      'jwtIssuer',
      'jwtAudience.0',
      'portalOrigins.0',
      'portalOrigins.1',
      'portalUrl',
      'senderAddress',
      'customDomain.domainName',
      'customDomain.hostedZone.id',
      'customDomain.hostedZone.name',
      'alarmEmail',
    ]) {
      expect(message).toContain(`stages.prod.${key}: `);
    }
    expect(message).toMatch(/mark the stage "demo": true/);
  });

  it('runs the shipped dev stage, which says it is a demo', () => {
    expect(shippedStages.dev?.demo).toBe(true);
    expect(synthShipped('dev').stage).toBe('dev');
  });

  it('fails the dev stage without its demo mark', () => {
    const { demo: _, ...dev } = shippedStages.dev ?? {};
    expect(() => synthShipped('dev', { ...shippedStages, dev })).toThrow(
      /stages\.dev\.senderAddress: is an example value \(dev\.claims\.example\.com is reserved for documentation\)/,
    );
  });

  it.each([
    ['https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0', /all-zero/],
    ['https://cognito-idp.us-east-1.amazonaws.com/us-east-1_EXAMPLEdev', /EXAMPLE/],
    ['no-reply@claims.example.org', /example\.org is reserved/],
    ['https://portal.test', /portal\.test is reserved/],
    ['claims.example', /claims\.example is reserved/],
  ])('recognises %s as an example value', (value, reason) => {
    expect(placeholderReason(value)).toMatch(reason);
  });

  it.each([
    'https://login.microsoftonline.com/3f0d6b2a-8c4e-4d1f-9a7b-2e5c1d0f4a86/v2.0',
    'no-reply@claims.cpor-claims.net',
    'https://review.examples.com',
    'America/Los_Angeles',
  ])('accepts %s as a real value', (value) => {
    expect(placeholderReason(value)).toBeUndefined();
  });
});

describe('Entra ID v2.0 audience', () => {
  it('must be the client id GUID, which v2.0 access tokens carry as aud', () => {
    const context = shippedCdkJsonContext();
    const build = () =>
      buildServiceApp('prod', {
        context: {
          stages: {
            ...(context.stages as object),
            prod: { ...shippedStages.prod, demo: true, jwtAudience: ['api://cpor-claims'] },
          },
        },
      });
    expect(build).toThrow(
      /stages\.prod\.jwtAudience\.0: must be the API app registration's Application \(client\) ID/,
    );
  });
});

/** Properties that give a resource a fixed physical name. */
const NAME_PROPERTIES = [
  'Name',
  'TableName',
  'BucketName',
  'LogGroupName',
  'QueueName',
  'TopicName',
  'FunctionName',
  'RoleName',
  'StateMachineName',
  'ArchiveName',
  'EmailIdentity',
  'ConfigurationSetName',
  'DashboardName',
  'AlarmName',
  'SecretName',
];

describe.each(configuredStages())('resource names of the %s stage', (stage) => {
  const built = buildServiceApp(stage);
  const resourcesOf = (stack: Stack) =>
    Object.entries(
      Template.fromStack(stack).toJSON().Resources as Record<
        string,
        { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string }
      >,
    );
  const all = [...resourcesOf(built.stateful), ...resourcesOf(built.stateless)];

  it('retains nothing under a fixed name, so a deleted stack can be created again', () => {
    const retainedNamed = all
      .filter(([, r]) => r.DeletionPolicy === 'Retain')
      .flatMap(([id, r]) =>
        NAME_PROPERTIES.filter((p) => typeof r.Properties?.[p] === 'string').map((p) => `${id}.${p}`),
      );
    expect(retainedNamed).toEqual([]);
  });

  it('names every fixed-name resource after its stage', () => {
    // DNS names are the configuration's own; an authorizer's name is local to its API.
    const exempt = new Set(['AWS::ApiGatewayV2::Authorizer', 'AWS::Route53::RecordSet']);
    const fixed = all.flatMap(([id, r]) =>
      ['Name', 'ConfigurationSetName', 'DashboardName', 'AlarmName']
        .filter((p) => typeof r.Properties?.[p] === 'string' && !exempt.has(r.Type))
        .map((p) => ({ id, value: r.Properties?.[p] as string })),
    );
    expect(fixed.length).toBeGreaterThan(0);
    expect(fixed.filter((f) => !f.value.includes(`cpor-claims-${stage}`))).toEqual([]);
  });

  it('declares the event archive without an empty KmsKeyIdentifier (aws/aws-cdk#37847)', () => {
    const archives = all.filter(([, r]) => r.Type === 'AWS::Events::Archive');
    expect(archives).toHaveLength(1);
    expect(archives[0]?.[1].Properties).not.toHaveProperty('KmsKeyIdentifier');
  });
});
