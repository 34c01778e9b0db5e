/**
 * Builds the CDK app the way `cdk synth` does, with the real `cdk.json` context, so the infra
 * tests check the deployed configuration rather than a copy of it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../infra/constructs/service-function.js';
import { createServiceApp, type ServiceApp } from '../../infra/service-app.js';

/** The `context` object of `cdk.json` exactly as the repository ships it. */
export function shippedCdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

/**
 * What a platform engineer puts in place of `prod`'s example values before deploying it (the
 * shipped `prod` fails the synth on purpose: placeholders cannot ship). Realistic, not
 * reserved: an Entra ID v2.0 tenant and API client id, the service's own domain.
 */
export const DEPLOYER_VALUES: Record<string, Record<string, unknown>> = {
  prod: {
    jwtIssuer: 'https://login.microsoftonline.com/3f0d6b2a-8c4e-4d1f-9a7b-2e5c1d0f4a86/v2.0',
    jwtAudience: ['6b1e9c47-0d2a-4f8e-b3c5-91a7e2d4f608'],
    portalOrigins: ['https://partners.cpor-claims.net', 'https://review.cpor-claims.net'],
    portalUrl: 'https://partners.cpor-claims.net',
    senderAddress: 'no-reply@claims.cpor-claims.net',
    customDomain: {
      domainName: 'claims.cpor-claims.net',
      hostedZone: { id: 'Z04512345ABCDEFGHIJKL', name: 'cpor-claims.net' },
    },
    alarmEmail: 'cpor-claims-oncall@cpor-claims.net',
  },
};

/** The `context` object of `cdk.json` with each stage's example values filled in as a deployer would. */
export function cdkJsonContext(): Record<string, unknown> {
  const context = shippedCdkJsonContext();
  const stages = context.stages as Record<string, Record<string, unknown>>;
  return {
    ...context,
    stages: Object.fromEntries(
      Object.entries(stages).map(([stage, config]) => [stage, { ...config, ...DEPLOYER_VALUES[stage] }]),
    ),
  };
}

/** The stages configured in `cdk.json`. */
export function configuredStages(): string[] {
  return Object.keys(cdkJsonContext().stages as Record<string, unknown>);
}

/** One stage's configuration as `cdkJsonContext` gives it. */
export function stageContext(stage: string): Record<string, unknown> {
  const stages = cdkJsonContext().stages as Record<string, Record<string, unknown>>;
  const config = stages[stage];
  if (!config) throw new Error(`cdk.json has no stage ${stage}`);
  return structuredClone(config);
}

export interface BuildOptions {
  /** Extra or overriding context values (e.g. a broken `stages`). */
  context?: Record<string, unknown>;
  /**
   * Bundle the functions with esbuild, as `cdk synth` does. Off for tests that do not look
   * at the code asset (the CLI's `--exclusively` mechanism: an empty `aws:cdk:bundling-stacks`).
   */
  bundle?: boolean;
  /** Register the cdk-nag packs, as `infra/app.ts` does. */
  nag?: boolean;
}

export function buildServiceApp(stage: string, options: BuildOptions = {}): ServiceApp {
  return createServiceApp({
    appProps: {
      context: {
        ...cdkJsonContext(),
        stage,
        ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
        ...options.context,
      },
    },
    nag: options.nag ?? false,
  });
}
