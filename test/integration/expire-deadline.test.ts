import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoDbClaimStore } from '../../functions/adapters/dynamodb-claim-store.js';
import { ManualClock } from '../../functions/domain/clock.js';
import { verifyHistoryChain } from '../../functions/domain/history.js';
import { timerExecutionName } from '../../functions/domain/timers.js';
import { expireDeadline } from '../../functions/use-cases/expire-deadline.js';
import { createClaimStore } from '../../functions/wiring.js';
import { createTestTable, type TestTable } from '../support/dynamodb.js';
import { calendar, TO_PARTNER_ACTION, walkClaim } from '../support/store-fixtures.js';

describe('expire-deadline against DynamoDB Local', () => {
  let table: TestTable;
  let store: DynamoDbClaimStore;
  // Thursday 2026-11-19 09:00 in Los Angeles: 5 business days later spans Thanksgiving.
  const clock = new ManualClock('2026-11-19T17:00:00.000Z');
  const deps = () => ({ store, clock, calendar });

  beforeAll(async () => {
    table = await createTestTable('expire');
    store = createClaimStore({ tableName: table.tableName, dynamoDbClient: table.client });
  });
  afterAll(async () => table?.destroy());

  const claimAwaitingPartner = (id: string) => walkClaim(store, clock, id, TO_PARTNER_ACTION, 'Timer test');

  it('auto-rejects a silent partner once, and a repeated or late timer changes nothing more', async () => {
    const record = await claimAwaitingPartner('timer-1');
    const dueAt = record.claim.deadlines.partnerResponseBy as string;
    // Fri 20, Mon 23, Tue 24, Wed 25 and — skipping the weekend and Thanksgiving (Thu 26) — Fri 27 Nov.
    expect(dueAt).toBe('2026-11-27T17:00:00.000Z');
    const input = {
      claimId: 'timer-1',
      deadline: 'partnerResponseBy' as const,
      dueAt,
      version: record.claim.version,
    };

    clock.set('2026-11-27T16:59:59.000Z'); // too early: an error the timer retries (issue 10, item 6)
    await expect(expireDeadline(deps(), input)).rejects.toMatchObject({ name: 'DeadlineNotYetDue' });

    clock.set('2026-11-27T18:30:00.000Z'); // the timer fired late
    const first = await expireDeadline(deps(), input);
    expect(first).toMatchObject({ applied: true, status: 'rejected' });
    const again = await expireDeadline(deps(), input);
    expect(again).toEqual({ applied: false, reason: 'stale' });

    const after = await store.get('timer-1');
    expect(after?.claim.rejection).toMatchObject({ reason: 'noPartnerResponse', final: false });
    expect(after?.claim.deadlines.disputeBy).toBeDefined();
    const history = await store.history('timer-1');
    expect(history.filter((e) => e.type === 'deadlineExpired')).toHaveLength(1);
    expect(verifyHistoryChain(history)).toEqual({ valid: true });
  });

  it('ignores a timer for a claim that no longer exists', async () => {
    const outcome = await expireDeadline(deps(), {
      claimId: 'missing',
      deadline: 'disputeBy',
      dueAt: '2026-01-01T00:00:00.000Z',
      version: 1,
    });
    expect(outcome).toEqual({ applied: false, reason: 'claimNotFound' });
  });

  it('names executions by claim, deadline and version within Step Functions limits', () => {
    const name = timerExecutionName({ claimId: 'c:1/é', deadline: 'consentEndsAt', version: 7 });
    expect(name).toBe('c_1__-consentEndsAt-v7');
    expect(timerExecutionName({ claimId: 'x'.repeat(100), deadline: 'disputeBy', version: 1 })).toHaveLength(
      80,
    );
  });
});
