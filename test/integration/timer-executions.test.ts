/**
 * One live timer per claim (issue 16, item 2): through whole lifecycles on the local stack
 * (stream poller → the real outbox relay → aws-local-stepfunctions running claim-timer.asl.json),
 * the open timer executions after every step are exactly the claim's live deadlines, and none
 * once the claim is final. The executions started, stopped and completed per path are the
 * figures the README prices.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbClaimStore } from '../../functions/adapters/dynamodb-claim-store.js';
import type { Actor } from '../../functions/domain/claim.js';
import { ManualClock } from '../../functions/domain/clock.js';
import type { ClaimAction } from '../../functions/domain/lifecycle.js';
import type { OutboxEvent } from '../../functions/domain/ports/outbox.js';
import { relayOutboxEvent } from '../../functions/use-cases/relay-outbox.js';
import { createDocumentClient } from '../../functions/wiring.js';
import { type LifecycleRuntime, startLifecycleRuntime } from '../../infra/local/lifecycle-runtime.js';
import type { TimerExecutionCounts } from '../../infra/local/local-timers.js';
import { createTestTable, type TestTable } from '../support/dynamodb.js';
import { stepClaim, walkClaim } from '../support/store-fixtures.js';
import {
  liveDeadlinesOf,
  openTimersOf,
  TIMER_LIFECYCLES,
  type TimerLifecycle,
  walkLifecycle,
} from '../support/timer-lifecycles.js';

/** What each path does with timers, as measured on the local runner (the README's figures). */
const EXECUTIONS: Record<TimerLifecycle, TimerExecutionCounts> = {
  approve: { started: 3, stopped: 2, completed: 1 },
  reject: { started: 3, stopped: 2, completed: 1 },
  dispute: { started: 4, stopped: 4, completed: 0 },
};

describe('one live timer per claim (local Step Functions)', () => {
  let table: TestTable;
  let store: DynamoDbClaimStore;
  let runtime: LifecycleRuntime;
  const clock = new ManualClock('2026-11-24T17:00:00.000Z');

  beforeAll(async () => {
    table = await createTestTable('timer-executions');
    store = new DynamoDbClaimStore(createDocumentClient(table.client), table.tableName);
    runtime = await startLifecycleRuntime({
      dynamoDbEndpoint: table.endpoint,
      tableName: table.tableName,
      clock,
      publicBaseUrl: 'http://127.0.0.1:9',
    });
  });
  afterAll(async () => {
    await runtime?.stop();
    await table?.destroy();
  });

  const diff = (after: TimerExecutionCounts, before: TimerExecutionCounts) => ({
    started: after.started - before.started,
    stopped: after.stopped - before.stopped,
    completed: after.completed - before.completed,
  });

  it.each(Object.keys(TIMER_LIFECYCLES) as TimerLifecycle[])(
    '%s path: open executions = live deadlines after every step, 0 once final',
    async (path) => {
      const id = `te-${path}`;
      const before = runtime.timers.counts();
      const { claim } = await walkLifecycle(
        { store, clock, runtime },
        id,
        TIMER_LIFECYCLES[path],
        (record, step) =>
          expect(
            openTimersOf(runtime, id),
            `after ${'advanceDays' in step ? 'the clock moved' : step[0].type}`,
          ).toEqual(liveDeadlinesOf(record.claim)),
      );
      expect(claim.rejection?.final === true || claim.consent?.status === 'periodEnded').toBe(true);
      expect(openTimersOf(runtime, id)).toEqual([]);
      expect(diff(runtime.timers.counts(), before)).toEqual(EXECUTIONS[path]);
    },
  );

  it('replaying every outbox event, in order or backwards, never stops a live timer nor revives a stopped one', async () => {
    const id = 'te-replay';
    let record = await walkClaim(store, clock, id, [], 'Timer executions');
    const toRejection = TIMER_LIFECYCLES.reject.filter((s) => !('advanceDays' in s)) as [
      ClaimAction,
      Actor,
    ][];
    for (const step of toRejection) {
      record = await stepClaim(store, clock, record, ...step);
      await runtime.settle();
    }
    const live = liveDeadlinesOf(record.claim);
    expect(live).toHaveLength(1); // disputeBy
    const events = await outboxOf(id);
    expect(events.flatMap((e) => e.effects.map((f) => f.type))).toContain('stopTimer');

    // The relay is at least once and a dead-lettered batch may be replayed after later ones:
    // redeliver every timer effect again, in commit order and in reverse.
    for (const order of [events, [...events].reverse()]) {
      for (const event of order) {
        const timerEffects = event.effects.filter((e) => e.type === 'armTimer' || e.type === 'stopTimer');
        await relayOutboxEvent(relayOfTimersOnly(), { ...event, effects: timerEffects });
      }
      expect(openTimersOf(runtime, id)).toEqual(live);
    }
  });

  /** The claim's outbox events as the stream delivered them. */
  async function outboxOf(claimId: string): Promise<OutboxEvent[]> {
    const { Items = [] } = await createDocumentClient(table.client).send(
      new QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :outbox)',
        ExpressionAttributeValues: { ':pk': `CLAIM#${claimId}`, ':outbox': 'OUTBOX#' },
      }),
    );
    return Items as OutboxEvent[];
  }

  /** The relay with the runtime's timers; only timer effects are replayed, so nothing else is called. */
  function relayOfTimersOnly(): Parameters<typeof relayOutboxEvent>[0] {
    const unused = () => {
      throw new Error('only timer effects are replayed');
    };
    return {
      timers: runtime.timers,
      documents: { markFinal: unused },
      mailer: { send: unused },
      ledger: { acquire: unused, markSent: unused, release: unused },
      publisher: { publish: unused },
      consentLinks: { linkFor: unused },
      emailSettings: { portalUrl: 'https://partners.example.com', timeZone: 'America/Los_Angeles' },
    };
  }
});
