import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { DefinitionBody, Pass, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { METRICS_NAMESPACE } from '../../functions/observability.js';
import { ServiceAlarms } from '../../infra/constructs/service-alarms.js';
import { ServiceFunction } from '../../infra/constructs/service-function.js';
import {
  DEFAULT_METRICS_NAMESPACE,
  SES_CONFIGURATION_SET_DIMENSION,
} from '../../infra/constructs/service-metrics.js';
import type { ServiceApp } from '../../infra/service-app.js';
import { type DashboardWidget, dashboardWidgets, metricLines } from './dashboard-body.js';
import { buildServiceApp } from './service-app-fixture.js';

interface AlarmProperties {
  AlarmName: string;
  AlarmDescription: string;
  Namespace?: string;
  MetricName?: string;
  Statistic?: string;
  Period?: number;
  Dimensions?: { Name: string; Value: unknown }[];
  Threshold: number;
  ComparisonOperator: string;
  EvaluationPeriods: number;
  TreatMissingData: string;
  AlarmActions: unknown[];
  OKActions: unknown[];
  Metrics?: { Id: string; Expression?: string; MetricStat?: { Metric: { MetricName: string } } }[];
}

function alarmsOf(template: Template): AlarmProperties[] {
  return Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
    (r) => r.Properties as AlarmProperties,
  );
}

function alarmNamed(template: Template, name: string): AlarmProperties {
  const alarm = alarmsOf(template).find((a) => a.AlarmName === name);
  expect(alarm, `alarm ${name} among ${alarmsOf(template).map((a) => a.AlarmName)}`).toBeDefined();
  return alarm as AlarmProperties;
}

function widgetTitled(widgets: DashboardWidget[], title: string): DashboardWidget {
  const widget = widgets.find((w) => w.properties.title === title);
  expect(widget, `widget "${title}"`).toBeDefined();
  return widget as DashboardWidget;
}

describe('stateless stack: alarms, topic and dashboard (prod)', () => {
  let built: ServiceApp;
  let template: Template;
  let ref: (construct: { node: { defaultChild?: unknown } }) => { Ref: string };

  beforeAll(() => {
    built = buildServiceApp('prod');
    template = Template.fromStack(built.stateless);
    ref = (construct) => built.stateless.resolve((construct.node.defaultChild as { ref: string }).ref);
  }, 60_000);

  const prefix = 'cpor-claims-prod';

  it('alarms on any API 5xx within five minutes (HTTP API metric of this API)', () => {
    const alarm = alarmNamed(template, `${prefix}-api-5xx`);
    expect(alarm).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Statistic: 'Sum',
      Period: 300,
      Dimensions: [{ Name: 'ApiId', Value: ref(built.stateless.api.api) }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
    });
  });

  it('alarms on errors and throttles of every function', () => {
    expect(built.stateless.functions.size).toBeGreaterThan(0);
    for (const fn of built.stateless.functions.values()) {
      for (const [suffix, metricName] of [
        ['errors', 'Errors'],
        ['throttles', 'Throttles'],
      ] as const) {
        expect(alarmNamed(template, `${prefix}-${fn.node.id}-${suffix}`)).toMatchObject({
          Namespace: 'AWS/Lambda',
          MetricName: metricName,
          Statistic: 'Sum',
          Period: 300,
          Dimensions: [{ Name: 'FunctionName', Value: ref(fn.function) }],
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        });
      }
    }
  });

  it('alarms on the SES account reputation where AWS starts a review', () => {
    expect(alarmNamed(template, `${prefix}-ses-bounce-rate`)).toMatchObject({
      Namespace: 'AWS/SES',
      MetricName: 'Reputation.BounceRate',
      Threshold: 0.05,
    });
    expect(alarmNamed(template, `${prefix}-ses-complaint-rate`)).toMatchObject({
      Namespace: 'AWS/SES',
      MetricName: 'Reputation.ComplaintRate',
      Threshold: 0.001,
    });
  });

  it('has exactly those alarms, each notifying the topic on ALARM and OK, with a runbook', () => {
    const alarms = alarmsOf(template);
    // The upload verifier adds its two function alarms and one for its dead-letter queue; the
    // claim timer two for its function and one for its state machine; the outbox relay two for
    // its function, one for its dead-letter queue and one for its iterator age; the
    // configuration set two (bounces, complaints).
    expect(alarms).toHaveLength(1 + 2 * built.stateless.functions.size + 2 + 3 + 3 + 4 + 2);
    const topic = ref(built.stateless.alarms.topic);
    for (const alarm of alarms) {
      expect(alarm.AlarmActions, alarm.AlarmName).toEqual([topic]);
      expect(alarm.OKActions, alarm.AlarmName).toEqual([topic]);
      expect(alarm.TreatMissingData, alarm.AlarmName).toBe('notBreaching');
      expect(alarm.AlarmDescription, alarm.AlarmName).toMatch(/\nMeaning: [\s\S]+\nDo: /);
    }
  });

  it('publishes to a topic encrypted with a rotated key that CloudWatch may use', () => {
    const keyId = ref(built.stateless.alarms.topicKey).Ref;
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
  });

  it("lets the topic be published only over TLS, and by this account's CloudWatch alarms", () => {
    const topic = ref(built.stateless.alarms.topic);
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [topic],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Principal: '*',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: Match.objectLike({
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            }),
          }),
        ]),
      },
    });
  });

  it('subscribes the stage alarmEmail to the topic', () => {
    expect(built.config.alarmEmail).toBeDefined();
    template.resourceCountIs('AWS::SNS::Subscription', 1);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: built.config.alarmEmail,
      TopicArn: ref(built.stateless.alarms.topic),
    });
  });

  it('outputs the alarm topic and the dashboard URL', () => {
    template.hasOutput('AlarmTopicArn', { Value: ref(built.stateless.alarms.topic) });
    template.hasOutput('DashboardUrl', { Value: Match.objectLike({ 'Fn::Join': Match.anyValue() }) });
  });

  describe('the dashboard', () => {
    let widgets: DashboardWidget[];
    beforeAll(() => {
      widgets = dashboardWidgets(template);
    });

    it('is the only one, named after the stage', () => {
      template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
      template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: prefix });
    });

    it('shows API requests, 4xx, 5xx and latency p50/p99', () => {
      const api = `<Ref:${ref(built.stateless.api.api).Ref}>`;
      expect(metricLines(widgetTitled(widgets, 'API requests')).join('\n')).toContain(
        `AWS/ApiGateway Count ApiId ${api}`,
      );
      const errors = metricLines(widgetTitled(widgets, 'API 4xx and 5xx')).join('\n');
      expect(errors).toContain(`AWS/ApiGateway 4xx ApiId ${api}`);
      expect(errors).toContain(`AWS/ApiGateway 5xx ApiId ${api}`);
      const latency = metricLines(widgetTitled(widgets, 'API latency (ms)'));
      expect(latency.filter((l) => l.startsWith(`AWS/ApiGateway Latency ApiId ${api}`))).toEqual([
        expect.stringContaining('"stat":"p50"'),
        expect.stringContaining('"stat":"p99"'),
      ]);
    });

    it('shows errors, duration, throttles and concurrency of every function', () => {
      for (const fn of built.stateless.functions.values()) {
        const name = `FunctionName <Ref:${ref(fn.function).Ref}>`;
        for (const [title, metric] of [
          ['Lambda errors', 'Errors'],
          ['Lambda duration (ms)', 'Duration'],
          ['Lambda throttles', 'Throttles'],
          ['Lambda concurrent executions', 'ConcurrentExecutions'],
        ] as const) {
          expect(metricLines(widgetTitled(widgets, title)).join('\n')).toContain(
            `AWS/Lambda ${metric} ${name}`,
          );
        }
      }
    });

    it("shows the service's custom metrics from the namespace the functions write to", () => {
      expect(DEFAULT_METRICS_NAMESPACE).toBe(METRICS_NAMESPACE);
      const commands = metricLines(
        widgetTitled(widgets, `Claim commands by operation (${METRICS_NAMESPACE})`),
      );
      expect(commands.join('\n')).toContain(
        `SEARCH('{${METRICS_NAMESPACE},operation,service} MetricName=\\"ClaimCommands\\"', 'Sum', 300)`,
      );
      expect(
        metricLines(widgetTitled(widgets, `Service metrics (${METRICS_NAMESPACE})`)).join('\n'),
      ).toContain(`{${METRICS_NAMESPACE},service}`);
    });

    it('has no empty graph and no overlapping widgets', () => {
      for (const widget of widgets.filter((w) => w.type === 'metric')) {
        expect(widget.properties.metrics?.length, widget.properties.title).toBeGreaterThan(0);
      }
      const cells = new Set<string>();
      for (const w of widgets) {
        for (let x = w.x; x < w.x + w.width; x++) {
          for (let y = w.y; y < w.y + w.height; y++) {
            expect(cells.has(`${x},${y}`), `${w.properties.title} overlaps at ${x},${y}`).toBe(false);
            cells.add(`${x},${y}`);
          }
        }
        expect(w.x + w.width).toBeLessThanOrEqual(24);
      }
    });
  });
});

describe('stateless stack: alarms in dev', () => {
  it('has no email subscription when the stage names no alarmEmail', () => {
    const built = buildServiceApp('dev');
    expect(built.config.alarmEmail).toBeUndefined();
    Template.fromStack(built.stateless).resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

/** A bare stack for the construct itself (functions are not bundled). */
function bareStack(): Stack {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return new Stack(app, 'Test', { env: { account: '123456789012', region: 'us-east-1' } });
}

function serviceFunction(scope: Construct, id: string): ServiceFunction {
  return new ServiceFunction(scope, id, {
    entryName: 'api',
    description: 'test',
    logRetention: RetentionDays.ONE_WEEK,
  });
}

describe('ServiceAlarms', () => {
  it('watches a ServiceFunction created after it without being asked', () => {
    const stack = bareStack();
    const alarms = new ServiceAlarms(stack, 'Alarms', { namePrefix: 'x' });
    serviceFunction(stack, 'LaterFunction');
    const names = alarmsOf(Template.fromStack(stack)).map((a) => a.AlarmName);
    expect(names).toEqual(['x-LaterFunction-errors', 'x-LaterFunction-throttles']);
    expect(alarms.alarms).toHaveLength(2);
  });

  it('names a nested function by its path in the stack', () => {
    const stack = bareStack();
    new ServiceAlarms(stack, 'Alarms', { namePrefix: 'x' });
    serviceFunction(new Construct(stack, 'UploadVerifier'), 'Function');
    serviceFunction(new Construct(stack, 'Relay'), 'Function');
    expect(alarmsOf(Template.fromStack(stack)).map((a) => a.AlarmName)).toEqual([
      'x-UploadVerifier-Function-errors',
      'x-UploadVerifier-Function-throttles',
      'x-Relay-Function-errors',
      'x-Relay-Function-throttles',
    ]);
  });

  it('fails the synth for a ServiceFunction created before it and never watched', () => {
    const stack = bareStack();
    serviceFunction(stack, 'EarlyFunction');
    new ServiceAlarms(stack, 'Alarms', { namePrefix: 'x' });
    expect(() => Template.fromStack(stack)).toThrow(/Test\/EarlyFunction has no alarms/);
  });

  it('accepts an explicit watchFunction for such a function, once', () => {
    const stack = bareStack();
    const fn = serviceFunction(stack, 'EarlyFunction');
    const alarms = new ServiceAlarms(stack, 'Alarms', { namePrefix: 'x' });
    alarms.watchFunction(fn);
    alarms.watchFunction(fn);
    expect(alarmsOf(Template.fromStack(stack))).toHaveLength(2);
  });

  it('allows one per stack', () => {
    const stack = bareStack();
    new ServiceAlarms(stack, 'Alarms', { namePrefix: 'x' });
    expect(() => new ServiceAlarms(stack, 'More', { namePrefix: 'y' })).toThrow(/already has ServiceAlarms/);
  });

  it('alarms as soon as a dead-letter queue holds a message, and graphs its depth', () => {
    const stack = bareStack();
    const alarms = new ServiceAlarms(stack, 'Alarms', { namePrefix: 'x' });
    const dlq = new Queue(stack, 'RelayDlq', { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true });
    alarms.watchQueue(dlq);
    const template = Template.fromStack(stack);
    expect(alarmNamed(template, 'x-RelayDlq-not-empty')).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Statistic: 'Maximum',
      Period: 60,
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [stack.getLogicalId(dlq.node.defaultChild as never), 'QueueName'] },
        },
      ],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(metricLines(widgetTitled(dashboardWidgets(template), 'Dead-letter queue depth')).join()).toContain(
      'AWS/SQS ApproximateNumberOfMessagesVisible QueueName',
    );
  });

  it("takes a dead-letter queue's own runbook where the generic one does not fit", () => {
    const stack = bareStack();
    const alarms = new ServiceAlarms(stack, 'Alarms', { namePrefix: 'x' });
    const dlq = new Queue(stack, 'StreamDlq', { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true });
    alarms.watchQueue(dlq, 'stream-dlq', {
      meaning: 'batch metadata only.',
      action: 'replay from the stream.',
    });
    expect(alarmNamed(Template.fromStack(stack), 'x-stream-dlq-not-empty').AlarmDescription).toBe(
      'Dead-letter queue stream-dlq holds at least one message.\nMeaning: batch metadata only.\nDo: replay from the stream.',
    );
  });

  it('alarms when a stream consumer falls behind, and graphs its iterator age', () => {
    const stack = bareStack();
    const alarms = new ServiceAlarms(stack, 'Alarms', { namePrefix: 'x' });
    const fn = serviceFunction(stack, 'Relay');
    alarms.watchStreamConsumer(fn, 'relay', Duration.minutes(10));
    const template = Template.fromStack(stack);
    expect(alarmNamed(template, 'x-relay-iterator-age')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Statistic: 'Maximum',
      Period: 60,
      Dimensions: [
        { Name: 'FunctionName', Value: { Ref: stack.getLogicalId(fn.function.node.defaultChild as never) } },
      ],
      Threshold: 600_000,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(alarmNamed(template, 'x-relay-iterator-age').AlarmDescription).toMatch(
      /10 minutes[\s\S]*\nMeaning: [\s\S]+\nDo: /,
    );
    expect(
      metricLines(widgetTitled(dashboardWidgets(template), 'Stream iterator age (ms)')).join(),
    ).toContain('AWS/Lambda IteratorAge FunctionName');
  });

  it('alarms on failed or timed-out state machine executions', () => {
    const stack = bareStack();
    const alarms = new ServiceAlarms(stack, 'Alarms', { namePrefix: 'x' });
    const machine = new StateMachine(stack, 'ClaimTimer', {
      definitionBody: DefinitionBody.fromChainable(new Pass(stack, 'Wait')),
    });
    alarms.watchStateMachine(machine);
    const template = Template.fromStack(stack);
    const alarm = alarmNamed(template, 'x-ClaimTimer-failed');
    expect(alarm).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    expect(alarm.Metrics?.find((m) => m.Expression)?.Expression).toBe('FILL(failed, 0) + FILL(timedOut, 0)');
    expect(
      alarm.Metrics?.map((m) => m.MetricStat?.Metric.MetricName)
        .filter(Boolean)
        .sort(),
    ).toEqual(['ExecutionsFailed', 'ExecutionsTimedOut']);
    expect(
      metricLines(widgetTitled(dashboardWidgets(template), 'State machine executions')).join(),
    ).toContain('AWS/States ExecutionsFailed StateMachineArn');
  });

  it('alarms on bounces and complaints of a configuration set', () => {
    const stack = bareStack();
    const alarms = new ServiceAlarms(stack, 'Alarms', { namePrefix: 'x' });
    alarms.watchEmail({ configurationSetName: 'cpor-claims' });
    alarms.watchEmail({ configurationSetName: 'cpor-claims' });
    const template = Template.fromStack(stack);
    for (const [suffix, metricName] of [
      ['bounces', 'Bounce'],
      ['complaints', 'Complaint'],
    ]) {
      expect(alarmNamed(template, `x-ses-cpor-claims-${suffix}`)).toMatchObject({
        Namespace: 'AWS/SES',
        MetricName: metricName,
        Dimensions: [{ Name: SES_CONFIGURATION_SET_DIMENSION, Value: 'cpor-claims' }],
        Threshold: 1,
      });
    }
    expect(alarmsOf(template)).toHaveLength(4);
  });

  it('leaves unused sections off the dashboard', () => {
    const stack = bareStack();
    new ServiceAlarms(stack, 'Alarms', { namePrefix: 'x' });
    const titles = dashboardWidgets(Template.fromStack(stack)).map((w) => w.properties.title ?? w.type);
    expect(titles).toEqual([
      'text',
      `Claim commands by operation (${METRICS_NAMESPACE})`,
      `Service metrics (${METRICS_NAMESPACE})`,
    ]);
  });
});
