import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbClaimStore } from '../../functions/adapters/dynamodb-claim-store.js';
import { createBusinessCalendar } from '../../functions/domain/business-calendar.js';
import type { Actor, ClaimDraft } from '../../functions/domain/claim.js';
import { ManualClock } from '../../functions/domain/clock.js';
import { applyAction, createClaim } from '../../functions/domain/lifecycle.js';
import { expireDeadline } from '../../functions/use-cases/expire-deadline.js';
import { createDocumentClient } from '../../functions/wiring.js';
import { claimTimerDefinition, createLocalTimers } from '../../infra/local/local-timers.js';
import { createTestTable, type TestTable } from '../support/dynamodb.js';

const calendar = createBusinessCalendar();
const partner: Extract<Actor, { kind: 'partner' }> = { kind: 'partner', sub: 'alice', partnerId: 'p-1' };
const reviewer: Actor = { kind: 'reviewer', sub: 'rita' };
const draft: ClaimDraft = {
  name: 'Local timer test',
  customer: {
    tenantId: '8f0c2a5e-4b1d-4c3e-9a7f-1e2d3c4b5a69',
    domain: 'contoso.com',
    contact: { name: 'C', email: 'c@contoso.com' },
  },
  partner: { mpnId: '1234567', contact: { name: 'P', email: 'p@fabrikam.com' } },
  activity: 'preSales',
  products: [{ family: 'microsoft365', workload: 'Teams' }],
};

describe('local Step Functions timers (aws-local-stepfunctions running claim-timer.asl.json)', () => {
  let table: TestTable;
  let store: DynamoDbClaimStore;
  const clock = new ManualClock('2026-11-24T17:00:00.000Z');

  beforeAll(async () => {
    table = await createTestTable('timers');
    store = new DynamoDbClaimStore(createDocumentClient(table.client), table.tableName);
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
    const ctx = () => ({ now: clock.now(), calendar });
    const created = createClaim({ id: 'lt-1', draft, actor: partner }, ctx());
    let record = await store.create({
      claim: created.claim,
      entry: { ...created.record, version: 1 },
      effects: [],
      actor: partner,
      at: clock.now().toISOString(),
    });
    for (const [action, actor] of [
      [{ type: 'submit', availableDocuments: 1, conflictingClaimIds: [] }, partner],
      [{ type: 'startReview' }, reviewer],
      [{ type: 'requestInfo', reasons: ['missingAllPoe'], comment: 'SOW?' }, reviewer],
    ] as const) {
      const t = applyAction(record.claim, action as never, actor, ctx());
      record = await store.update(record, {
        claim: t.claim,
        entry: { ...t.record, version: t.claim.version },
        effects: t.effects,
        actor,
        at: clock.now().toISOString(),
      });
    }

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
});
