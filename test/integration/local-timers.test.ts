import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbClaimStore } from '../../functions/adapters/dynamodb-claim-store.js';
import { ManualClock } from '../../functions/domain/clock.js';
import { expireDeadline } from '../../functions/use-cases/expire-deadline.js';
import { createDocumentClient } from '../../functions/wiring.js';
import { claimTimerDefinition, createLocalTimers } from '../../infra/local/local-timers.js';
import { createTestTable, type TestTable } from '../support/dynamodb.js';
import { calendar, TO_PARTNER_ACTION, walkClaim } from '../support/store-fixtures.js';

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
});
