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
import type { Actor, Claim, DeadlineKind } from '../../functions/domain/claim.js';
import { ManualClock } from '../../functions/domain/clock.js';
import { type ClaimAction, LIVE_DEADLINES } from '../../functions/domain/lifecycle.js';
import type { ClaimRecord } from '../../functions/domain/ports.js';
import { type OutboxEvent, relayOutboxEvent } from '../../functions/use-cases/relay-outbox.js';
import { createDocumentClient } from '../../functions/wiring.js';
import { type LifecycleRuntime, startLifecycleRuntime } from '../../infra/local/lifecycle-runtime.js';
import type { TimerExecutionCounts } from '../../infra/local/local-timers.js';
import { createTestTable, type TestTable } from '../support/dynamodb.js';
import { partner, reviewer, stepClaim, walkClaim } from '../support/store-fixtures.js';

const DAY = 24 * 3600_000;
type Step = [ClaimAction, Actor] | { advanceDays: number };

const SUBMIT_AND_REVIEW: Step[] = [
  [{ type: 'submit', availableDocuments: 1, conflictingClaimIds: [] }, partner],
  [{ type: 'startReview' }, reviewer],
];
const REJECT: Step = [
  { type: 'reject', reason: 'insufficientPoe', comment: 'The SOW is unsigned.' },
  reviewer,
];

/** The three full lifecycles the README prices, each ending in a final claim. */
const PATHS: { name: string; steps: Step[]; executions: TimerExecutionCounts }[] = [
  {
    name: 'approve (consent window ends)',
    steps: [...SUBMIT_AND_REVIEW, [{ type: 'approve' }, reviewer], { advanceDays: 8 }],
    executions: { started: 3, stopped: 2, completed: 1 },
  },
  {
    name: 'reject (dispute window ends)',
    steps: [...SUBMIT_AND_REVIEW, REJECT, { advanceDays: 31 }],
    executions: { started: 3, stopped: 2, completed: 1 },
  },
  {
    name: 'dispute (upheld)',
    steps: [
      ...SUBMIT_AND_REVIEW,
      REJECT,
      [{ type: 'dispute', justification: 'It is signed on page 3.', documentIds: [] }, partner],
      [{ type: 'resolveDispute', outcome: 'upheld', comment: 'Page 3 is blank.' }, reviewer],
    ],
    executions: { started: 4, stopped: 4, completed: 0 },
  },
];

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

  /** The claim's open executions, as `deadline@dueAt`. */
  const openOf = (claimId: string) =>
    runtime.timers
      .pending()
      .filter((t) => t.claimId === claimId)
      .map((t) => `${t.deadline}@${t.dueAt}`);
  /** The claim's live deadlines (live in its status), as `deadline@dueAt`. */
  const liveOf = (claim: Claim) =>
    (LIVE_DEADLINES[claim.status] as DeadlineKind[])
      .filter((kind) => claim.deadlines[kind])
      .map((kind) => `${kind}@${claim.deadlines[kind]}`);
  const diff = (after: TimerExecutionCounts, before: TimerExecutionCounts) => ({
    started: after.started - before.started,
    stopped: after.stopped - before.stopped,
    completed: after.completed - before.completed,
  });

  it.each(PATHS)(
    '$name: open executions = live deadlines after every step, 0 once final',
    async ({ name, steps, executions }) => {
      const id = `te-${name.split(' ')[0]}`;
      const before = runtime.timers.counts();
      let record: ClaimRecord = await walkClaim(store, clock, id, [], 'Timer executions');
      for (const step of steps) {
        if ('advanceDays' in step) clock.advance(step.advanceDays * DAY);
        else record = await stepClaim(store, clock, record, ...step);
        await runtime.settle(); // relays the step's outbox event, fires what fell due
        record = (await store.get(id)) as ClaimRecord;
        expect(openOf(id), `after ${'advanceDays' in step ? 'the clock moved' : step[0].type}`).toEqual(
          liveOf(record.claim),
        );
      }
      const final = record.claim;
      expect(final.rejection?.final === true || final.consent?.status === 'periodEnded').toBe(true);
      expect(openOf(id)).toEqual([]);
      expect(diff(runtime.timers.counts(), before)).toEqual(executions);
    },
  );

  it('replaying every outbox event, in order or backwards, never stops a live timer nor revives a stopped one', async () => {
    const id = 'te-replay';
    let record = await walkClaim(store, clock, id, [], 'Timer executions');
    for (const step of [...SUBMIT_AND_REVIEW, REJECT] as [ClaimAction, Actor][]) {
      record = await stepClaim(store, clock, record, ...step);
      await runtime.settle();
    }
    const live = liveOf(record.claim);
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
      expect(openOf(id)).toEqual(live);
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
      mailer: { send: unused },
      ledger: { acquire: unused, markSent: unused, release: unused },
      publisher: { publish: unused },
      consentLinks: { linkFor: unused },
    };
  }
});
