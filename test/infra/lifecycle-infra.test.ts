/**
 * The cloud side of the claim lifecycle: the domain event bus, SES identity and configuration
 * set, consent secret (stateful stack); the claim timer, the outbox relay on the table stream,
 * their grants, configuration and alarms (stateless stack).
 */
import { readFileSync } from 'node:fs';
import { AssetStaging, type CfnElement, type Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { DynamoDBRecord } from 'aws-lambda';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { EVENT_SOURCE } from '../../functions/adapters/eventbridge-publisher.js';
import { consentEnvironment, relayEnvironment, timerEnvironment } from '../../functions/config.js';
import { outboxEventOf } from '../../functions/events/outbox-relay-handler.js';
import { DEADLINE_NOT_YET_DUE } from '../../functions/use-cases/expire-deadline.js';
import {
  CLAIM_TIMER_DEFINITION_FILE,
  EXPIRE_DEADLINE_FUNCTION_ARN_SUBSTITUTION,
  STATE_MACHINE_LOG_DELIVERY_ACTIONS,
} from '../../infra/constructs/claim-timer.js';
import type { ServiceFunction } from '../../infra/constructs/service-function.js';
import { SES_CONFIGURATION_SET_DIMENSION } from '../../infra/constructs/service-metrics.js';
import type { ServiceApp } from '../../infra/service-app.js';
import { buildServiceApp, cdkJsonContext } from './service-app-fixture.js';

// `prod` differs from `dev` in every value read here, so a value taken from the wrong place shows.
const STAGE = 'prod';
const NAME = `cpor-claims-${STAGE}`;

let built: ServiceApp;
let stateful: Template;
let stateless: Template;

beforeAll(() => {
  built = buildServiceApp(STAGE);
  stateful = Template.fromStack(built.stateful);
  stateless = Template.fromStack(built.stateless);
}, 60_000);

function logicalId(stack: Stack, construct: IConstruct): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

/** A stateful resource as the stateless stack imports it: `Ref` or `Fn::GetAtt` through an export. */
function imported(construct: IConstruct, attribute?: string) {
  const id = logicalId(built.stateful, construct);
  return { 'Fn::ImportValue': expect.stringContaining(attribute ? `FnGetAtt${id}${attribute}` : `Ref${id}`) };
}

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

/** Every statement of the policies attached to a role. */
function statementsOfRole(roleId: string): Statement[] {
  return Object.values(stateless.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

const statementsOf = (fn: ServiceFunction) => statementsOfRole(logicalId(built.stateless, fn.role));

/** `action → resource` pairs, one per action and resource. */
function grants(statements: Statement[]): { action: string; resource: unknown; condition?: unknown }[] {
  return statements.flatMap((s) =>
    [s.Action].flat().flatMap((action) =>
      [s.Resource].flat().map((resource) => ({
        action,
        resource,
        ...(s.Condition !== undefined && { condition: s.Condition }),
      })),
    ),
  );
}

/** The PoE bucket's ARN, imported under the stateful stack's fixed export name. */
const documentsBucketArn = { 'Fn::ImportValue': expect.stringContaining(':DocumentsBucketArn') };

/** The PoE bucket's objects under `prefix`, as CloudFormation joins the ARN. */
function documentsUnder(prefix: string) {
  return { 'Fn::Join': ['', [documentsBucketArn, `/${prefix}*`]] };
}

/** `arn:<partition>:states:<region>:<account>:execution:<machine name>:*`, as CloudFormation joins it. */
function executionsOf(machineName: unknown) {
  return {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':states:',
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        ':execution:',
        machineName,
        ':*',
      ],
    ],
  };
}

function resourceOf(stack: Stack, template: Template, construct: IConstruct) {
  return template.toJSON().Resources[logicalId(stack, construct)] as {
    Type: string;
    Properties: Record<string, unknown>;
    DeletionPolicy?: string;
    UpdateReplacePolicy?: string;
  };
}

const functionOf = (fn: ServiceFunction) => resourceOf(built.stateless, stateless, fn.function);
const environmentOf = (fn: ServiceFunction) =>
  (functionOf(fn).Properties.Environment as { Variables: Record<string, unknown> }).Variables;

/**
 * A function's environment as its Lambda would see it, with every value CloudFormation fills in
 * at deploy time (references, imports) replaced by an ARN-shaped stand-in.
 */
function deployedEnvironment(fn: ServiceFunction): Record<string, string> {
  return Object.fromEntries(
    Object.entries(environmentOf(fn)).map(([k, v]) => [
      k,
      typeof v === 'string' ? v : 'arn:aws:cloudformation:resolved-at-deploy',
    ]),
  );
}

function expectConfigAccepted(schema: z.ZodObject, fn: ServiceFunction): void {
  const result = schema.safeParse(deployedEnvironment(fn));
  expect(result.error?.issues ?? [], fn.node.path).toEqual([]);
}

describe('stateful stack: domain event bus', () => {
  it('is a bus named after the stage, deleted with the stack (a retained fixed name would collide)', () => {
    const bus = resourceOf(built.stateful, stateful, built.stateful.eventBus.eventBus);
    expect(bus).toMatchObject({ Type: 'AWS::Events::EventBus', Properties: { Name: NAME } });
    expect(bus.DeletionPolicy).toBe('Delete');
    stateful.resourceCountIs('AWS::Events::EventBus', 1);
  });

  it('archives every event the relay publishes (source cpor.claims) for a year, retained', () => {
    const archive = resourceOf(built.stateful, stateful, built.stateful.eventBus.archive);
    expect(archive).toMatchObject({
      Type: 'AWS::Events::Archive',
      Properties: {
        SourceArn: { 'Fn::GetAtt': [logicalId(built.stateful, built.stateful.eventBus.eventBus), 'Arn'] },
        EventPattern: { source: [EVENT_SOURCE] },
        RetentionDays: 365,
      },
      DeletionPolicy: 'Retain',
    });
  });

  it('outputs the bus name and ARN for consumers', () => {
    stateful.hasOutput('EventBusName', Match.anyValue());
    stateful.hasOutput('EventBusArn', Match.anyValue());
  });
});

describe('stateful stack: SES', () => {
  const senderDomain = () => built.config.senderAddress.split('@')[1];

  it("verifies the sender address's domain as a DKIM-signed identity, deleted with the stack", () => {
    const identity = resourceOf(built.stateful, stateful, built.stateful.email.identity);
    expect(senderDomain()).toBe('claims.cpor-claims.net');
    expect(identity).toMatchObject({
      Type: 'AWS::SES::EmailIdentity',
      Properties: {
        EmailIdentity: senderDomain(),
        ConfigurationSetAttributes: {
          ConfigurationSetName: { Ref: logicalId(built.stateful, built.stateful.email.configurationSet) },
        },
      },
      // Named by its domain: a retained identity would block re-creating the stack.
      DeletionPolicy: 'Delete',
    });
    expect(identity.Properties.DkimSigningAttributes ?? {}).not.toMatchObject({ SigningEnabled: false });
  });

  it('outputs the three DKIM CNAME records to publish in DNS', () => {
    for (const n of [1, 2, 3]) {
      stateful.hasOutput(`SenderDomainDkimRecord${n}`, {
        Value: Match.objectLike({ 'Fn::Join': Match.anyValue() }),
      });
    }
  });

  it('has a configuration set named after the stage, with reputation metrics and suppression', () => {
    const set = resourceOf(built.stateful, stateful, built.stateful.email.configurationSet);
    expect(set).toMatchObject({
      Type: 'AWS::SES::ConfigurationSet',
      Properties: {
        Name: NAME,
        ReputationOptions: { ReputationMetricsEnabled: true },
        SuppressionOptions: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
      },
    });
    expect(built.stateful.email.configurationSetName).toBe(NAME);
  });

  it('publishes sending events to CloudWatch with the dimension the SES alarms read', () => {
    stateful.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      ConfigurationSetName: { Ref: logicalId(built.stateful, built.stateful.email.configurationSet) },
      EventDestination: {
        Enabled: true,
        MatchingEventTypes: Match.arrayWith(['send', 'delivery', 'bounce', 'complaint']),
        CloudWatchDestination: {
          DimensionConfigurations: [
            {
              DimensionName: SES_CONFIGURATION_SET_DIMENSION,
              DimensionValueSource: 'messageTag',
              DefaultDimensionValue: NAME,
            },
          ],
        },
      },
    });
  });
});

describe('stateful stack: consent secret', () => {
  it('is generated, 64 characters, separate from the cursor secret', () => {
    const secret = resourceOf(built.stateful, stateful, built.stateful.consentSecret);
    expect(secret).toMatchObject({
      Type: 'AWS::SecretsManager::Secret',
      Properties: {
        Description: expect.stringContaining('consent'),
        GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
      },
    });
    expect(logicalId(built.stateful, built.stateful.consentSecret)).not.toBe(
      logicalId(built.stateful, built.stateful.cursorSecret),
    );
  });

  it('acknowledges the missing rotation (AwsSolutions-SMG4) with a reason', () => {
    const acknowledged = Object.assign(
      {},
      ...built.stateful.consentSecret.node.metadata
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .map((m) => m.data as Record<string, string>),
    ) as Record<string, string>;
    expect(acknowledged['Annotation::AwsSolutions-SMG4']).toMatch(/rotat/);
  });
});

describe('stateless stack: claim timer', () => {
  const timer = () => built.stateless.claimTimer;
  const machine = () => resourceOf(built.stateless, stateless, timer().stateMachine);
  const expireArn = () => ({
    'Fn::GetAtt': [logicalId(built.stateless, timer().expireDeadline.function), 'Arn'],
  });

  /** The definition CDK uploads (the staged asset of `DefinitionBody.fromFile`). */
  const deployedDefinition = () => {
    const staging = timer()
      .stateMachine.node.findAll()
      .find((c): c is AssetStaging => c instanceof AssetStaging);
    expect(staging, 'the definition asset').toBeDefined();
    return readFileSync(staging?.absoluteStagedPath ?? '', 'utf8');
  };

  it('deploys statemachines/claim-timer.asl.json itself, as a Standard machine', () => {
    expect(deployedDefinition()).toBe(readFileSync(CLAIM_TIMER_DEFINITION_FILE, 'utf8'));
    expect(machine()).toMatchObject({
      Type: 'AWS::StepFunctions::StateMachine',
      Properties: { StateMachineType: 'STANDARD', DefinitionS3Location: expect.anything() },
    });
  });

  it('substitutes the expire-deadline function into the task, and leaves no placeholder open', () => {
    const substitutions = machine().Properties.DefinitionSubstitutions as Record<string, unknown>;
    expect(substitutions).toEqual({ [EXPIRE_DEADLINE_FUNCTION_ARN_SUBSTITUTION]: expireArn() });
    const placeholders = [...deployedDefinition().matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]);
    expect(new Set(placeholders)).toEqual(new Set(Object.keys(substitutions)));

    // The definition after substitution: wait on $.waitUntil (dueAt rounded up to the second),
    // then invoke that function, retrying an early resume.
    const definition = JSON.parse(
      deployedDefinition().replaceAll(
        `\${${EXPIRE_DEADLINE_FUNCTION_ARN_SUBSTITUTION}}`,
        '<expire-deadline>',
      ),
    ) as { StartAt: string; States: Record<string, Record<string, unknown>> };
    const start = definition.States[definition.StartAt];
    expect(start).toMatchObject({ Type: 'Wait', TimestampPath: '$.waitUntil' });
    const task = definition.States[start?.Next as string];
    expect(task).toMatchObject({ Type: 'Task', Resource: '<expire-deadline>' });
    // First retrier (Step Functions applies the first that matches): the expire-deadline
    // function's DeadlineNotYetDueError, briefly, before the catch-all's longer backoff.
    expect((task?.Retry as unknown[] | undefined)?.[0]).toMatchObject({
      ErrorEquals: [DEADLINE_NOT_YET_DUE],
      IntervalSeconds: 1,
    });
    expect(task?.Retry).toEqual(
      expect.arrayContaining([expect.objectContaining({ ErrorEquals: ['States.ALL'] })]),
    );
    const caught = ((task?.Catch ?? []) as { Next: string }[])[0]?.Next ?? '';
    expect(definition.States[caught]).toMatchObject({ Type: 'Fail' });
  });

  it('logs ALL events with execution data to a log group with the stage retention, and traces', () => {
    const logging = machine().Properties.LoggingConfiguration as {
      Level: string;
      IncludeExecutionData: boolean;
      Destinations: { CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [string, string] } } }[];
    };
    expect(logging).toMatchObject({ Level: 'ALL', IncludeExecutionData: true });
    const [logGroupId] = logging.Destinations[0]?.CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'] ?? [];
    expect(logGroupId).toBe(logicalId(built.stateless, timer().logGroup));
    expect(resourceOf(built.stateless, stateless, timer().logGroup)).toMatchObject({
      Properties: { RetentionInDays: built.config.logRetentionDays },
      DeletionPolicy: 'Retain',
    });
    expect(machine().Properties.TracingConfiguration).toEqual({ Enabled: true });
  });

  it('may invoke exactly the expire-deadline function, and use * only for log delivery and X-Ray', () => {
    const roleId = (machine().Properties.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const machineGrants = grants(statementsOfRole(roleId));
    expect(machineGrants.filter((g) => g.action.startsWith('lambda:'))).toEqual([
      { action: 'lambda:InvokeFunction', resource: expireArn() },
    ]);
    const wildcard = machineGrants.filter((g) => g.resource === '*').map((g) => g.action);
    expect(
      wildcard.filter(
        (a) =>
          !a.startsWith('xray:') && !(STATE_MACHINE_LOG_DELIVERY_ACTIONS as readonly string[]).includes(a),
      ),
    ).toEqual([]);
    expect(stateless.toJSON().Resources[roleId].Properties.ManagedPolicyArns).toBeUndefined();
    // No other role of the stack gets the log-delivery actions.
    const elsewhere = Object.values(stateless.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles) !== JSON.stringify([{ Ref: roleId }]))
      .flatMap((p) => grants(p.Properties.PolicyDocument.Statement as Statement[]).map((g) => g.action));
    expect(
      elsewhere.filter((a) => (STATE_MACHINE_LOG_DELIVERY_ACTIONS as readonly string[]).includes(a)),
    ).toEqual([]);
  });

  it('runs expire-deadline like every function, with the calendar and table it needs', () => {
    const fn = timer().expireDeadline;
    expect(functionOf(fn).Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      Timeout: 30,
    });
    expect(environmentOf(fn)).toMatchObject({
      TABLE_NAME: imported(built.stateful.table),
      BUSINESS_CALENDAR_COUNTRY: built.config.businessCalendar.country,
      BUSINESS_CALENDAR_TIME_ZONE: built.config.businessCalendar.timeZone,
    });
    expectConfigAccepted(timerEnvironment, fn);
    // The claim item and the transition's transaction on the table itself; no index.
    const tableGrants = grants(statementsOf(fn)).filter((g) => g.action.startsWith('dynamodb:'));
    expect(tableGrants.map((g) => g.action)).toEqual(
      expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem']),
    );
    for (const grant of tableGrants)
      expect(grant.resource, grant.action).toEqual(imported(built.stateful.table, 'Arn'));
    expect(JSON.stringify(tableGrants)).not.toContain('/index/');
  });
});

/** Whether a stream record matches a Lambda filter pattern (exact-value rules only). */
function matchesFilter(pattern: unknown, value: unknown): boolean {
  if (Array.isArray(pattern)) return pattern.includes(value);
  if (typeof pattern !== 'object' || pattern === null) return false;
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(pattern).every(([key, rule]) =>
    matchesFilter(rule, (value as Record<string, unknown>)[key]),
  );
}

function streamRecord(eventName: 'INSERT' | 'MODIFY' | 'REMOVE', type: string): DynamoDBRecord {
  return {
    eventName,
    dynamodb: {
      SequenceNumber: '100',
      NewImage: {
        pk: { S: 'CLAIM#c-1' },
        sk: { S: 'OUTBOX#0000000002' },
        type: { S: type },
        eventId: { S: 'e-1' },
        claimId: { S: 'c-1' },
        version: { N: '2' },
        at: { S: '2026-11-24T08:00:00.000Z' },
        effects: { L: [] },
        claim: { M: {} },
      },
    },
  };
}

describe('stateless stack: outbox relay', () => {
  const relay = () => built.stateless.outboxRelay;
  const mapping = () => {
    const mappings = Object.values(stateless.findResources('AWS::Lambda::EventSourceMapping'));
    expect(mappings).toHaveLength(1);
    return mappings[0]?.Properties as Record<string, unknown>;
  };
  const filterPattern = () =>
    JSON.parse((mapping().FilterCriteria as { Filters: { Pattern: string }[] }).Filters[0]?.Pattern ?? '{}');

  it('reads the table stream from its oldest record, in order, reporting failed records', () => {
    expect(mapping()).toMatchObject({
      FunctionName: { Ref: logicalId(built.stateless, relay().function.function) },
      EventSourceArn: imported(built.stateful.table, 'StreamArn'),
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 10,
      ParallelizationFactor: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('retries with bisection, then sends the failed batch to its dead-letter queue', () => {
    expect(mapping()).toMatchObject({
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: -1,
      MaximumRecordAgeInSeconds: 3600,
      DestinationConfig: {
        OnFailure: {
          Destination: { 'Fn::GetAtt': [logicalId(built.stateless, relay().deadLetterQueue), 'Arn'] },
        },
      },
    });
  });

  it('is invoked only for inserted outbox items, exactly the records the handler relays', () => {
    expect((mapping().FilterCriteria as { Filters: unknown[] }).Filters).toHaveLength(1);
    expect(filterPattern()).toEqual({
      eventName: ['INSERT'],
      dynamodb: { NewImage: { type: { S: ['outbox'] } } },
    });
    const cases = [
      streamRecord('INSERT', 'outbox'),
      streamRecord('INSERT', 'claim'),
      streamRecord('INSERT', 'history'),
      streamRecord('MODIFY', 'outbox'),
      streamRecord('REMOVE', 'outbox'),
    ];
    for (const record of cases) {
      const label = `${record.eventName} ${record.dynamodb?.NewImage?.type?.S}`;
      expect(matchesFilter(filterPattern(), record), label).toBe(outboxEventOf(record) !== undefined);
    }
    expect(matchesFilter(filterPattern(), cases[0])).toBe(true);
  });

  it('keeps its dead-letter queue encrypted, TLS-only, for 14 days', () => {
    const queueId = logicalId(built.stateless, relay().deadLetterQueue);
    expect(stateless.toJSON().Resources[queueId]).toMatchObject({
      Type: 'AWS::SQS::Queue',
      Properties: { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 },
    });
    stateless.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('gets every setting the relay reads, from the grants and the stage configuration', () => {
    const fn = relay().function;
    expect(functionOf(fn).Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      Timeout: 60,
    });
    expect(environmentOf(fn)).toMatchObject({
      TABLE_NAME: imported(built.stateful.table),
      STATE_MACHINE_ARN: { Ref: logicalId(built.stateless, built.stateless.claimTimer.stateMachine) },
      EVENT_BUS_NAME: imported(built.stateful.eventBus.eventBus),
      SENDER_ADDRESS: built.config.senderAddress,
      SES_CONFIGURATION_SET: NAME,
      // Where the link host comes from is test/infra/public-links.test.ts's subject.
      PUBLIC_BASE_URL: built.stateless.resolve(built.stateless.publicBaseUrl),
      CONSENT_SECRET_ARN: imported(built.stateful.consentSecret),
    });
    expectConfigAccepted(relayEnvironment, fn);
  });

  it('may do exactly what the relay does, on exactly its resources', () => {
    const relayGrants = grants(statementsOf(relay().function)).filter(
      (g) => !g.action.startsWith('logs:') && !g.action.startsWith('xray:'),
    );
    const machineRef = { Ref: logicalId(built.stateless, built.stateless.claimTimer.stateMachine) };
    const machineName = {
      'Fn::GetAtt': [logicalId(built.stateless, built.stateless.claimTimer.stateMachine), 'Name'],
    };
    const queueArn = { 'Fn::GetAtt': [logicalId(built.stateless, relay().deadLetterQueue), 'Arn'] };
    const sender = { StringEquals: { 'ses:FromAddress': built.config.senderAddress } };
    const identityArn = {
      'Fn::Join': ['', expect.arrayContaining([':identity/', imported(built.stateful.email.identity)])],
    };
    const configurationSetArn = {
      'Fn::Join': ['', expect.arrayContaining([`:configuration-set/${NAME}`])],
    };
    expect(relayGrants).toEqual(
      expect.arrayContaining([
        // Email-ledger and consent-token items: write and undo, nothing else, no index.
        { action: 'dynamodb:PutItem', resource: imported(built.stateful.table, 'Arn') },
        { action: 'dynamodb:DeleteItem', resource: imported(built.stateful.table, 'Arn') },
        { action: 'states:StartExecution', resource: machineRef },
        // Stopping a superseded timer: this machine's executions only.
        { action: 'states:StopExecution', resource: executionsOf(machineName) },
        // A final claim's documents: list its prefix, tag each verified object.
        {
          action: 's3:ListBucket',
          resource: documentsBucketArn,
          condition: { StringLike: { 's3:prefix': 'claims/*' } },
        },
        { action: 's3:PutObjectTagging', resource: documentsUnder('claims/') },
        { action: 'events:PutEvents', resource: imported(built.stateful.eventBus.eventBus, 'Arn') },
        { action: 'ses:SendEmail', resource: identityArn, condition: sender },
        { action: 'ses:SendEmail', resource: configurationSetArn, condition: sender },
        { action: 'secretsmanager:GetSecretValue', resource: imported(built.stateful.consentSecret) },
        { action: 'sqs:SendMessage', resource: queueArn },
        { action: 'dynamodb:GetRecords', resource: imported(built.stateful.table, 'StreamArn') },
      ]),
    );
    const allowed = new Set([
      'dynamodb:PutItem',
      'dynamodb:DeleteItem',
      'states:StartExecution',
      'states:StopExecution',
      's3:ListBucket',
      's3:PutObjectTagging',
      'events:PutEvents',
      'ses:SendEmail',
      'secretsmanager:GetSecretValue',
      'sqs:SendMessage',
      'dynamodb:ListStreams',
      'dynamodb:DescribeStream',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
    ]);
    expect(relayGrants.map((g) => g.action).filter((a) => !allowed.has(a))).toEqual([]);
    // The only wildcards: execution names under this machine, object keys under `claims/`.
    const wildcards = relayGrants.filter(
      (g) => g.resource === '*' || JSON.stringify(g.resource).includes('*'),
    );
    expect(wildcards).toHaveLength(2);
    expect(wildcards).toEqual(
      expect.arrayContaining([
        { action: 'states:StopExecution', resource: executionsOf(machineName) },
        { action: 's3:PutObjectTagging', resource: documentsUnder('claims/') },
      ]),
    );
    // Stream actions only on the stream, never the table or `*`.
    for (const g of relayGrants.filter((g) => /Stream|GetRecords|GetShardIterator/.test(g.action))) {
      expect(g.resource, g.action).toEqual(imported(built.stateful.table, 'StreamArn'));
    }
  });

  it('outputs what the dead-letter runbook needs', () => {
    for (const name of [
      'OutboxRelayFunctionName',
      'OutboxRelayDeadLetterQueueUrl',
      'ClaimTimerStateMachineArn',
    ]) {
      stateless.hasOutput(name, Match.anyValue());
    }
  });
});

describe('stateless stack: consent pages', () => {
  it('get the table and calendar their configuration needs, when deployed', () => {
    const fn = built.stateless.functions.get('consent');
    if (!fn) return; // deployed once the route table serves /consent/*
    expectConfigAccepted(consentEnvironment, fn);
  });
});

describe('stateless stack: lifecycle alarms', () => {
  interface AlarmProperties {
    AlarmName: string;
    AlarmDescription: string;
    MetricName?: string;
    Threshold: number;
    Dimensions?: { Name: string; Value: unknown }[];
    Metrics?: { MetricStat?: { Metric: { MetricName: string; Dimensions: { Value: unknown }[] } } }[];
  }
  const alarm = (name: string) => {
    const found = Object.values(stateless.findResources('AWS::CloudWatch::Alarm'))
      .map((r) => r.Properties as AlarmProperties)
      .find((a) => a.AlarmName === `${NAME}-${name}`);
    expect(found, name).toBeDefined();
    return found as AlarmProperties;
  };

  it("alarms when the relay's dead-letter queue holds a message, with its replay runbook", () => {
    const dlq = alarm('outbox-relay-dlq-not-empty');
    expect(dlq).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 1,
      Dimensions: [
        {
          Name: 'QueueName',
          Value: {
            'Fn::GetAtt': [
              logicalId(built.stateless, built.stateless.outboxRelay.deadLetterQueue),
              'QueueName',
            ],
          },
        },
      ],
    });
    expect(dlq.AlarmDescription).toMatch(/DDBStreamBatchInfo/);
    expect(dlq.AlarmDescription).toMatch(/get-records[\s\S]*idempotent/);
  });

  it('alarms when the relay falls five minutes behind the stream', () => {
    expect(alarm('outbox-relay-iterator-age')).toMatchObject({
      MetricName: 'IteratorAge',
      Threshold: 5 * 60_000,
      Dimensions: [
        {
          Name: 'FunctionName',
          Value: { Ref: logicalId(built.stateless, built.stateless.outboxRelay.function.function) },
        },
      ],
    });
  });

  it('alarms on failed claim timers', () => {
    const machineRef = { Ref: logicalId(built.stateless, built.stateless.claimTimer.stateMachine) };
    const metrics = alarm('claim-timer-failed').Metrics ?? [];
    const watched = metrics.flatMap((m) => m.MetricStat?.Metric.Dimensions.map((d) => d.Value) ?? []);
    expect(watched).toEqual([machineRef, machineRef]);
  });

  it('alarms on errors and throttles of the two new functions', () => {
    for (const label of ['ClaimTimer-ExpireDeadline', 'OutboxRelay-Function']) {
      alarm(`${label}-errors`);
      alarm(`${label}-throttles`);
    }
  });

  it("alarms on bounces and complaints of the stateful stack's configuration set", () => {
    for (const [suffix, metric] of [
      ['bounces', 'Bounce'],
      ['complaints', 'Complaint'],
    ]) {
      expect(alarm(`ses-${built.stateful.email.configurationSetName}-${suffix}`)).toMatchObject({
        MetricName: metric,
        Dimensions: [{ Name: SES_CONFIGURATION_SET_DIMENSION, Value: NAME }],
      });
    }
  });
});

describe('reserved concurrency of the lifecycle functions', () => {
  it('follows stages.<stage>.reservedConcurrency', () => {
    const stages = cdkJsonContext().stages as Record<string, Record<string, unknown>>;
    const prod = { ...stages[STAGE], reservedConcurrency: { 'outbox-relay': 4, 'expire-deadline': 6 } };
    const app = buildServiceApp(STAGE, { context: { stages: { ...stages, [STAGE]: prod } } });
    const template = Template.fromStack(app.stateless).toJSON();
    const reserved = (fn: ServiceFunction) =>
      template.Resources[logicalId(app.stateless, fn.function)].Properties.ReservedConcurrentExecutions;
    expect(reserved(app.stateless.outboxRelay.function)).toBe(4);
    expect(reserved(app.stateless.claimTimer.expireDeadline)).toBe(6);
  });
});
