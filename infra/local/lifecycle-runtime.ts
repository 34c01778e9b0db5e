/**
 * What makes the lifecycle run by itself locally: aws-ses-v2-local for the emails, the stream
 * poller feeding the real outbox relay, aws-local-stepfunctions running the claim timers on
 * the virtual clock, and the local event log for domain events. `settle()` runs everything
 * that is due until nothing is left, so a clock advance returns only after its timers (and
 * the emails they cause) have happened.
 */
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { SESClient } from '@aws-sdk/client-ses';
import { buildRelayHandler } from '../../functions/adapters/dynamodb-stream-relay.js';
import { SesMailer } from '../../functions/adapters/ses-mailer.js';
import type { BusinessCalendarConfig } from '../../functions/domain/business-calendar.js';
import type { ManualClock } from '../../functions/domain/clock.js';
import { expireDeadline } from '../../functions/use-cases/expire-deadline.js';
import { createRelayDeps, createTimerDeps } from '../../functions/wiring.js';
import { createLocalDynamoDbClient, LOCAL_AWS_CREDENTIALS, LOCAL_AWS_REGION } from './dynamodb-local.js';
import type { LocalRoute } from './http-adapter.js';
import { LocalEventLog } from './local-event-log.js';
import { clockAdvanceRoute, json } from './local-routes.js';
import { persistedSecret } from './local-secrets.js';
import { createLocalTimers, type LocalTimers } from './local-timers.js';
import { type LocalSes, startLocalSes } from './ses-local.js';
import { type StreamPoller, startStreamPoller } from './stream-poller.js';

export const LOCAL_SENDER = 'no-reply@cpor-claims.local';

export interface LifecycleRuntimeOptions {
  dynamoDbEndpoint: string;
  tableName: string;
  clock: ManualClock;
  /** Moves the clock (the virtual clock persists its offset); default: `clock.advance`. */
  advanceClock?: (ms: number) => void;
  /** Where the consent links point: the local API's base URL. */
  publicBaseUrl: string;
  dataDir?: string;
  /** `SES_PORT`; 0 or unset: a free port. */
  sesPort?: number;
  /**
   * For a clock that moves with real time (`npm start`): brings it up to date; the runtime then
   * fires due timers every second, as Step Functions would. Unset: timers fire on `settle()`.
   */
  syncClock?: () => void;
  businessCalendar?: Partial<BusinessCalendarConfig>;
}

export interface LifecycleRuntime {
  ses: LocalSes;
  events: LocalEventLog;
  timers: LocalTimers;
  /** Relays every committed outbox event and fires every due timer, until nothing is left. */
  settle(): Promise<{ timersFired: number }>;
  routes: LocalRoute[];
  stop(): Promise<void>;
}

export async function startLifecycleRuntime(options: LifecycleRuntimeOptions): Promise<LifecycleRuntime> {
  const logger = new Logger({ serviceName: 'cpor-claims-local', logLevel: 'WARN' });
  const settings = {
    tableName: options.tableName,
    dynamoDbEndpoint: options.dynamoDbEndpoint,
    region: LOCAL_AWS_REGION,
    clock: options.clock,
    logger,
    ...(options.businessCalendar && { businessCalendar: options.businessCalendar }),
  };
  const ses = await startLocalSes({
    port: options.sesPort ?? 0,
    ...(options.dataDir && { dataDir: options.dataDir }),
  });
  const events = new LocalEventLog(options.dataDir ? join(options.dataDir, 'events.jsonl') : undefined);
  const timerDeps = createTimerDeps(settings);
  const timers = createLocalTimers({
    clock: options.clock,
    expire: (input) => expireDeadline(timerDeps, input),
    onError: (error, timer) => logger.error('Claim timer failed', { error: error as Error, ...timer }),
  });
  const sesClient = new SESClient({
    endpoint: ses.url,
    region: LOCAL_AWS_REGION,
    credentials: LOCAL_AWS_CREDENTIALS,
  });
  const relay = buildRelayHandler(
    createRelayDeps({
      ...settings,
      consentSecret: persistedSecret(options.dataDir, 'consent-secret'),
      publicBaseUrl: options.publicBaseUrl,
      timers,
      mailer: new SesMailer(sesClient, LOCAL_SENDER),
      publisher: events,
    }),
  );
  // Timers of claims written before this start (or while it was down) are armed again.
  const client = createLocalDynamoDbClient(options.dynamoDbEndpoint);
  await timers.rearmFromTable(client, options.tableName);
  client.destroy();
  const poller: StreamPoller = await startStreamPoller({
    endpoint: options.dynamoDbEndpoint,
    tableName: options.tableName,
    handler: relay,
    ...(options.dataDir && { checkpointFile: join(options.dataDir, 'stream-checkpoint.json') }),
    onError: (error) => logger.error('Stream poll failed', { error: error as Error }),
  });

  const ticker = options.syncClock
    ? setInterval(() => {
        options.syncClock?.();
        timers
          .fireDue()
          .catch((error: unknown) => logger.error('Timer tick failed', { error: error as Error }));
      }, 1000)
    : undefined;
  ticker?.unref();

  async function settle(): Promise<{ timersFired: number }> {
    let timersFired = 0;
    for (let round = 0; round < 100; round++) {
      await poller.drain();
      const fired = await timers.fireDue();
      timersFired += fired;
      if (fired === 0) return { timersFired };
    }
    throw new Error('Timers kept falling due after 100 rounds; is a timer failing?');
  }

  let stopping: Promise<void> | undefined;
  const advance = options.advanceClock ?? ((ms: number) => options.clock.advance(ms));
  const routes: LocalRoute[] = [
    clockAdvanceRoute(async (ms) => {
      await settle(); // whatever was already due happens at the old time first
      advance(ms);
      const { timersFired } = await settle();
      return { now: options.clock.now().toISOString(), timersFired, pendingTimers: timers.pending().length };
    }),
    {
      method: 'GET',
      path: '/_local/events',
      async handle() {
        await poller.drain();
        return json(200, { items: events.events });
      },
    },
    {
      method: 'GET',
      path: '/_local/timers',
      async handle() {
        return json(200, { items: timers.pending() });
      },
    },
  ];

  return {
    ses,
    events,
    timers,
    settle,
    routes,
    stop() {
      stopping ??= (async () => {
        if (ticker) clearInterval(ticker);
        await poller.stop();
        await ses.stop();
        sesClient.destroy();
      })();
      return stopping;
    },
  };
}
