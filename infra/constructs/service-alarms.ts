/**
 * The service's alarms and their notification topic, with the thresholds fixed once; what is
 * watched is also graphed on the service's dashboard (`service-dashboard.ts`). Each resource kind is watched through one method (`watchFunction`,
 * `watchHttpApi`, `watchQueue`, `watchStateMachine`, `watchEmail`, `watchStreamConsumer`), so a
 * function, queue or machine added later gets the same alarms and dashboard lines by one call; a
 * `ServiceFunction` created in a stack that already has `ServiceAlarms` is watched without any
 * call at all.
 *
 * Every alarm's description says what it means and what to do: it is the body of the
 * notification email, and the README's runbook repeats it.
 */
import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  type Dashboard,
  type IMetric,
  MathExpression,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct, type IConstruct } from 'constructs';
import { addServiceDashboard, type Watched } from './service-dashboard.js';
import {
  DEFAULT_METRICS_NAMESPACE,
  FIVE_MINUTES,
  SES_CONFIGURATION_SET_DIMENSION,
  sesMetric,
} from './service-metrics.js';

/** A watched Lambda: what `ServiceAlarms.watchFunction` accepts (a `ServiceFunction` fits). */
export interface WatchableFunction extends IConstruct {
  readonly function: IFunction;
}

export interface ServiceAlarmsProps {
  /** Prefix of every alarm name and the dashboard name, e.g. `cpor-claims-prod`. */
  readonly namePrefix: string;

  /**
   * Address subscribed to the alarm topic (SNS sends a confirmation email first).
   *
   * @default - no subscription; subscribe a pager or chat integration to `topic` yourself.
   */
  readonly alarmEmail?: string;

  /**
   * Namespace of the service's custom (Powertools/EMF) metrics, shown on the dashboard.
   *
   * @default DEFAULT_METRICS_NAMESPACE
   */
  readonly metricsNamespace?: string;

  /**
   * How many HTTP 5xx answers within five minutes raise the API alarm.
   *
   * @default 1 — every expected failure is a 4xx problem, so any 5xx is a defect, a failing
   *   dependency or a throttled function.
   */
  readonly apiServerErrorThreshold?: number;
}

export interface WatchEmailOptions {
  /**
   * SES configuration set the service sends with, whose CloudWatch event destination publishes
   * `Bounce` and `Complaint` with the dimension `ses:configuration-set` (value source: message
   * tag `ses:configuration-set`). Adds alarms on this service's own bounces and complaints.
   *
   * @default - only the account-wide reputation alarms
   */
  readonly configurationSetName?: string;
}

/** A dead-letter queue's own runbook, where the generic one would mislead. */
export interface WatchQueueOptions {
  /** What a message in this queue means (the alarm description's "Meaning:"). */
  readonly meaning?: string;
  /** What the operator does about it (the alarm description's "Do:"). */
  readonly action?: string;
}

/** Where a `ServiceFunction` finds the alarms of its stack. */
const alarmsByStack = new WeakMap<Stack, ServiceAlarms>();

export class ServiceAlarms extends Construct {
  /** The alarms' action target: ALARM and OK transitions of every alarm are published here. */
  readonly topic: Topic;
  /** Encrypts the topic; CloudWatch may use it (an AWS managed key would drop the notifications). */
  readonly topicKey: Key;
  readonly dashboard: Dashboard;
  /** Every alarm created so far. */
  readonly alarms: Alarm[] = [];

  private readonly namePrefix: string;
  private readonly apiServerErrorThreshold: number;
  private readonly action: SnsAction;
  private readonly apis: Watched<IHttpApi>[] = [];
  private readonly functions: Watched<IFunction>[] = [];
  private readonly watchedFunctionConstructs = new Set<IConstruct>();
  private readonly queues: Watched<IQueue>[] = [];
  private readonly machines: Watched<IStateMachine>[] = [];
  private readonly streamConsumers: Watched<IFunction>[] = [];
  private readonly configurationSets: string[] = [];
  private emailWatched = false;

  /** The alarms of `scope`'s stack, if it has any. */
  static of(scope: IConstruct): ServiceAlarms | undefined {
    return alarmsByStack.get(Stack.of(scope));
  }

  constructor(scope: Construct, id: string, props: ServiceAlarmsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    if (alarmsByStack.has(stack)) {
      throw new Error(`ServiceAlarms ${this.node.path}: ${stack.stackName} already has ServiceAlarms.`);
    }
    alarmsByStack.set(stack, this);
    this.namePrefix = props.namePrefix;
    this.apiServerErrorThreshold = props.apiServerErrorThreshold ?? 1;

    this.topicKey = new Key(this, 'TopicKey', {
      description: `${props.namePrefix}: encrypts the alarm notification topic`,
      enableKeyRotation: true,
      // Notifications are transient; the key holds nothing once the stack is gone.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    // CloudWatch calls KMS itself when it publishes an alarm to an encrypted topic.
    this.topicKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarms',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );

    this.topic = new Topic(this, 'Topic', {
      displayName: `${props.namePrefix} alarms`,
      masterKey: this.topicKey,
      enforceSSL: true,
    });
    // The topic policy `enforceSSL` creates replaces SNS's default one, so the alarms of this
    // account need an explicit allow to publish.
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisAccount',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    if (props.alarmEmail !== undefined) {
      const subscription = this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
      Validations.of(subscription).acknowledge({
        id: 'Serverless-SNSRedrivePolicy',
        reason:
          'An alarm email that cannot be delivered loses nothing: CloudWatch keeps every state change in the alarm history and the console. A dead-letter queue for it would need an alarm of its own, notifying this same topic.',
      });
    }
    this.action = new SnsAction(this.topic);

    this.dashboard = addServiceDashboard(this, {
      namePrefix: props.namePrefix,
      metricsNamespace: props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE,
      watched: () => ({
        apis: this.apis,
        functions: this.functions,
        queues: this.queues,
        machines: this.machines,
        streamConsumers: this.streamConsumers,
        email: this.emailWatched,
        configurationSets: this.configurationSets,
      }),
    });

    this.node.addValidation({ validate: () => this.unwatchedFunctions() });
  }

  /** Alarms on the API's 5xx answers; its requests, errors and latency go on the dashboard. */
  watchHttpApi(api: IHttpApi, label = 'api'): void {
    this.apis.push({ label, resource: api });
    this.addAlarm(`${label}-5xx`, {
      metric: api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' }),
      threshold: this.apiServerErrorThreshold,
      description: [
        `The HTTP API answered ${this.apiServerErrorThreshold} or more 5xx within 5 minutes.`,
        'Meaning: callers got a generic error. Every expected failure is a 4xx problem, so a 5xx is an unhandled error, a failing dependency (DynamoDB, Secrets Manager), a function timeout, or a throttled function.',
        'Do: open the dashboard; check the function Errors/Throttles alarms; search the access logs for status 5xx and follow requestId into the function logs (level ERROR, "Unhandled error") and X-Ray.',
      ],
    });
  }

  /**
   * Alarms on the function's errors (unhandled exceptions, timeouts, out-of-memory) and
   * throttles; errors, duration, throttles and concurrency go on the dashboard.
   *
   * @param label short name in alarm names and graph legends; default: the construct's path
   *   in its stack, e.g. `ApiFunction` or `UploadVerifier-Function`
   */
  watchFunction(fn: WatchableFunction, label = labelOf(fn)): void {
    if (this.watchedFunctionConstructs.has(fn)) return;
    this.watchedFunctionConstructs.add(fn);
    this.assertUniqueLabel(this.functions, label);
    const lambda = fn.function;
    this.functions.push({ label, resource: lambda });
    this.addAlarm(`${label}-errors`, {
      metric: lambda.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
      threshold: 1,
      description: [
        `Lambda ${label} failed at least once within 5 minutes.`,
        'Meaning: an invocation threw past the handler, timed out or ran out of memory (HTTP handlers map their own errors to problem responses, so these are crashes). Stream and async invocations are retried; HTTP callers got a 5xx.',
        `Do: in the function's log group, query level ERROR and "Task timed out"; check Duration against the timeout and memory on the dashboard; roll back if it started with a deployment.`,
      ],
    });
    this.addAlarm(`${label}-throttles`, {
      metric: lambda.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }),
      threshold: 1,
      description: [
        `Lambda ${label} was throttled within the last 5 minutes.`,
        'Meaning: it hit its reserved concurrency or the account concurrency quota; HTTP callers got a 500, event sources retry and fall behind.',
        'Do: compare ConcurrentExecutions with the reservation (cdk.json stages.<stage>.reservedConcurrency) and Duration (a slow dependency multiplies concurrency); raise the reservation or the account quota (Service Quotas, "Concurrent executions") if the load is real.',
      ],
    });
  }

  /**
   * Alarms as soon as a (dead-letter) queue holds a message; its depth goes on the dashboard.
   *
   * @param options the runbook, when the generic one (read, fix, SQS redrive) does not fit
   */
  watchQueue(queue: IQueue, label = labelOf(queue), options: WatchQueueOptions = {}): void {
    this.assertUniqueLabel(this.queues, label);
    this.queues.push({ label, resource: queue });
    this.addAlarm(`${label}-not-empty`, {
      metric: queue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      threshold: 1,
      description: [
        `Dead-letter queue ${label} holds at least one message.`,
        `Meaning: ${options.meaning ?? 'an event failed every retry and its side effect (timer, email, domain event) has not happened.'}`,
        `Do: ${options.action ?? 'read the message (its body names the event or the stream batch), fix the cause from the consumer\'s logs, then redrive it (SQS console "Start DLQ redrive", or re-run the outbox event). Effects are idempotent, so a redrive is safe.'}`,
      ],
    });
  }

  /**
   * Alarms when a function fed by a stream falls behind: the age of the last record it was
   * given reaches `maxAge`. Such a function reports failed records instead of throwing, so its
   * Errors alarm stays quiet while a failing record is retried and holds up its shard; this is
   * the alarm that notices. Its iterator age goes on the dashboard.
   *
   * @param maxAge the age that raises the alarm; default 5 minutes
   */
  watchStreamConsumer(fn: WatchableFunction, label = labelOf(fn), maxAge = FIVE_MINUTES): void {
    this.assertUniqueLabel(this.streamConsumers, label);
    this.streamConsumers.push({ label, resource: fn.function });
    const minutes = maxAge.toMinutes();
    this.addAlarm(`${label}-iterator-age`, {
      metric: fn.function.metric('IteratorAge', { period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: maxAge.toMilliseconds(),
      description: [
        `Lambda ${label} is ${minutes} minutes or more behind its stream.`,
        'Meaning: a record keeps failing and is being retried, holding up the records behind it on its shard (until its retries or its maximum age run out and it goes to the dead-letter queue), or the function is throttled or slow. Their side effects (timers, emails, domain events) are late, not lost.',
        'Do: search the function\'s logs for level ERROR ("Outbox event failed", with eventId and claimId) and fix the cause (SES identity not verified or sandbox recipient, a missing permission, a dependency outage); the retries then catch up by themselves. Check its Throttles and Duration on the dashboard.',
      ],
    });
  }

  /** Alarms on failed or timed-out executions; started and failed executions go on the dashboard. */
  watchStateMachine(machine: IStateMachine, label = labelOf(machine)): void {
    this.assertUniqueLabel(this.machines, label);
    this.machines.push({ label, resource: machine });
    this.addAlarm(`${label}-failed`, {
      metric: new MathExpression({
        expression: 'FILL(failed, 0) + FILL(timedOut, 0)',
        usingMetrics: {
          failed: machine.metricFailed({ period: FIVE_MINUTES, statistic: 'Sum' }),
          timedOut: machine.metricTimedOut({ period: FIVE_MINUTES, statistic: 'Sum' }),
        },
        label: 'failed + timed out',
        period: FIVE_MINUTES,
      }),
      threshold: 1,
      description: [
        `State machine ${label} had a failed or timed-out execution within 5 minutes.`,
        'Meaning: a claim deadline (SLA flag, auto-reject, consent or dispute window) was not applied.',
        "Do: open the failed execution in the Step Functions console (its name is claim id, deadline kind and version); fix the cause from the task Lambda's logs, then start a new execution with the same input (a stale timer is a harmless no-op).",
      ],
    });
  }

  /**
   * Alarms on the account's SES reputation (bounce rate ≥ 5 %, complaint rate ≥ 0.1 %, where AWS
   * starts reviewing an account) and, with a configuration set, on this service's own bounces
   * and complaints.
   */
  watchEmail(options: WatchEmailOptions = {}): void {
    if (!this.emailWatched) {
      this.emailWatched = true;
      this.addAlarm('ses-bounce-rate', {
        metric: sesMetric('Reputation.BounceRate', 'Maximum', Duration.hours(1)),
        threshold: 0.05,
        description: [
          "The account's SES bounce rate reached 5 %.",
          'Meaning: AWS reviews accounts above 5 % and may pause sending above 10 %; consent emails would stop.',
          "Do: find the bouncing recipients (configuration set events, or the Bounce alarm below); correct the claims' contact addresses; keep the rate under 2 %.",
        ],
      });
      this.addAlarm('ses-complaint-rate', {
        metric: sesMetric('Reputation.ComplaintRate', 'Maximum', Duration.hours(1)),
        threshold: 0.001,
        description: [
          "The account's SES complaint rate reached 0.1 %.",
          'Meaning: recipients mark the emails as spam; AWS reviews accounts above 0.1 % and may pause sending above 0.5 %.',
          "Do: check which email kind draws complaints and whether it went to the right contact; review the templates' wording and sender.",
        ],
      });
    }
    const set = options.configurationSetName;
    if (set === undefined || this.configurationSets.includes(set)) return;
    this.configurationSets.push(set);
    this.addAlarm(`ses-${set}-bounces`, {
      metric: sesMetric('Bounce', 'Sum', Duration.hours(1), { [SES_CONFIGURATION_SET_DIMENSION]: set }),
      threshold: 1,
      description: [
        `An email sent with configuration set ${set} bounced within the last hour.`,
        'Meaning: a contact address on a claim is wrong; a customer who never gets the consent email cannot opt out.',
        'Do: find the bounce in the configuration set events (recipient, message id) and the claim in the logs; ask the partner to correct the contact.',
      ],
    });
    this.addAlarm(`ses-${set}-complaints`, {
      metric: sesMetric('Complaint', 'Sum', Duration.hours(1), { [SES_CONFIGURATION_SET_DIMENSION]: set }),
      threshold: 1,
      description: [
        `A recipient marked an email of configuration set ${set} as spam within the last hour.`,
        "Meaning: complaints count against the account's SES reputation.",
        'Do: identify the email kind and recipient; check it was expected (right contact, right claim).',
      ],
    });
  }

  private addAlarm(
    name: string,
    options: { metric: IMetric; threshold: number; description: readonly string[] },
  ): Alarm {
    const alarm = new Alarm(this, `${pascalCase(name)}Alarm`, {
      alarmName: `${this.namePrefix}-${name}`,
      alarmDescription: options.description.join('\n'),
      metric: options.metric,
      threshold: options.threshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      // No data means no traffic (or no failure to count): not an incident.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarms.push(alarm);
    return alarm;
  }

  private assertUniqueLabel(list: readonly Watched<unknown>[], label: string): void {
    if (list.some((w) => w.label === label)) {
      throw new Error(`ServiceAlarms ${this.node.path}: "${label}" is watched twice; pass a distinct label.`);
    }
  }

  /** Every function of the stack must be watched: one created before the alarms is named here. */
  private unwatchedFunctions(): string[] {
    const stack = Stack.of(this);
    return stack.node
      .findAll()
      .filter(
        (c): c is WatchableFunction =>
          'function' in c && isFunction((c as Partial<WatchableFunction>).function) && Stack.of(c) === stack,
      )
      .filter((c) => !this.watchedFunctionConstructs.has(c))
      .map(
        (c) =>
          `${c.node.path} has no alarms: create ServiceAlarms before it, or call alarms.watchFunction() for it.`,
      );
  }
}

/** A construct's path below its stack, `-`-joined: unique in the stack, readable in an alarm name. */
function labelOf(construct: IConstruct): string {
  const stackPath = Stack.of(construct).node.path;
  return construct.node.path.slice(stackPath.length + 1).replaceAll('/', '-');
}

function isFunction(value: unknown): value is IFunction {
  return typeof value === 'object' && value !== null && 'functionArn' in value && 'metricErrors' in value;
}

function pascalCase(name: string): string {
  return name.replace(/(^|[-_:.])([a-zA-Z0-9])/g, (_, __, c: string) => c.toUpperCase());
}
