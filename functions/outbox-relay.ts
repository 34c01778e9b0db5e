/** Lambda entry: the outbox relay on the table's stream (timers, emails, domain events). */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SESClient } from '@aws-sdk/client-ses';
import { SFNClient } from '@aws-sdk/client-sfn';
import { buildRelayHandler } from './adapters/dynamodb-stream-relay.js';
import { EventBridgePublisher } from './adapters/eventbridge-publisher.js';
import { SesMailer } from './adapters/ses-mailer.js';
import { StepFunctionsTimerScheduler } from './adapters/sfn-timer-scheduler.js';
import { readConfig, relayEnvironment, resolveSecret } from './config.js';
import { lambdaObservability } from './observability.js';
import { createRelayDeps } from './wiring.js';

const config = readConfig(relayEnvironment);
const { logger, metrics } = lambdaObservability();

export const handler = buildRelayHandler({
  ...createRelayDeps({
    tableName: config.TABLE_NAME,
    consentSecret: await resolveSecret(config, 'CONSENT_SECRET'),
    publicBaseUrl: config.PUBLIC_BASE_URL,
    documentsBucketName: config.DOCUMENTS_BUCKET_NAME,
    timers: new StepFunctionsTimerScheduler(new SFNClient({}), config.STATE_MACHINE_ARN),
    mailer: new SesMailer(new SESClient({}), config.SENDER_ADDRESS, config.SES_CONFIGURATION_SET),
    publisher: new EventBridgePublisher(new EventBridgeClient({}), config.EVENT_BUS_NAME),
    logger,
  }),
  onEffect: (effect, detail) => {
    metrics.addDimensions({ effect, detail });
    metrics.addMetric(effect === 'emailFailed' ? 'EmailsFailed' : 'RelayEffects', 'Count', 1);
    metrics.publishStoredMetrics();
  },
});
