/**
 * Builds the whole CDK app for one stage: validated stage configuration, the stateful and
 * stateless stacks wired by typed props, tags, and cdk-nag. `app.ts` (the `cdk` entry) and the
 * infra tests both build it here, so the tests check exactly what `cdk synth` produces.
 */
import { App, type AppProps, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { resolveStage, type StageConfig } from './config.js';
import { ServiceFunction } from './constructs/service-function.js';
import { StatefulStack } from './stateful-stack.js';
import { StatelessStack } from './stateless-stack.js';

export interface ServiceAppOptions {
  /**
   * Props of the `App`, e.g. `context` in tests (the CLI passes `cdk.json` context itself).
   *
   * @default {}
   */
  readonly appProps?: AppProps;

  /**
   * Register the cdk-nag packs (AwsSolutions and Serverless), which fail the synth on any
   * unacknowledged finding.
   *
   * @default true
   */
  readonly nag?: boolean;
}

export interface ServiceApp {
  readonly app: App;
  readonly stage: string;
  readonly config: StageConfig;
  readonly stateful: StatefulStack;
  readonly stateless: StatelessStack;
}

/** The cdk-nag rule packs the app must pass; the infra tests run the same list. */
export function nagPacks(app?: App): [AwsSolutionsChecks, ServerlessChecks] {
  return [new AwsSolutionsChecks(app), new ServerlessChecks(app)];
}

/**
 * Builds the app for the stage selected by the `stage` context (default `dev`).
 *
 * @throws InvalidStageConfigError when the selected stage's configuration is missing or invalid.
 */
export function createServiceApp(options: ServiceAppOptions = {}): ServiceApp {
  const app = new App(options.appProps);
  const { stage, config } = resolveStage(app.node);

  Tags.of(app).add('service', ServiceFunction.SERVICE_NAME);
  Tags.of(app).add('stage', stage);

  // Environment-agnostic unless the CLI knows the target (`cdk deploy` with credentials), so
  // `cdk synth` works offline.
  const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
  const prefix = `CporClaims-${stage}`;

  const stateful = new StatefulStack(app, `${prefix}-Stateful`, {
    stage,
    env,
    description: `CPOR claims (${stage}): data that outlives deployments`,
    terminationProtection: true,
    portalOrigins: config.portalOrigins,
    malwareScanning: config.documents?.malwareScanning ?? false,
    ...(config.documents?.finalClaimRetention && {
      finalClaimRetention: config.documents.finalClaimRetention,
    }),
    senderAddress: config.senderAddress,
    ...(config.cognito && { cognito: config.cognito }),
    logRetention: config.logRetentionDays,
  });
  const pool = stateful.partnerUserPool;
  const stateless = new StatelessStack(app, `${prefix}-Stateless`, {
    stage,
    config,
    env,
    description: `CPOR claims (${stage}): functions, HTTP API, claim timer and outbox relay`,
    table: stateful.table,
    idempotencyTable: stateful.idempotencyTable,
    cursorSecret: stateful.cursorSecret,
    documentsBucket: stateful.documentsBucketExports,
    eventBus: stateful.eventBus.eventBus,
    emailIdentity: stateful.email.identity,
    emailConfigurationSetName: stateful.email.configurationSetName,
    consentSecret: stateful.consentSecret,
    jwtIssuer: pool?.issuer ?? config.jwtIssuer ?? '',
    jwtAudience: pool ? [pool.portalClient.userPoolClientId] : (config.jwtAudience ?? []),
  });

  if (options.nag ?? true) {
    Validations.of(app).addPlugins(...nagPacks(app));
  }
  return { app, stage, config, stateful, stateless };
}
