/**
 * Local Step Functions for the claim timers: the same `statemachines/claim-timer.asl.json`
 * that CDK deploys, run by aws-local-stepfunctions with its Lambda task overridden by the
 * local expire-deadline handler. Wait states follow the virtual clock instead of real time:
 * a timer's execution runs (with its Wait overridden to 0) once the clock has passed the
 * Wait state's timestamp **truncated to the whole second**, as early as Step Functions (which
 * ignores fractional seconds) may resume it, so the local run shows what an early resume does.
 *
 * Pending timers are in memory, keyed like the cloud's execution names; after a restart
 * they are re-armed from the table's live deadlines (`rearmFromTable`), so none is lost.
 * `stop` is StopExecution: the timer is dropped (aborted if it is running), a stop of an
 * unknown or finished one is a no-op, and its name stays used, as AWS keeps it for 90 days.
 */
import { readFileSync } from 'node:fs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { StateMachine } from 'aws-local-stepfunctions';
import type { Claim, ClaimStatus, DeadlineKind } from '../../functions/domain/claim.js';
import type { Clock } from '../../functions/domain/clock.js';
import { LIVE_DEADLINES } from '../../functions/domain/lifecycle.js';
import type { TimerScheduler } from '../../functions/domain/ports/outbox.js';
import {
  type TimerExecutionInput,
  type TimerInput,
  timerExecutionInput,
  timerExecutionName,
} from '../../functions/domain/timers.js';
import { INDEXES, REVIEWER_INDEX_SHARDS } from '../../functions/storage-layout/table-schema.js';
import { carriesDeadline } from '../../functions/use-cases/expire-deadline.js';

export const CLAIM_TIMER_ASL = new URL('../../statemachines/claim-timer.asl.json', import.meta.url);
const LOCAL_EXPIRE_FUNCTION_ARN =
  'arn:aws:lambda:us-east-1:000000000000:function:cpor-claims-local-expire-deadline';

/** The ASL with its CDK substitutions filled in, as `DefinitionBody.fromFile` does in the cloud. */
export function claimTimerDefinition(substitutions: Record<string, string>): unknown {
  const text = readFileSync(CLAIM_TIMER_ASL, 'utf8').replace(/\$\{(\w+)\}/g, (whole, name: string) => {
    const value = substitutions[name];
    if (value === undefined) throw new Error(`No substitution for ${whole} in claim-timer.asl.json`);
    return value;
  });
  return JSON.parse(text);
}

/** Claims whose due timers run at once (DynamoDB Local is one process; more only queue there). */
const FIRING_CONCURRENCY = 8;

export type ExpireHandler = (input: TimerExecutionInput) => Promise<unknown>;

/** What the timers did since they were created: executions started, stopped, run to their end. */
export interface TimerExecutionCounts {
  started: number;
  /** Stops that ended an open execution (a stop of an unknown or finished one is not counted). */
  stopped: number;
  completed: number;
}

export interface LocalTimers extends TimerScheduler {
  /**
   * Open executions (armed, not stopped, not finished), soonest first: the open executions
   * Step Functions counts against its quota.
   */
  pending(): TimerExecutionInput[];
  /** Executions started, stopped and completed so far (the bench prices them). */
  counts(): TimerExecutionCounts;
  /**
   * The pending timers that still matter: their claim still carries that deadline (same kind
   * and due time, live in its status). A superseded timer still runs, as a no-op, but is not live.
   */
  live(claimOf: (claimId: string) => Promise<Claim | undefined>): Promise<TimerExecutionInput[]>;
  /** Runs every timer due at `now`; returns how many executions ran. Failures are logged and kept. */
  fireDue(): Promise<number>;
  /**
   * Arms the timers of every live deadline in the table: a Query per status that has a live
   * deadline and per shard of the `byStatus` index, reading only what a timer needs.
   */
  rearmFromTable(client: DynamoDBClient, tableName: string): Promise<number>;
}

export function createLocalTimers(options: {
  clock: Clock;
  expire: ExpireHandler;
  onError?: (error: unknown, timer: TimerExecutionInput) => void;
}): LocalTimers {
  const definition = claimTimerDefinition({ ExpireDeadlineFunctionArn: LOCAL_EXPIRE_FUNCTION_ARN });
  const machine = new StateMachine(definition as never);
  const resumeAt = resumeInstantOf(definition);
  const timers = new Map<string, TimerExecutionInput>();
  /** Same claim, deadline and due time: one timer, however often it is started or re-armed. */
  const keyOf = (t: TimerInput) => `${t.claimId}|${t.deadline}|${t.dueAt}`;
  const started = new Set<string>();
  /** Executions running now, by key: what a stop aborts. */
  const running = new Map<string, { abort(): void }>();
  const counts: TimerExecutionCounts = { started: 0, stopped: 0, completed: 0 };

  const start = async (input: TimerExecutionInput) => {
    // Step Functions would fail such an execution at its Wait state; fail the start instead.
    if (Number.isNaN(resumeAt(input)))
      throw new Error(`Timer input without a valid wait timestamp: ${JSON.stringify(input)}`);
    const name = timerExecutionName(input);
    if (started.has(name) || timers.has(keyOf(input))) return;
    started.add(name);
    timers.set(keyOf(input), input);
    counts.started++;
  };

  const pending = () => [...timers.values()].sort((a, b) => a.dueAt.localeCompare(b.dueAt));

  const run = async (timer: TimerExecutionInput) => {
    const execution = machine.run(timer as never, {
      overrides: {
        taskResourceLocalHandlers: {
          ExpireDeadline: async (input) => (await options.expire(input as never)) as never,
        },
        // The virtual clock already passed dueAt: waiting in real time would add nothing.
        waitTimeOverrides: { WaitUntilDue: 0 },
        retryIntervalOverrides: { ExpireDeadline: 0 },
      },
    });
    running.set(keyOf(timer), execution);
    try {
      await execution.result;
      if (timers.delete(keyOf(timer))) counts.completed++;
    } catch (error) {
      // Stopped while it ran: aborted, as StopExecution leaves it; nothing to report.
      if (!timers.has(keyOf(timer))) return;
      // The machine's Catch ends in a Fail state: like the cloud alarm, report and keep it armed.
      options.onError?.(error, timer);
    } finally {
      running.delete(keyOf(timer));
    }
  };

  /**
   * Runs what is due now: each claim's timers in due order, claims side by side (as many
   * executions run at once in the cloud), so thousands of due timers do not queue one by one.
   */
  const fireDueNow = async () => {
    const now = options.clock.now().getTime();
    const due = [...timers.values()].filter((t) => resumeAt(t) <= now);
    const byClaim = new Map<string, TimerExecutionInput[]>();
    for (const timer of due) byClaim.set(timer.claimId, [...(byClaim.get(timer.claimId) ?? []), timer]);
    const queues = [...byClaim.values()].map((q) => q.sort((a, b) => a.dueAt.localeCompare(b.dueAt)));
    const worker = async () => {
      for (let queue = queues.shift(); queue; queue = queues.shift())
        for (const timer of queue) await run(timer);
    };
    await Promise.all(Array.from({ length: FIRING_CONCURRENCY }, worker));
    return due.length;
  };
  let firing: Promise<unknown> = Promise.resolve();

  // By key, not name: a timer re-armed after a restart carries the claim's version then.
  const stop = async (timer: TimerInput) => {
    if (timers.delete(keyOf(timer))) counts.stopped++;
    running.get(keyOf(timer))?.abort();
  };

  return {
    start,
    stop,
    pending,
    counts: () => ({ ...counts }),
    async live(claimOf) {
      const live: TimerExecutionInput[] = [];
      for (const timer of pending()) {
        const claim = await claimOf(timer.claimId);
        if (claim && carriesDeadline(claim, timer)) live.push(timer);
      }
      return live;
    },
    fireDue() {
      // One firing at a time (the ticker and a clock move may both ask): a second caller waits
      // for the firing in flight and then fires what is due by then, so nothing runs twice.
      const next = firing.then(fireDueNow, fireDueNow);
      firing = next.catch(() => undefined);
      return next;
    },
    async rearmFromTable(client, tableName) {
      const documents = DynamoDBDocumentClient.from(client);
      const statuses = (Object.keys(LIVE_DEADLINES) as ClaimStatus[]).filter(
        (status) => LIVE_DEADLINES[status].length > 0,
      );
      const partitions = statuses.flatMap((status) =>
        Array.from({ length: REVIEWER_INDEX_SHARDS }, (_, shard) => `S#${status}#${shard}`),
      );
      const counts = await Promise.all(
        partitions.map(async (partition) => {
          let armed = 0;
          let exclusiveStartKey: Record<string, unknown> | undefined;
          do {
            const page = await documents.send(
              new QueryCommand({
                TableName: tableName,
                IndexName: 'byStatus',
                KeyConditionExpression: '#pk = :pk',
                ProjectionExpression: '#data.#id, #data.#status, #data.#deadlines, #data.#version',
                ExpressionAttributeNames: {
                  '#pk': INDEXES.byStatus.partition,
                  '#data': 'data',
                  '#id': 'id',
                  '#status': 'status',
                  '#deadlines': 'deadlines',
                  '#version': 'version',
                },
                ExpressionAttributeValues: { ':pk': partition },
                ExclusiveStartKey: exclusiveStartKey,
              }),
            );
            for (const item of page.Items ?? []) {
              const claim = item.data as Pick<Claim, 'id' | 'status' | 'deadlines' | 'version'>;
              for (const deadline of LIVE_DEADLINES[claim.status] as DeadlineKind[]) {
                const dueAt = claim.deadlines[deadline];
                if (!dueAt) continue;
                await start(
                  timerExecutionInput({ claimId: claim.id, deadline, dueAt, version: claim.version }),
                );
                armed++;
              }
            }
            exclusiveStartKey = page.LastEvaluatedKey;
          } while (exclusiveStartKey);
          return armed;
        }),
      );
      return counts.reduce((sum, n) => sum + n, 0);
    },
  };
}

/**
 * When Step Functions may resume an execution with this input: the start state's Wait
 * timestamp (`TimestampPath` `$.<field>`) truncated to the whole second, since AWS ignores
 * the fractional part.
 */
function resumeInstantOf(definition: unknown): (input: TimerExecutionInput) => number {
  const { StartAt, States } = definition as {
    StartAt: string;
    States: Record<string, Record<string, unknown>>;
  };
  const wait = States[StartAt];
  const field = /^\$\.(\w+)$/.exec(String(wait?.TimestampPath))?.[1];
  if (wait?.Type !== 'Wait' || !field) {
    throw new Error('claim-timer.asl.json must start with a Wait state on a TimestampPath `$.<field>`.');
  }
  return (input) => {
    const timestamp = Date.parse(String((input as unknown as Record<string, unknown>)[field]));
    return Math.floor(timestamp / 1000) * 1000;
  };
}
