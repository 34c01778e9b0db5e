/**
 * Bench (g): claim timers per full lifecycle (issue 16, item 2). Walks the approve, reject and
 * dispute paths (test/support/timer-lifecycles.ts) on the local stack, where the real relay
 * starts and stops executions of claim-timer.asl.json on aws-local-stepfunctions, and counts
 * executions started, stopped and run to their end, the state transitions AWS bills for them,
 * and the execution-days they stay open (what the open-executions quota sees). The same walk
 * without stops is the baseline: every execution open until its due time, then run.
 * `projectTimerCosts` turns the figures into a month at 10 k, 1 M and 10 M claims.
 */
import { DynamoDbClaimStore } from '../../functions/adapters/dynamodb-claim-store.js';
import { ManualClock } from '../../functions/domain/clock.js';
import { createDocumentClient } from '../../functions/wiring.js';
import { ensureTable } from '../../infra/local/create-table.js';
import { createLocalDynamoDbClient } from '../../infra/local/dynamodb-local.js';
import { startLifecycleRuntime } from '../../infra/local/lifecycle-runtime.js';
import { TIMER_LIFECYCLES, type TimerLifecycle, walkLifecycle } from '../support/timer-lifecycles.js';
import { printTable, round } from './support.js';

/**
 * State transitions AWS bills per timer execution (Standard): entering each state and leaving
 * the last, so a timer that runs is Wait + Task + end = 3, and one stopped while it waits
 * entered only its Wait = 1. A `DeadlineNotYetDue` retry adds one (rare: a clock behind).
 */
export const TRANSITIONS_PER_EXECUTION = { completed: 3, stopped: 1 } as const;

/**
 * Step Functions Standard price and default quotas (per account and region): price
 * https://aws.amazon.com/step-functions/pricing/, quotas
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html (us-east-1, us-west-2
 * and eu-west-1; other regions in parentheses in the README).
 */
export const STEP_FUNCTIONS = {
  usdPerThousandTransitions: 0.025,
  openExecutions: 1_000_000,
  startExecutionPerSecond: 300,
  stopExecutionPerSecond: 200,
  stateTransitionsPerSecond: 1_500,
} as const;

export const MONTHLY_CLAIMS = [10_000, 1_000_000, 10_000_000] as const;
const SECONDS_PER_MONTH = (365.25 / 12) * 24 * 3600;
const DAYS_PER_MONTH = 365.25 / 12;

export interface TimerFigures {
  started: number;
  stopped: number;
  completed: number;
  stateTransitions: number;
  /** Expire-deadline Lambda invocations (one per execution that runs). */
  expireInvocations: number;
  openExecutionDays: number;
}

export interface LifecycleTimers {
  path: TimerLifecycle;
  measured: TimerFigures;
  /** The same lifecycle had superseded timers not been stopped (every execution runs). */
  withoutStops: TimerFigures;
}

/** Measures every path on a runtime of its own over `endpoint`'s DynamoDB Local. */
export async function measureTimerLifecycles(endpoint: string): Promise<LifecycleTimers[]> {
  const raw = createLocalDynamoDbClient(endpoint);
  const tableName = 'bench-timers';
  await ensureTable(raw, tableName);
  const clock = new ManualClock(new Date());
  const store = new DynamoDbClaimStore(createDocumentClient(raw), tableName);
  const runtime = await startLifecycleRuntime({
    dynamoDbEndpoint: endpoint,
    tableName,
    clock,
    publicBaseUrl: 'http://127.0.0.1:9',
  });
  try {
    const rows: LifecycleTimers[] = [];
    for (const path of Object.keys(TIMER_LIFECYCLES) as TimerLifecycle[]) {
      const before = runtime.timers.counts();
      const walk = await walkLifecycle({ store, clock, runtime }, `bench-${path}`, TIMER_LIFECYCLES[path]);
      const after = runtime.timers.counts();
      const started = after.started - before.started;
      const stopped = after.stopped - before.stopped;
      const completed = after.completed - before.completed;
      rows.push({
        path,
        measured: {
          started,
          stopped,
          completed,
          stateTransitions:
            completed * TRANSITIONS_PER_EXECUTION.completed + stopped * TRANSITIONS_PER_EXECUTION.stopped,
          expireInvocations: completed,
          openExecutionDays: round(walk.openExecutionDays, 2),
        },
        withoutStops: {
          started,
          stopped: 0,
          completed: started,
          stateTransitions: started * TRANSITIONS_PER_EXECUTION.completed,
          expireInvocations: started,
          openExecutionDays: round(walk.openExecutionDaysWithoutStops, 2),
        },
      });
    }
    return rows;
  } finally {
    await runtime.stop();
    raw.destroy();
  }
}

export interface MonthProjection {
  claimsPerMonth: number;
  stateTransitions: number;
  usd: number;
  /** Open executions at steady state: claims a day × execution-days per claim (Little's law). */
  openExecutions: number;
  startsPerSecond: number;
  stopsPerSecond: number;
  /** The claims a month at which the open-executions quota is reached. */
  openExecutionsQuotaAtClaims: number;
}

/** A month of `claims` lifecycles, each path an equal share of them. */
export function projectTimerCosts(rows: readonly LifecycleTimers[], which: 'measured' | 'withoutStops') {
  const mean = (pick: (f: TimerFigures) => number) =>
    rows.reduce((sum, row) => sum + pick(row[which]), 0) / rows.length;
  const perClaim = {
    started: mean((f) => f.started),
    stopped: mean((f) => f.stopped),
    stateTransitions: mean((f) => f.stateTransitions),
    openExecutionDays: mean((f) => f.openExecutionDays),
  };
  const quotaAt = (STEP_FUNCTIONS.openExecutions * DAYS_PER_MONTH) / perClaim.openExecutionDays;
  return MONTHLY_CLAIMS.map(
    (claims): MonthProjection => ({
      claimsPerMonth: claims,
      stateTransitions: Math.round(claims * perClaim.stateTransitions),
      usd: round((claims * perClaim.stateTransitions * STEP_FUNCTIONS.usdPerThousandTransitions) / 1000, 2),
      openExecutions: Math.round((claims / DAYS_PER_MONTH) * perClaim.openExecutionDays),
      startsPerSecond: round((claims * perClaim.started) / SECONDS_PER_MONTH, 2),
      stopsPerSecond: round((claims * perClaim.stopped) / SECONDS_PER_MONTH, 2),
      openExecutionsQuotaAtClaims: Math.round(quotaAt),
    }),
  );
}

/** Runs (g), prints its tables and returns what goes to `bench-results.json` (`timerExecutions`). */
export async function timerExecutionsBench(endpoint: string) {
  const rows = await measureTimerLifecycles(endpoint);
  const cell = (f: TimerFigures) =>
    `${f.started} / ${f.stopped} / ${f.completed}; ${f.stateTransitions} transitions; ${f.openExecutionDays} open execution-days`;
  printTable(
    '(g) Claim timers per lifecycle (started / stopped / run; state transitions billed; execution-days open), vs the same lifecycle without stops',
    ['path', 'measured', 'without stops (baseline)', 'transitions ratio'],
    rows.map((r) => [
      r.path,
      cell(r.measured),
      cell(r.withoutStops),
      `${round(r.measured.stateTransitions / r.withoutStops.stateTransitions, 2)}×`,
    ]),
  );
  const measured = projectTimerCosts(rows, 'measured');
  const withoutStops = projectTimerCosts(rows, 'withoutStops');
  printTable(
    `(g) A month of claims (the three paths in equal shares) at $${STEP_FUNCTIONS.usdPerThousandTransitions}/1,000 transitions; default quotas: ${STEP_FUNCTIONS.openExecutions.toLocaleString('en-US')} open executions, StartExecution ${STEP_FUNCTIONS.startExecutionPerSecond}/s, StopExecution ${STEP_FUNCTIONS.stopExecutionPerSecond}/s`,
    [
      'claims/month',
      'transitions',
      'USD',
      'open executions',
      'starts/s',
      'stops/s',
      'without stops: USD, open',
    ],
    measured.map((m, i) => [
      m.claimsPerMonth.toLocaleString('en-US'),
      m.stateTransitions.toLocaleString('en-US'),
      m.usd,
      m.openExecutions.toLocaleString('en-US'),
      m.startsPerSecond,
      m.stopsPerSecond,
      `${withoutStops[i]?.usd}, ${withoutStops[i]?.openExecutions.toLocaleString('en-US')}`,
    ]),
  );
  console.log(
    `Open-executions quota reached at ${measured[0]?.openExecutionsQuotaAtClaims.toLocaleString('en-US')} claims a month (without stops: ${withoutStops[0]?.openExecutionsQuotaAtClaims.toLocaleString('en-US')}).`,
  );
  return {
    transitionsPerExecution: TRANSITIONS_PER_EXECUTION,
    stepFunctions: STEP_FUNCTIONS,
    perLifecycle: rows,
    month: { measured, withoutStops },
    notes:
      'Counted on aws-local-stepfunctions through the real relay; human steps a day apart; paths in equal shares for the month; open executions by Little’s law.',
  };
}
