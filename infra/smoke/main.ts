/**
 * `npm run smoke -- --stage <stage> [--region <region>] [--origin <portal origin>]`: the smoke
 * test after a deploy. Reads the stage's stack outputs (CloudFormation), takes a portal origin
 * from the stage's configuration in cdk.json, and runs `runSmoke` against the deployed API;
 * with the stage's Cognito pool it walks a claim as a throw-away smoke user. Exit code 0 when
 * every check passed. Uses the caller's AWS credentials (the deploying role is enough:
 * `cloudformation:DescribeStacks`, and `cognito-idp:Admin*` on the pool).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { resolveStage } from '../config.js';
import { PROJECT_ROOT } from '../constructs/service-function.js';
import { CognitoSmokeIdentity } from './cognito-smoke-user.js';
import { runSmoke } from './smoke-checks.js';
import { CloudFormationClient, readStageOutputs } from './stack-outputs.js';

const { values } = parseArgs({
  options: {
    stage: { type: 'string' },
    region: { type: 'string' },
    origin: { type: 'string' },
    'partner-id': { type: 'string', default: 'cpor-smoke' },
  },
});
const stage = values.stage;
if (!stage) {
  console.error('Usage: npm run smoke -- --stage <stage> [--region <region>] [--origin <portal origin>]');
  process.exit(2);
}

const context = (
  JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }
).context;
const { config } = resolveStage({ tryGetContext: (key) => (key === 'stage' ? stage : context[key]) });
const portalOrigin = values.origin ?? config.portalOrigins[0];
if (!portalOrigin) throw new Error(`stages.${stage}.portalOrigins is empty: pass --origin.`);

const clientConfig = values.region ? { region: values.region } : {};
const outputs = await readStageOutputs(new CloudFormationClient(clientConfig), stage);
const report = await runSmoke({
  apiUrl: outputs.apiUrl,
  portalOrigin,
  partnerId: values['partner-id'],
  ...(outputs.cognito && {
    identity: new CognitoSmokeIdentity({
      client: new CognitoIdentityProviderClient(clientConfig),
      userPoolId: outputs.cognito.userPoolId,
      clientId: outputs.cognito.portalClientId,
    }),
  }),
});
console.log(`Smoke test of ${stage} at ${outputs.apiUrl}`);
for (const check of report.checks)
  console.log(`${check.ok ? 'PASS' : 'FAIL'}  ${check.name}: ${check.detail}`);
process.exitCode = report.ok ? 0 : 1;
