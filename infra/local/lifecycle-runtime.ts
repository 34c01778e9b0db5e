/**
 * What makes the lifecycle run by itself locally: aws-ses-v2-local for the emails, the stream
 * poller feeding the real outbox relay, aws-local-stepfunctions running the claim timers on
 * the virtual clock, and the local event log for domain events. `settle()` runs everything
 * that is due until nothing is left, so a clock advance returns only after its timers (and
 * the emails they cause) have happened.
 */
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SESClient } from '@aws-sdk/client-ses';
import type { BusinessCalendarConfig } from '../../functions/domain/business-calendar.js';
import type { ManualClock } from '../../functions/domain/clock.js';
import type { DocumentRetention } from '../../functions/domain/ports/documents.js';
import type { TimerInput } from '../../functions/domain/timers.js';
import { buildRelayHandler } from '../../functions/events/outbox-relay-handler.js';
import { expireDeadline } from '../../functions/use-cases/expire-deadline.js';
import { createRelayDeps, createTimerDeps } from '../../functions/wiring.js';
import { createLocalDynamoDbClient, LOCAL_AWS_CREDENTIALS, LOCAL_AWS_REGION } from './dynamodb-local.js';
import type { LocalRoute } from './http-adapter.js';
import { LocalEventLog } from './local-event-log.js';
import { clockAdvanceRoute, json, unavailable } from './local-routes.js';
import { persistedSecret } from './local-secrets.js';
import { createLocalTimers, type LocalTimers } from './local-timers.js';
import { type LocalSes, startLocalSes } from './ses-local.js';
import { type StreamPoller, type StreamPollerHealth, startStreamPoller } from './stream-poller.js';

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
  /** Where final claims' documents are tagged for retention. Unset: no S3 here, nothing tagged. */
  documents?: DocumentRetention;
  /** The stream poller's DynamoDB Streams client (tests inject stream errors there). */
  streamsClient?: DynamoDBStreamsClient;
}

/**
 * What `GET /health` says locally: `ok`, or `degraded` with the reason when the outbox relay
 * cannot read the stream (or keeps failing a record) or claim timers fail.
 */
export interface LocalHealth {
  status: 'ok' | 'degraded';
  reason?: string;
  relay: StreamPollerHealth;
  timers: { status: 'ok' | 'degraded'; reason?: string; pending: number };
}

export interface LifecycleRuntime {
  ses: LocalSes;
  events: LocalEventLog;
  timers: LocalTimers;
  /** Relays every committed outbox event and fires every due timer, until nothing is left. */
  settle(): Promise<{ timersFired: number }>;
  health(): LocalHealth;
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
  /** Timers whose last run failed (they stay armed and run again), by execution key. */
  const failedTimers = new Map<string, string>();
  const timerKey = (t: TimerInput) => `${t.claimId}|${t.deadline}|${t.dueAt}`;
  let tickFailure: string | undefined;
  let timerFailures = 0;
  const timers = createLocalTimers({
    clock: options.clock,
    expire: (input) => expireDeadline(timerDeps, input),
    onError: (error, timer) => {
      timerFailures++;
      failedTimers.set(
        timerKey(timer),
        `the ${timer.deadline} timer of claim ${timer.claimId} failed: ${reasonOf(error)}`,
      );
      logger.error('Claim timer failed', { error: error as Error, ...timer });
    },
  });
  /** Fires what is due and keeps the timers' health: returns how many ran and how many of them failed. */
  async function fireDue(): Promise<{ fired: number; failed: number }> {
    const failuresBefore = timerFailures;
    try {
      const fired = await timers.fireDue();
      tickFailure = undefined;
      // A failed timer stays armed; once it is no longer pending, it went through.
      const pending = new Set(timers.pending().map(timerKey));
      for (const key of failedTimers.keys()) if (!pending.has(key)) failedTimers.delete(key);
      return { fired, failed: timerFailures - failuresBefore };
    } catch (error) {
      tickFailure = `firing due timers failed: ${reasonOf(error)}`;
      throw error;
    }
  }
  // Built here, not by `createRelayDeps`, so that stopping the runtime can close it.
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
      email: { sender: LOCAL_SENDER, client: sesClient },
      timers,
      events,
      documents: options.documents ?? { markFinal: async () => {} },
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
    ...(options.streamsClient && { streamsClient: options.streamsClient }),
    // Once per failure (and per new reason), not per retry; and once when it works again.
    onError: (error) =>
      logger.error('Stream poll failed; retrying from the checkpoint', { error: error as Error }),
    onRecover: () => logger.warn('Stream poll recovered'),
  });

  const ticker = options.syncClock
    ? setInterval(() => {
        options.syncClock?.();
        fireDue().catch((error: unknown) => logger.error('Timer tick failed', { error: error as Error }));
      }, 1000)
    : undefined;
  ticker?.unref();

  async function settle(): Promise<{ timersFired: number }> {
    let timersFired = 0;
    for (let round = 0; round < 100; round++) {
      await poller.drain();
      const { fired, failed } = await fireDue();
      timersFired += fired;
      // Only failures left (kept armed, reported by health()): another round would fail them again.
      if (fired === failed) return { timersFired };
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
    }, unavailableWhenStalled),
    {
      method: 'GET',
      path: '/_local/events',
      async handle() {
        try {
          await poller.drain();
        } catch (error) {
          return unavailableWhenStalled(error);
        }
        return json(200, { items: events.events });
      },
    },
    {
      method: 'GET',
      path: '/_local/timers',
      async handle() {
        // Live timers only: a superseded one (its claim moved on) still runs, as a no-op.
        const live = await timers.live(async (id) => (await timerDeps.store.get(id))?.claim);
        return json(200, { items: live });
      },
    },
  ];

  function health(): LocalHealth {
    const relay = poller.health();
    const timerReason = tickFailure ?? failedTimers.values().next().value;
    const timersHealth = {
      status: timerReason === undefined ? ('ok' as const) : ('degraded' as const),
      ...(timerReason !== undefined && { reason: timerReason }),
      pending: timers.pending().length,
    };
    const reason = [
      relay.reason && `outbox relay: ${relay.reason}`,
      timersHealth.reason && `timers: ${timersHealth.reason}`,
    ]
      .filter(Boolean)
      .join('; ');
    return {
      status: reason ? 'degraded' : 'ok',
      ...(reason && { reason }),
      relay,
      timers: timersHealth,
    };
  }

  /** A 503 problem naming why the lifecycle is stuck, instead of a bare 500 (the poller logged it). */
  function unavailableWhenStalled(error: unknown) {
    return unavailable(`The local lifecycle is stalled: ${health().reason ?? reasonOf(error)}.`);
  }

  return {
    ses,
    events,
    timers,
    settle,
    health,
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

function reasonOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
