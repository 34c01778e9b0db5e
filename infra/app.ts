/**
 * The `cdk` entry (`cdk.json` → `npx tsx infra/app.ts`). Select the stage with
 * `--context stage=prod` (default `dev`); stages are configured in `cdk.json` → `context.stages`.
 */
import { InvalidStageConfigError } from './config.js';
import { createServiceApp } from './service-app.js';

try {
  createServiceApp();
} catch (error) {
  if (!(error instanceof InvalidStageConfigError)) throw error;
  // A configuration mistake is the user's to fix: print the message, not a stack trace.
  console.error(error.message);
  process.exit(1);
}
