/**
 * The claim timer: the Standard state machine of `statemachines/claim-timer.asl.json` (wait
 * until `waitUntil`, the deadline rounded up to the whole second, then invoke the
 * expire-deadline Lambda, retrying its `DeadlineNotYetDue`), deployed from that very file, the
 * one `npm start` runs locally. The outbox relay starts one execution per armed deadline and
 * stops it when a transition supersedes the deadline (`grantStopTimers`).
 */
import { join } from 'node:path';
import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import { Construct } from 'constructs';
import { ServiceAlarms } from './service-alarms.js';
import { PROJECT_ROOT, ServiceFunction } from './service-function.js';

/** The timer's definition, shared with the local cloud. */
export const CLAIM_TIMER_DEFINITION_FILE = join(PROJECT_ROOT, 'statemachines', 'claim-timer.asl.json');

/** The definition's placeholder for the task Lambda (`${ExpireDeadlineFunctionArn}`). */
export const EXPIRE_DEADLINE_FUNCTION_ARN_SUBSTITUTION = 'ExpireDeadlineFunctionArn';

/**
 * What CDK grants a state machine that logs to CloudWatch Logs (vended log delivery): actions
 * that support no resource-level permissions, so their `Resource` is `*`.
 */
export const STATE_MACHINE_LOG_DELIVERY_ACTIONS = [
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
] as const;

export interface ClaimTimerProps {
  /** The claims table: the expire-deadline function reads the claim and writes the timeout transition. */
  readonly table: ITableV2;

  /** Retention of the function's and the state machine's log groups. */
  readonly logRetention: RetentionDays;

  /** The business calendar variables (`BUSINESS_CALENDAR_*`) the timeout transitions count with. */
  readonly calendarEnvironment: Readonly<Record<string, string>>;

  /**
   * Reserved concurrency of the expire-deadline function.
   *
   * @default - none; the account's unreserved pool
   */
  readonly reservedConcurrentExecutions?: number;
}

export class ClaimTimer extends Construct {
  /** The timer's task: applies a deadline's timeout if the claim still carries it. */
  readonly expireDeadline: ServiceFunction;
  readonly stateMachine: StateMachine;
  /** Execution history of every timer (all events, with their input and output). */
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ClaimTimerProps) {
    super(scope, id);

    this.expireDeadline = new ServiceFunction(this, 'ExpireDeadline', {
      entryName: 'expire-deadline',
      description: 'CPOR claims: applies a claim deadline that fell due (claim-timer task)',
      logRetention: props.logRetention,
      // A read and one transaction, re-read up to five times after a concurrent write.
      timeout: Duration.seconds(30),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      environment: props.calendarEnvironment,
    });
    // The claim item (Get) and the transition's transaction (claim, history, outbox: Puts);
    // no index.
    this.expireDeadline.useTable(props.table, ['dynamodb:GetItem', 'dynamodb:PutItem'], 'TABLE_NAME', []);
    Validations.of(this.expireDeadline).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'Invoked synchronously by the claim-timer state machine: a failure returns to the execution, which retries it (ASL Retry) and then fails, raising the state machine alarm; an async dead-letter queue would never receive anything.',
    });

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.stateMachine = new StateMachine(this, 'StateMachine', {
      comment: 'CPOR claims: one-shot claim deadline timer (wait until dueAt, then expire-deadline)',
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromFile(CLAIM_TIMER_DEFINITION_FILE),
      definitionSubstitutions: {
        [EXPIRE_DEADLINE_FUNCTION_ARN_SUBSTITUTION]: this.expireDeadline.function.functionArn,
      },
      // Execution data is the timer input (claim id, deadline kind, due time, version) and the
      // outcome: no personal data, and it shows when and how each deadline was applied.
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
    });
    // Exactly the function the definition names: no version or alias wildcard (`grantInvoke`
    // would add `<arn>:*`).
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [this.expireDeadline.function.functionArn],
      }),
    );
    Validations.of(this.stateMachine).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: `Added by CDK for the logging and tracing this machine must have: the CloudWatch Logs vended-delivery actions (${STATE_MACHINE_LOG_DELIVERY_ACTIONS.join(', ')}) and X-Ray's (xray:PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets) support no resource-level permissions (Resource must be *).`,
    });

    ServiceAlarms.of(this)?.watchStateMachine(this.stateMachine, 'claim-timer');
  }

  /**
   * Lets `grantee` stop this machine's timer executions (`states:StopExecution` on
   * `execution:<machine>:*`, nothing else): what the outbox relay does when a transition
   * supersedes a deadline, so open executions never exceed live deadlines.
   */
  grantStopTimers(grantee: ServiceFunction): Grant {
    const stack = Stack.of(this);
    const executions = stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${this.stateMachine.stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    Validations.of(grantee).acknowledge({
      // cdk-nag names a wildcard finding by its flattened resource.
      id: `AwsSolutions-IAM5[Resource::${flattenCfnReference(stack.resolve(executions))}]`,
      reason:
        "Execution names are chosen at run time (claim id, deadline kind, arming version), so StopExecution is granted on this state machine's executions: no other machine's, no other action.",
    });
    return Grant.addToPrincipal({ grantee, actions: ['states:StopExecution'], resourceArns: [executions] });
  }
}
