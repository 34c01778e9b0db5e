import type { PolicyViolation } from 'aws-cdk-lib';
import { Validations } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { nagPacks } from '../../infra/service-app.js';
import { buildServiceApp, configuredStages } from './service-app-fixture.js';

/** Every unacknowledged finding as `rule (severity) at path`, so a failure lists them all. */
function findingsOf(app: ReturnType<typeof buildServiceApp>['app']): string[] {
  return nagPacks().flatMap((pack) =>
    pack
      .validateScope(app)
      .violations.flatMap((v: PolicyViolation) =>
        v.violatingResources.map(
          (r) => `${v.ruleName} (${v.severity}) at ${r.constructPath}: ${v.description}`,
        ),
      ),
  );
}

describe.each(configuredStages())('cdk-nag (AwsSolutions, Serverless) on the %s stage', (stage) => {
  it('reports no unacknowledged finding, error or warning', () => {
    const { app } = buildServiceApp(stage);
    app.synth();
    expect(findingsOf(app)).toEqual([]);
  });

  it('is registered on the app, so `cdk synth` fails on a new finding', () => {
    const { app, stateless } = buildServiceApp(stage, { nag: true });
    // A queue without DLQ or TLS-only policy: the kind of change the check exists to stop.
    new Queue(stateless, 'UncheckedQueue');
    expect(() => app.synth()).toThrow(/UncheckedQueue[\s\S]*AwsSolutions-SQS3/);
  });
});

describe('cdk-nag acknowledgements', () => {
  it('every acknowledgement carries a written reason', () => {
    const { app } = buildServiceApp('dev');
    const acknowledged = app.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledged) {
      expect(reason.length, `reason of ${id}`).toBeGreaterThan(40);
    }
  });
});
