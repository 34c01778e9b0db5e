/**
 * A Lambda function of the claims service with the defaults fixed once: Node 22 on arm64,
 * minified ESM bundle with source maps, active tracing, JSON logs in a log group with the
 * stage's retention, its own least-privilege role. Access to a resource is granted through
 * methods that also pass the resource's name to the function, so config and permission
 * cannot drift apart.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { Grant, type IGrantable, type IPrincipal, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  ApplicationLogLevel,
  Architecture,
  LoggingFormat,
  Runtime,
  SystemLogLevel,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IConfigurationSet, IEmailIdentity } from 'aws-cdk-lib/aws-ses';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import { Construct } from 'constructs';
import { INDEXES } from '../../functions/storage-layout/table-schema.js';
import { leanDependencyAliases } from './lean-dependencies.js';
import { ServiceAlarms } from './service-alarms.js';

/** The repository root: `functions/`, `package-lock.json` and `tsconfig.json` live here. */
export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The entry file of a Lambda named `name`: `functions/<name>.ts`, exporting `handler`. */
export function functionEntry(name: string): string {
  return join(PROJECT_ROOT, 'functions', `${name}.ts`);
}

/** Whether the entry file of the Lambda `name` exists yet. */
export function hasFunctionEntry(name: string): boolean {
  return existsSync(functionEntry(name));
}

/**
 * ESM bundles have no `require`; CommonJS dependencies that call it (for Node built-ins) get
 * one made from `import.meta.url`. The alias avoids clashing with a bundled `createRequire`.
 */
const ESM_REQUIRE_SHIM =
  "import { createRequire as __cporCreateRequire } from 'node:module'; const require = __cporCreateRequire(import.meta.url);";

/**
 * The environment variable naming the function's business calendar country; the bundle then
 * carries only that country's holiday rules (`lean-dependencies.ts`).
 */
export const BUSINESS_CALENDAR_COUNTRY_ENV = 'BUSINESS_CALENDAR_COUNTRY';

/** Object actions a function may be granted on a bucket prefix (listing: `listKeys`). */
export type ObjectAction =
  | 's3:GetObject'
  | 's3:PutObject'
  | 's3:DeleteObject'
  | 's3:GetObjectTagging'
  | 's3:PutObjectTagging';

/** Object actions on the keys under one prefix of a bucket. */
export interface BucketPrefixGrant {
  /** Key prefix, e.g. `uploads/`; the grant covers `<prefix>*`. */
  readonly prefix: string;
  readonly actions: readonly ObjectAction[];
  /**
   * Also `s3:ListBucket` on the bucket, for keys under the prefix only (`s3:prefix`
   * condition). S3 answers a GET or HEAD of a missing key with 404 only to a caller allowed to
   * list it (with the key as `s3:prefix`), to anyone else with 403 AccessDenied: a function
   * that must tell "not there" from "not allowed" needs it.
   *
   * @default false
   */
  readonly listKeys?: boolean;
}

/**
 * Item actions a function may be granted on a table: exactly those its code calls (the
 * deployed-functions test records them). `Scan` is deliberately absent: every list is a
 * `Query` (design: no Scan on request paths), and IAM enforces it. Transactions need no action
 * of their own; `TransactWriteItems` is authorized per contained Put/Update/Delete/ConditionCheck.
 */
export type TableItemAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:BatchGetItem'
  | 'dynamodb:Query'
  | 'dynamodb:ConditionCheckItem'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:BatchWriteItem';

export interface ServiceFunctionProps {
  /**
   * Name of the entry in `functions/` (without `.ts`); the file must export `handler`.
   */
  readonly entryName: string;

  /** What the function does, shown in the console. */
  readonly description: string;

  /** Retention of the function's log group. */
  readonly logRetention: RetentionDays;

  /**
   * Memory in MB; CPU scales with it, so cold starts of the bundled SDK shrink as it grows.
   *
   * @default 1024
   */
  readonly memorySize?: number;

  /**
   * Maximum run time of one invocation.
   *
   * @default Duration.seconds(10) — above the API's p99 with headroom, below the HTTP API's
   *   30-second integration timeout.
   */
  readonly timeout?: Duration;

  /**
   * Reserved concurrency: caps the function (and guarantees it that much) where a runaway
   * would starve the account or hammer a downstream.
   *
   * @default - no reservation; the function shares the account's unreserved pool.
   */
  readonly reservedConcurrentExecutions?: number;

  /**
   * Plain environment variables (configuration, not resource names: those come with the
   * grant methods). With `BUSINESS_CALENDAR_COUNTRY` set, only that country's holiday rules
   * are bundled (see `leanDependencies`).
   *
   * @default - only the service-wide variables (Powertools service name, source maps).
   */
  readonly environment?: Readonly<Record<string, string>>;

  /**
   * Bundle leaner stand-ins of moment-timezone (IANA data 2000–2100), zod (without
   * `z.locales`) and date-holidays (the configured country only): same behaviour for this
   * service, about 1.2 MB less code to load at each cold start. See `lean-dependencies.ts`.
   *
   * @default true
   */
  readonly leanDependencies?: boolean;

  /**
   * Where asynchronous invocations (e.g. S3 event notifications) go after Lambda's retries
   * failed; the function gets `sqs:SendMessage` on it.
   *
   * @default - none (fine for functions invoked synchronously only)
   */
  readonly deadLetterQueue?: IQueue;

  /**
   * Minimum level of application logs that Lambda keeps (also read by Powertools Logger).
   *
   * @default ApplicationLogLevel.INFO
   */
  readonly applicationLogLevel?: ApplicationLogLevel;

  /**
   * Removal policy of the log group.
   *
   * @default RemovalPolicy.RETAIN — logs outlive a deleted stack until their retention ends.
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** What `ServiceFunction.useEmailIdentity` grants and passes. */
export interface UseEmailIdentityOptions {
  /** The verified identity (domain or address) that `sender` belongs to. */
  readonly identity: IEmailIdentity;
  /** The From address, the only one the grant allows. */
  readonly sender: string;
  /**
   * The configuration set the function sends with.
   *
   * @default - none (no `SES_CONFIGURATION_SET`)
   */
  readonly configurationSet?: IConfigurationSet;
}

/** One Lambda function of the service, built from `functions/<entryName>.ts`. */
export class ServiceFunction extends Construct implements IGrantable {
  /** The service name every function reports to Powertools (logs, metrics, traces). */
  static readonly SERVICE_NAME = 'cpor-claims';

  readonly function: NodejsFunction;
  readonly logGroup: LogGroup;
  readonly role: Role;
  readonly grantPrincipal: IPrincipal;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    const entry = functionEntry(props.entryName);
    if (!existsSync(entry)) {
      throw new Error(`ServiceFunction ${this.node.path}: entry file ${entry} does not exist.`);
    }

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });

    // An own role instead of the default one: the default attaches the AWS managed
    // AWSLambdaBasicExecutionRole (log writes to every log group); this one writes to its own group only.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${Stack.of(this).stackName}/${id}`,
    });
    this.logGroup.grantWrite(this.role);
    this.grantPrincipal = this.role;

    this.function = new NodejsFunction(this, 'Function', {
      entry,
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.seconds(10),
      ...(props.reservedConcurrentExecutions !== undefined && {
        reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      }),
      role: this.role,
      ...(props.deadLetterQueue && { deadLetterQueue: props.deadLetterQueue }),
      tracing: Tracing.ACTIVE,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: props.applicationLogLevel ?? ApplicationLogLevel.INFO,
      systemLogLevelV2: SystemLogLevel.WARN,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: ServiceFunction.SERVICE_NAME,
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        platform: 'node',
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_SHIM,
        minify: true,
        sourceMap: true,
        // Linked (not `external`): the bundle must end with its `sourceMappingURL` comment,
        // or `--enable-source-maps` finds no map.
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: false,
        // Ship the SDK version the tests ran against instead of whatever the runtime carries
        // (AWS's Lambda best practice: control every dependency of the deployment package).
        bundleAwsSDK: true,
        externalModules: [],
        tsconfig: join(PROJECT_ROOT, 'tsconfig.json'),
        ...((props.leanDependencies ?? true) && {
          esbuildArgs: aliasArgs(
            leanDependencyAliases({
              projectRoot: PROJECT_ROOT,
              holidaysCountry: props.environment?.[BUSINESS_CALENDAR_COUNTRY_ENV],
            }),
          ),
        }),
      },
    });

    // Acknowledged here, where the cause lives, so every service function carries the reason.
    Validations.of(this).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Active X-Ray tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions (Resource must be *).',
      },
      ...['AwsSolutions-L1', 'Serverless-LambdaLatestVersion'].map((id) => ({
        id,
        reason:
          'Pinned to Node.js 22 on purpose: it is the version the project develops and tests on (the `node` devDependency), and middy 7 / vitest 5 require it. Move to a newer runtime together with that pin.',
      })),
    );

    // Every function of a stack with alarms gets its error and throttle alarms and dashboard lines.
    ServiceAlarms.of(this)?.watchFunction(this);
  }

  /**
   * Grants item actions on `table` (the table and, for `Query`, each of its named indexes; no
   * `index/*` wildcard, never `Scan`) and passes its name as `envName`.
   *
   * @param actions exactly the item actions the function performs
   * @param envName environment variable that receives the table name
   * @param indexNames the indexes it queries (only with `dynamodb:Query`)
   */
  useTable(
    table: ITableV2,
    actions: readonly TableItemAction[],
    envName = 'TABLE_NAME',
    indexNames: readonly string[] = Object.keys(INDEXES),
  ): Grant {
    this.function.addEnvironment(envName, table.tableName);
    const itemGrant = Grant.addToPrincipal({
      grantee: this,
      actions: [...actions],
      resourceArns: [table.tableArn],
    });
    if (indexNames.length === 0 || !actions.includes('dynamodb:Query')) return itemGrant;
    const indexGrant = Grant.addToPrincipal({
      grantee: this,
      actions: ['dynamodb:Query'],
      resourceArns: indexNames.map((indexName) => `${table.tableArn}/index/${indexName}`),
    });
    return itemGrant.combine(indexGrant);
  }

  /**
   * Grants object actions on prefixes of `bucket` (never the whole bucket; listing only under
   * a prefix, with `listKeys`) and passes the bucket's name as `envName`.
   *
   * @param grants which actions on which key prefix
   * @param envName environment variable that receives the bucket name
   */
  useBucket(bucket: IBucket, grants: readonly BucketPrefixGrant[], envName = 'DOCUMENTS_BUCKET_NAME'): Grant {
    this.function.addEnvironment(envName, bucket.bucketName);
    const [first, ...rest] = grants.map((grant) =>
      Grant.addToPrincipal({
        grantee: this,
        actions: [...grant.actions],
        resourceArns: [bucket.arnForObjects(`${grant.prefix}*`)],
      }),
    );
    if (!first) throw new Error(`ServiceFunction ${this.node.path}: useBucket needs at least one grant.`);
    const listGrants = grants
      .filter((grant) => grant.listKeys)
      .map((grant) =>
        Grant.addToPrincipal({
          grantee: this,
          actions: ['s3:ListBucket'],
          resourceArns: [bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': `${grant.prefix}*` } },
        }),
      );
    for (const grant of grants) {
      // cdk-nag names a wildcard finding by its flattened resource; with the bucket imported
      // under a fixed export name that string is known now.
      const resource = flattenCfnReference(Stack.of(this).resolve(bucket.arnForObjects(`${grant.prefix}*`)));
      Validations.of(this).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${resource}]`,
        reason: `Keys under ${grant.prefix} are chosen at run time (claim and document ids), so the grant covers that prefix: only ${grant.actions.join(', ')}, nothing elsewhere in the bucket, no bucket-level action.`,
      });
    }
    return [...rest, ...listGrants].reduce((all, grant) => all.combine(grant), first);
  }

  /**
   * Grants `secretsmanager:GetSecretValue` on `secret` (what the function calls; not
   * `DescribeSecret`, which `grantRead` adds) and passes its ARN as `envName`; the function
   * fetches the value once per cold start. The secrets use AWS's own key, so no KMS grant.
   *
   * @param envName environment variable that receives the secret's ARN
   */
  useSecret(secret: ISecret, envName: string): Grant {
    this.function.addEnvironment(envName, secret.secretArn);
    if (secret.encryptionKey)
      throw new Error(`${this.node.path}: a secret with a KMS key needs kms:Decrypt too.`);
    return Grant.addToPrincipal({
      grantee: this,
      actions: ['secretsmanager:GetSecretValue'],
      resourceArns: [secret.secretArn],
    });
  }

  /**
   * Grants `states:StartExecution` on `machine` (not describe, stop or any other machine) and
   * passes its ARN as `envName`.
   *
   * @param envName environment variable that receives the state machine's ARN
   */
  useStateMachine(machine: IStateMachine, envName = 'STATE_MACHINE_ARN'): Grant {
    this.function.addEnvironment(envName, machine.stateMachineArn);
    return machine.grantStartExecution(this);
  }

  /**
   * Grants `events:PutEvents` on `bus` only and passes its name as `envName`.
   *
   * @param envName environment variable that receives the bus name
   */
  useEventBus(bus: IEventBus, envName = 'EVENT_BUS_NAME'): Grant {
    this.function.addEnvironment(envName, bus.eventBusName);
    return bus.grantPutEventsTo(this);
  }

  /**
   * Grants `ses:SendEmail` (SES v1 `SendEmail`, what the service's mailer calls) on the sender's
   * identity and the configuration set, only with `sender` as the From address, and passes the
   * address as `SENDER_ADDRESS` and the set's name as `SES_CONFIGURATION_SET`.
   */
  useEmailIdentity(options: UseEmailIdentityOptions): Grant {
    const { identity, sender, configurationSet } = options;
    this.function.addEnvironment('SENDER_ADDRESS', sender);
    const resourceArns = [identity.emailIdentityArn];
    if (configurationSet) {
      this.function.addEnvironment('SES_CONFIGURATION_SET', configurationSet.configurationSetName);
      // SES authorizes a send against the configuration set it uses as well as the identity.
      resourceArns.push(
        Stack.of(this).formatArn({
          service: 'ses',
          resource: 'configuration-set',
          resourceName: configurationSet.configurationSetName,
        }),
      );
    }
    return Grant.addToPrincipal({
      grantee: this,
      actions: ['ses:SendEmail'],
      resourceArns,
      conditions: { StringEquals: { 'ses:FromAddress': sender } },
    });
  }
}

/** esbuild `--alias:<package>=<path>` arguments. */
function aliasArgs(aliases: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(aliases).map(([name, path]) => [`--alias:${name}`, path]));
}
