import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoDbClaimStore } from '../../functions/adapters/dynamodb-claim-store.js';
import { ManualClock } from '../../functions/domain/clock.js';
import { type TimerExecutionInput, timerExecutionInput } from '../../functions/domain/timers.js';
import { expireDeadline } from '../../functions/use-cases/expire-deadline.js';
import { createClaimStore } from '../../functions/wiring.js';
import { startLifecycleRuntime } from '../../infra/local/lifecycle-runtime.js';
import { claimTimerDefinition, createLocalTimers } from '../../infra/local/local-timers.js';
import { createTestTable, type TestTable } from '../support/dynamodb.js';
import {
  calendar,
  reviewer,
  stepClaim,
  TO_APPROVAL,
  TO_PARTNER_ACTION,
  walkClaim,
} from '../support/store-fixtures.js';

describe('local Step Functions timers (aws-local-stepfunctions running claim-timer.asl.json)', () => {
  let table: TestTable;
  let store: DynamoDbClaimStore;
  const clock = new ManualClock('2026-11-24T17:00:00.000Z');

  beforeAll(async () => {
    table = await createTestTable('timers');
    store = createClaimStore({ tableName: table.tableName, dynamoDbClient: table.client });
  });
  afterAll(async () => table?.destroy());

  it('fills the CDK substitution and refuses a definition with a missing one', () => {
    const definition = claimTimerDefinition({
      ExpireDeadlineFunctionArn: 'arn:aws:lambda:us-east-1:1:function:f',
    }) as {
      States: { ExpireDeadline: { Resource: string } };
    };
    expect(definition.States.ExpireDeadline.Resource).toBe('arn:aws:lambda:us-east-1:1:function:f');
    expect(() => claimTimerDefinition({})).toThrow(/ExpireDeadlineFunctionArn/);
  });

  it('fires a timer only once the virtual clock passes its due time, and re-arms it from the table', async () => {
    await walkClaim(store, clock, 'lt-1', TO_PARTNER_ACTION, 'Local timer test');

    const fired: string[] = [];
    // A fresh scheduler, as after a restart of `npm start`: it learns its timers from the table.
    const timers = createLocalTimers({
      clock,
      expire: async (input) => {
        fired.push(input.deadline);
        return expireDeadline({ store, clock, calendar }, input);
      },
    });
    expect(await timers.rearmFromTable(table.client, table.tableName)).toBe(1);
    expect(timers.pending().map((t) => t.deadline)).toEqual(['partnerResponseBy']);

    expect(await timers.fireDue()).toBe(0);
    clock.advanceDays(3);
    expect(await timers.fireDue()).toBe(0);
    clock.advanceDays(5);
    expect(await timers.fireDue()).toBe(1);
    expect(fired).toEqual(['partnerResponseBy']);
    expect(timers.pending()).toEqual([]);
    expect((await store.get('lt-1'))?.claim).toMatchObject({
      status: 'rejected',
      rejection: { reason: 'noPartnerResponse' },
    });
  });

  // Issue 10, item 6. Step Functions' Wait ignores fractional seconds, so it may resume a timer
  // due at …:05.730 at …:05.000; the local runner resumes as early as AWS may (the Wait
  // timestamp truncated to the second), so an early resume happens here as in the cloud.
  it('a deadline due at a fractional second is applied, never lost to an early resume', async () => {
    const at = new ManualClock('2026-11-24T17:00:05.730Z');
    const record = await walkClaim(store, at, 'lt-2', TO_PARTNER_ACTION, 'Local timer test');
    const dueAt = record.claim.deadlines.partnerResponseBy as string;
    expect(dueAt).toMatch(/:05\.730Z$/);
    const timers = createLocalTimers({
      clock: at,
      expire: (input) => expireDeadline({ store, clock: at, calendar }, input),
    });
    await timers.rearmFromTable(table.client, table.tableName);
    const mine = () => timers.pending().filter((t) => t.claimId === 'lt-2');

    at.set(new Date(Math.floor(Date.parse(dueAt) / 1000) * 1000)); // …:05.000, when AWS may resume a wait on dueAt
    await timers.fireDue();
    expect((await store.get('lt-2'))?.claim.status).toBe('partnerActionRequired');
    expect(mine()).toHaveLength(1); // still armed: the wait runs to the next whole second

    at.set(new Date(Math.ceil(Date.parse(dueAt) / 1000) * 1000)); // …:06.000
    await timers.fireDue();
    expect((await store.get('lt-2'))?.claim).toMatchObject({
      status: 'rejected',
      rejection: { reason: 'noPartnerResponse' },
    });
    expect(mine()).toEqual([]);
  });

  it('a timer that runs before its deadline anyway (a clock behind) is retried by the state machine, not finished', async () => {
    const record = await walkClaim(store, clock, 'lt-3', TO_PARTNER_ACTION, 'Local timer test');
    const dueAt = record.claim.deadlines.partnerResponseBy as string;
    clock.set(dueAt);
    // Injected at the task's port: the first invocation reads a clock one second behind.
    const behind = new ManualClock(new Date(Date.parse(dueAt) - 1000));
    const attempts: string[] = [];
    const timers = createLocalTimers({
      clock,
      expire: async (input: TimerExecutionInput) => {
        attempts.push(input.deadline);
        return expireDeadline({ store, clock: attempts.length === 1 ? behind : clock, calendar }, input);
      },
    });
    await timers.start(
      timerExecutionInput({
        claimId: 'lt-3',
        deadline: 'partnerResponseBy',
        dueAt,
        version: record.claim.version,
      }),
    );

    expect(await timers.fireDue()).toBe(1);

    expect(attempts).toEqual(['partnerResponseBy', 'partnerResponseBy']); // the ASL's Retry
    expect((await store.get('lt-3'))?.claim.status).toBe('rejected');
    expect(timers.pending()).toEqual([]);
  });

  it('waits until the whole second at or after the deadline', () => {
    const input = { claimId: 'c', deadline: 'disputeBy' as const, version: 1 };
    expect(timerExecutionInput({ ...input, dueAt: '2026-11-24T17:00:05.730Z' }).waitUntil).toBe(
      '2026-11-24T17:00:06.000Z',
    );
    expect(timerExecutionInput({ ...input, dueAt: '2026-11-24T17:00:05.000Z' }).waitUntil).toBe(
      '2026-11-24T17:00:05.000Z',
    );
  });

  // Issue 10, item 12: "live" = the execution has not finished AND its claim still carries that
  // deadline (same kind and due time, live in its status). A superseded timer still runs (a no-op).
  it('lists as live only the timers whose claim still carries the deadline', async () => {
    const submitted = await walkClaim(store, clock, 'lt-4', TO_APPROVAL.slice(0, 1), 'Local timer test');
    const timers = createLocalTimers({ clock, expire: async () => ({ applied: false }) });
    await timers.rearmFromTable(table.client, table.tableName); // reviewStartBy
    await stepClaim(store, clock, submitted, { type: 'startReview' }, reviewer);
    await timers.rearmFromTable(table.client, table.tableName); // decisionBy

    const mine = (list: TimerExecutionInput[]) =>
      list.filter((t) => t.claimId === 'lt-4').map((t) => t.deadline);
    // No relay ran here to stop the superseded one: both executions are still waiting…
    expect(mine(timers.pending()).sort()).toEqual(['decisionBy', 'reviewStartBy']);
    // …but the review started: the reviewStartBy timer will do nothing when it fires.
    expect(mine(await timers.live(async (id) => (await store.get(id))?.claim))).toEqual(['decisionBy']);
  });

  it('GET /_local/timers lists only live timers', async () => {
    const runtime = await startLifecycleRuntime({
      dynamoDbEndpoint: table.endpoint,
      tableName: table.tableName,
      clock,
      publicBaseUrl: 'http://127.0.0.1:9',
    });
    try {
      const submitted = await walkClaim(store, clock, 'lt-5', TO_APPROVAL.slice(0, 1), 'Local timer test');
      await runtime.settle(); // the relay arms reviewStartBy
      await stepClaim(store, clock, submitted, { type: 'startReview' }, reviewer);
      await runtime.settle(); // and decisionBy

      const route = runtime.routes.find((r) => r.method === 'GET' && r.path === '/_local/timers');
      const response = await route?.handle({
        method: 'GET',
        path: '/_local/timers',
        query: new URLSearchParams(),
        headers: {},
        body: Buffer.alloc(0),
      });
      const { items } = JSON.parse(response?.body ?? '{}') as { items: TimerExecutionInput[] };
      expect(items.filter((t) => t.claimId === 'lt-5').map((t) => t.deadline)).toEqual(['decisionBy']);
    } finally {
      await runtime.stop();
    }
  });
});
