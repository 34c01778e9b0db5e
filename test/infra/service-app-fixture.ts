/**
 * Builds the CDK app the way `cdk synth` does, with the real `cdk.json` context, so the infra
 * tests check the deployed configuration rather than a copy of it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../infra/constructs/service-function.js';
import { createServiceApp, type ServiceApp } from '../../infra/service-app.js';

/** The `context` object of `cdk.json`. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

/** The stages configured in `cdk.json`. */
export function configuredStages(): string[] {
  return Object.keys(cdkJsonContext().stages as Record<string, unknown>);
}

/** One stage's configuration as `cdk.json` gives it. */
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
