/**
 * The code and the front door: one Lambda per `function` of the shared route table and the
 * HTTP API whose routes come from that table, the upload verifier, the claim timer and the
 * outbox relay. Stateful resources arrive through typed props; everything here can be
 * destroyed and redeployed without losing data.
 */
import { Annotations, CfnOutput, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { Bucket, type BucketAttributes } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { ConfigurationSet, type IEmailIdentity } from 'aws-cdk-lib/aws-ses';
import type { Construct } from 'constructs';
import { ROUTES, type RouteDefinition, type RouteFunction } from '../functions/http/routes.js';
import { DOCUMENT_PREFIX, UPLOAD_PREFIX } from '../functions/storage-layout/document-object-keys.js';
import { documentPolicyEnvironment, identityClaimsEnvironment, type StageConfig } from './config.js';
import { ApiCustomDomain } from './constructs/api-custom-domain.js';
import { ClaimTimer } from './constructs/claim-timer.js';
import { OutboxRelay } from './constructs/outbox-relay.js';
import { ServiceAlarms } from './constructs/service-alarms.js';
import { hasFunctionEntry, ServiceFunction } from './constructs/service-function.js';
import { ServiceHttpApi } from './constructs/service-http-api.js';
import { UploadVerifier } from './constructs/upload-verifier.js';

export interface StatelessStackProps extends StackProps {
  /** Deployment stage, e.g. `dev` or `prod`. */
  readonly stage: string;
  /** The stage's validated configuration. */
  readonly config: StageConfig;
  /** The single table (from the stateful stack). */
  readonly table: ITableV2;
  /** Idempotency records of `Idempotency-Key` POSTs (from the stateful stack). */
  readonly idempotencyTable: ITableV2;
  /** HMAC key of the list cursors (from the stateful stack). */
  readonly cursorSecret: ISecret;
  /** The PoE bucket's exports (from the stateful stack: `documentsBucketExports`). */
  readonly documentsBucket: Required<Pick<BucketAttributes, 'bucketArn' | 'bucketName'>>;
  /**
   * The route table to serve.
   *
   * @default ROUTES — the shared table of `functions/http/routes.ts`
   */
  readonly routes?: readonly RouteDefinition[];
  /**
   * SES configuration set the service sends with (from the stateful stack), for bounce and
   * complaint alarms; see `ServiceAlarms.watchEmail`.
   *
   * @default - only the account-wide SES reputation alarms
   */
  readonly emailConfigurationSetName?: string;
  /** The domain event bus (from the stateful stack). */
  readonly eventBus: IEventBus;
  /** The SES identity of `config.senderAddress` (from the stateful stack). */
  readonly emailIdentity: IEmailIdentity;
  /** HMAC key of the consent-link tokens (from the stateful stack). */
  readonly consentSecret: ISecret;
  /** Issuer of accepted tokens: the stage's `jwtIssuer` or its Cognito user pool's. */
  readonly jwtIssuer: string;
  /** Accepted audiences: the stage's `jwtAudience` or the user pool's portal client id. */
  readonly jwtAudience: readonly string[];
}

/** What each HTTP function is for and which resources it may use (least privilege per function). */
interface HttpFunctionWiring {
  readonly description: string;
  wire(fn: ServiceFunction, props: StatelessStackProps): void;
}

/**
 * Keyed by `RouteFunction`, so a new function in the route table's type does not compile
 * until someone decides what it may access.
 */
const HTTP_FUNCTIONS: Record<RouteFunction, HttpFunctionWiring> = {
  api: {
    description: 'CPOR claims HTTP API (partner and reviewer routes)',
    wire(fn, { table, idempotencyTable, cursorSecret, documentsBucket, config }) {
      // Claims, history, documents and comments: item reads, Query on the table and its
      // indexes, and transactions of Puts and Updates; no batch, no delete.
      fn.useTable(table, ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
      // Powertools idempotency: a conditional Put (a failed one returns the existing record,
      // so no GetItem), the Update that stores the response, the Delete after a failed request.
      fn.useTable(
        idempotencyTable,
        ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        'IDEMPOTENCY_TABLE_NAME',
        [],
      );
      fn.useSecret(cursorSecret, 'CURSOR_SECRET_ARN');
      // Presigned URLs carry the API role's permissions: POST uploads to the staging prefix,
      // GET verified documents. It never reads uploads nor writes verified documents.
      fn.useBucket(Bucket.fromBucketAttributes(fn, 'DocumentsBucket', documentsBucket), [
        { prefix: UPLOAD_PREFIX, actions: ['s3:PutObject'] },
        { prefix: DOCUMENT_PREFIX, actions: ['s3:GetObject'] },
      ]);
      for (const [name, value] of Object.entries({
        ...documentPolicyEnvironment(config.documents),
        ...identityClaimsEnvironment(config.identityClaims),
      })) {
        fn.function.addEnvironment(name, value);
      }
    },
  },
  consent: {
    description: 'CPOR claims customer consent pages',
    wire(fn, { table }) {
      // Public and unauthenticated: it reads the token and the claim items and writes the
      // objection's one transaction (claim, history, outbox: Puts); no index, no delete.
      fn.useTable(table, ['dynamodb:GetItem', 'dynamodb:PutItem'], 'TABLE_NAME', []);
    },
  },
};

/** The route table grouped by the Lambda that serves it, in table order. */
export function routesByFunction(routes: readonly RouteDefinition[]): Map<RouteFunction, RouteDefinition[]> {
  const groups = new Map<RouteFunction, RouteDefinition[]>();
  for (const route of routes) {
    const group = groups.get(route.function) ?? [];
    group.push(route);
    groups.set(route.function, group);
  }
  return groups;
}

export class StatelessStack extends Stack {
  /** Alarms, their topic and the dashboard; every `ServiceFunction` of this stack is watched. */
  readonly alarms: ServiceAlarms;
  readonly api: ServiceHttpApi;
  /** The Lambda behind each `function` of the route table that has an entry file. */
  readonly functions: ReadonlyMap<RouteFunction, ServiceFunction>;
  /** Routes left out because their function's entry file does not exist yet. */
  readonly skippedRoutes: readonly RouteDefinition[];
  /** The Lambda behind the PoE bucket's upload events. */
  readonly uploadVerifier: UploadVerifier;
  /** The claim deadline timer (state machine and its expire-deadline task). */
  readonly claimTimer: ClaimTimer;
  /** The Lambda on the table stream that carries out outbox events. */
  readonly outboxRelay: OutboxRelay;
  /** The stage's own domain for the API, when `customDomain` is configured. */
  readonly customDomain?: ApiCustomDomain;
  /**
   * The base of every public link the service sends (consent pages): `publicBaseUrl` when
   * configured, else the custom domain's URL, else the API's own endpoint (a token that
   * CloudFormation resolves to `https://<api-id>.execute-api.<region>.amazonaws.com`).
   */
  readonly publicBaseUrl: string;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { config, stage } = props;
    const routes = props.routes ?? ROUTES;

    // First, so that every ServiceFunction created below registers itself with the alarms.
    this.alarms = new ServiceAlarms(this, 'Alarms', {
      namePrefix: `cpor-claims-${stage}`,
      alarmEmail: config.alarmEmail,
    });
    this.alarms.watchEmail({ configurationSetName: props.emailConfigurationSetName });

    this.api = new ServiceHttpApi(this, 'Api', {
      apiName: `cpor-claims-${stage}`,
      jwtIssuer: props.jwtIssuer,
      jwtAudience: props.jwtAudience,
      jwtScopes: config.jwtScopes,
      allowOrigins: config.portalOrigins,
      allowMethods: [...new Set(routes.map((r) => r.method))],
      throttle: config.throttling,
      accessLogRetention: config.logRetentionDays,
    });
    this.alarms.watchHttpApi(this.api.api);
    if (config.customDomain) {
      this.customDomain = new ApiCustomDomain(this, 'CustomDomain', {
        ...config.customDomain,
        api: this.api.api,
        stage: this.api.stage,
      });
    }
    // The relay is not integrated into the API, so referring to the API here makes no cycle.
    this.publicBaseUrl = config.publicBaseUrl ?? this.customDomain?.url ?? this.api.api.apiEndpoint;

    const calendar = config.businessCalendar;
    const calendarEnvironment = {
      BUSINESS_CALENDAR_COUNTRY: calendar.country,
      BUSINESS_CALENDAR_TIME_ZONE: calendar.timeZone,
      ...(calendar.region !== undefined && { BUSINESS_CALENDAR_REGION: calendar.region }),
    };
    const functions = new Map<RouteFunction, ServiceFunction>();
    const skipped: RouteDefinition[] = [];
    for (const [name, functionRoutes] of routesByFunction(routes)) {
      // The route table may list a function before its entry file lands (it grows issue by
      // issue); its routes are then left out rather than deployed without a handler.
      if (!hasFunctionEntry(name)) {
        skipped.push(...functionRoutes);
        continue;
      }
      const wiring = HTTP_FUNCTIONS[name];
      const fn = new ServiceFunction(this, `${pascalCase(name)}Function`, {
        entryName: name,
        description: wiring.description,
        logRetention: config.logRetentionDays,
        reservedConcurrentExecutions: config.reservedConcurrency?.[name],
        environment: calendarEnvironment,
      });
      wiring.wire(fn, props);
      Validations.of(fn).acknowledge({
        id: 'Serverless-LambdaDLQ',
        reason:
          'Invoked synchronously by API Gateway: a failure goes back to the caller as a 5xx; a DLQ only ever receives failed asynchronous invocations.',
      });
      // One integration per function, shared by its routes (each route still gets its own
      // invoke permission, scoped to that route's ARN).
      const integration = new HttpLambdaIntegration(`${pascalCase(name)}Integration`, fn.function);
      for (const route of functionRoutes) this.api.addRoute(route, integration);
      functions.set(name, fn);
    }
    this.functions = functions;
    this.skippedRoutes = skipped;
    this.uploadVerifier = new UploadVerifier(this, 'UploadVerifier', {
      bucket: Bucket.fromBucketAttributes(this, 'DocumentsBucket', props.documentsBucket),
      table: props.table,
      logRetention: config.logRetentionDays,
      documentPolicyEnvironment: documentPolicyEnvironment(config.documents),
      malwareScanning: config.documents?.malwareScanning ?? false,
      reservedConcurrentExecutions: config.reservedConcurrency?.['verify-upload'],
    });
    if (skipped.length > 0) {
      Annotations.of(this).addWarningV2(
        'cpor:RoutesWithoutEntry',
        `Not deployed, no entry file in functions/ yet: ${skipped.map((r) => `${r.method} ${r.path} (${r.function})`).join(', ')}`,
      );
    }

    this.claimTimer = new ClaimTimer(this, 'ClaimTimer', {
      table: props.table,
      logRetention: config.logRetentionDays,
      calendarEnvironment,
      reservedConcurrentExecutions: config.reservedConcurrency?.['expire-deadline'],
    });
    this.outboxRelay = new OutboxRelay(this, 'OutboxRelay', {
      table: props.table,
      timerStateMachine: this.claimTimer.stateMachine,
      documentsBucket: Bucket.fromBucketAttributes(this, 'RelayDocumentsBucket', props.documentsBucket),
      eventBus: props.eventBus,
      emailIdentity: props.emailIdentity,
      senderAddress: config.senderAddress,
      ...(props.emailConfigurationSetName !== undefined && {
        emailConfigurationSet: ConfigurationSet.fromConfigurationSetName(
          this,
          'EmailConfigurationSet',
          props.emailConfigurationSetName,
        ),
      }),
      consentSecret: props.consentSecret,
      publicBaseUrl: this.publicBaseUrl,
      portalUrl: config.portalUrl,
      timeZone: calendar.timeZone,
      logRetention: config.logRetentionDays,
      reservedConcurrentExecutions: config.reservedConcurrency?.['outbox-relay'],
    });
    this.claimTimer.grantStopTimers(this.outboxRelay.function);

    new CfnOutput(this, 'ApiUrl', {
      description: 'Base URL of the claims API',
      value: this.api.url,
    });
    new CfnOutput(this, 'PublicBaseUrl', {
      description: 'Base of the links in emails (consent pages): the custom domain or the API URL',
      value: this.publicBaseUrl,
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      description: 'SNS topic of every alarm (subscribe a pager or chat integration here)',
      value: this.alarms.topic.topicArn,
    });
    new CfnOutput(this, 'DashboardUrl', {
      description: 'The CloudWatch dashboard of the stage',
      value: `https://console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards/dashboard/${this.alarms.dashboard.dashboardName}`,
    });
    new CfnOutput(this, 'ClaimTimerStateMachineArn', {
      description:
        'The claim timer (one execution per armed deadline, named <claimId>-<deadline>-v<version>)',
      value: this.claimTimer.stateMachine.stateMachineArn,
    });
    new CfnOutput(this, 'OutboxRelayFunctionName', {
      description: 'The outbox relay Lambda (invoke it with {"Records": [...]} to replay outbox events)',
      value: this.outboxRelay.function.function.functionName,
    });
    new CfnOutput(this, 'OutboxRelayDeadLetterQueueUrl', {
      description: "Dead-letter queue of the outbox relay's stream mapping (failed batches)",
      value: this.outboxRelay.deadLetterQueue.queueUrl,
    });
  }
}

function pascalCase(name: string): string {
  return name.replace(/(^|[-_])([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}
