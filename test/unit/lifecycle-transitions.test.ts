import { describe, expect, it } from 'vitest';
import type { ActorKind, ClaimStatus } from '../../functions/domain/claim.js';
import { CLAIM_STATUSES } from '../../functions/domain/claim.js';
import {
  ActionForbiddenError,
  ClaimRuleViolationError,
  ClaimStatusConflictError,
  DomainError,
} from '../../functions/domain/errors.js';
import {
  ACTION_RULES,
  applyAction,
  assertCanAddDocument,
  assertCanComment,
  type ClaimActionType,
  canView,
  disputeWindowOpen,
  LIVE_DEADLINES,
} from '../../functions/domain/lifecycle.js';
import {
  ACTOR_KINDS,
  ACTOR_OF,
  act,
  actors,
  CARRIED_DEADLINE,
  ctxAt,
  DAY,
  deepFreeze,
  HOUR,
  otherPartner,
  type Stage,
  sampleAction,
  stage,
  thrown,
} from './claim-fixtures.js';
import { expectedBusinessDay, expectedCalendarDay } from './local-time.js';

/**
 * design.md's lifecycle table, written out independently of `ACTION_RULES`: for each action,
 * the status it leads to from each status it is allowed in (`resolveDispute` as overturned).
 */
const DESIGN_TABLE: Record<ClaimActionType, Partial<Record<ClaimStatus, ClaimStatus>>> = {
  edit: { editing: 'editing', submitted: 'submitted', partnerActionRequired: 'partnerActionRequired' },
  submit: { editing: 'submitted', partnerActionRequired: 'underReview' },
  withdraw: {
    editing: 'rejected',
    submitted: 'rejected',
    underReview: 'rejected',
    partnerActionRequired: 'rejected',
    approved: 'rejected',
    disputed: 'rejected',
  },
  startReview: { submitted: 'underReview' },
  requestInfo: { underReview: 'partnerActionRequired' },
  approve: { underReview: 'approved' },
  reject: { underReview: 'rejected' },
  dispute: { rejected: 'disputed' },
  resolveDispute: { disputed: 'approved' },
  customerDeny: { approved: 'rejected' },
};

const ACTION_TYPES = Object.keys(DESIGN_TABLE) as ClaimActionType[];

type Cell = { action: ClaimActionType; status: ClaimStatus; actor: ActorKind };
const cells: Cell[] = ACTION_TYPES.flatMap((action) =>
  CLAIM_STATUSES.flatMap((status) => ACTOR_KINDS.map((actor) => ({ action, status, actor }))),
);
const allowed = cells
  .filter((c) => c.actor === ACTOR_OF[c.action] && DESIGN_TABLE[c.action][c.status] !== undefined)
  .map((c) => ({ ...c, to: DESIGN_TABLE[c.action][c.status] as ClaimStatus }));
const wrongActor = cells.filter((c) => c.actor !== ACTOR_OF[c.action]);
const wrongStatus = cells.filter(
  (c) => c.actor === ACTOR_OF[c.action] && DESIGN_TABLE[c.action][c.status] === undefined,
);

describe('the transition table matches design.md', () => {
  it('lists exactly the actions of the design', () => {
    expect(Object.keys(ACTION_RULES).sort()).toEqual([...ACTION_TYPES].sort());
  });

  it.each(ACTION_TYPES)('ACTION_RULES.%s names the same actor and source statuses', (action) => {
    expect(ACTION_RULES[action].actor).toBe(ACTOR_OF[action]);
    expect([...ACTION_RULES[action].from].sort()).toEqual(Object.keys(DESIGN_TABLE[action]).sort());
  });

  it.each(CLAIM_STATUSES)('LIVE_DEADLINES.%s is the deadline the status carries', (status) => {
    const carried = CARRIED_DEADLINE[status];
    expect(LIVE_DEADLINES[status]).toEqual(carried ? [carried] : []);
  });

  it('covers every cell once', () => {
    expect(cells).toHaveLength(ACTION_TYPES.length * CLAIM_STATUSES.length * ACTOR_KINDS.length);
    expect(allowed.length + wrongActor.length + wrongStatus.length).toBe(cells.length);
  });
});

describe('allowed cells', () => {
  it.each(allowed)('$action by $actor in $status → $to', ({ action, status, actor, to }) => {
    const before = deepFreeze(stage(status));
    const snapshot = structuredClone(before.claim);
    const now = new Date(before.now.getTime() + HOUR);

    const result = applyAction(before.claim, sampleAction(action), actors[actor], ctxAt(now));

    expect(result.claim.status).toBe(to);
    expect(result.claim.version).toBe(before.claim.version + 1);
    expect(result.claim.updatedAt).toBe(now.toISOString());
    expect(result.claim.statusSince).toBe(to === status ? before.claim.statusSince : now.toISOString());
    expect(result.record).toMatchObject({ type: action, fromStatus: status, toStatus: to });
    expect(before.claim).toEqual(snapshot);
  });

  it.each(allowed.filter((c) => c.to !== c.status))(
    '$action in $status sets the deadline $to carries, and only that one',
    ({ action, status, actor, to }) => {
      const before = stage(status);
      const now = new Date(before.now.getTime() + HOUR);
      const { claim } = applyAction(before.claim, sampleAction(action), actors[actor], ctxAt(now));

      const carried = CARRIED_DEADLINE[to];
      const expected = carried && !claim.rejection?.final ? [carried] : [];
      expect(Object.keys(claim.deadlines)).toEqual(expected);
    },
  );
});

describe('refused cells', () => {
  it.each(wrongActor)('$action by $actor in $status → ActionForbiddenError', ({ action, status, actor }) => {
    const before = deepFreeze(stage(status));
    const error = thrown(() =>
      applyAction(before.claim, sampleAction(action), actors[actor], ctxAt(before.now)),
    );
    expect(error).toBeInstanceOf(ActionForbiddenError);
    expect(error).toMatchObject({ name: 'ActionForbiddenError', kind: 'forbidden' });
  });

  it.each(wrongStatus)(
    '$action by $actor in $status → ClaimStatusConflictError',
    ({ action, status, actor }) => {
      const before = deepFreeze(stage(status));
      const error = thrown(() =>
        applyAction(before.claim, sampleAction(action), actors[actor], ctxAt(before.now)),
      );
      expect(error).toBeInstanceOf(ClaimStatusConflictError);
      expect(error).toMatchObject({ name: 'ClaimStatusConflictError', kind: 'conflict', status, action });
      expect((error as Error).message).toContain(`'${status}'`);
    },
  );
});

describe('submit', () => {
  it('from editing needs an available document', () => {
    const { claim, now } = deepFreeze(stage('editing'));
    const error = thrown(() =>
      applyAction(
        claim,
        { type: 'submit', availableDocuments: 0, conflictingClaimIds: [] },
        actors.partner,
        ctxAt(now),
      ),
    );
    expect(error).toBeInstanceOf(ClaimRuleViolationError);
    expect(error).toMatchObject({ rule: 'noAvailableDocument', status: 'editing', kind: 'conflict' });
  });

  it('records the competing claims found at submission, as a copy', () => {
    const ids = ['claim-b', 'claim-c'];
    const { claim, last } = act(stage('editing'), {
      type: 'submit',
      availableDocuments: 1,
      conflictingClaimIds: ids,
    });
    ids.push('claim-d');
    expect(claim.conflictingClaimIds).toEqual(['claim-b', 'claim-c']);
    expect(last.record.changes).toContainEqual({
      field: 'conflictingClaimIds',
      from: null,
      to: ['claim-b', 'claim-c'],
    });
  });

  it('a resubmission without competing claims clears the earlier ones', () => {
    const editing = stage('editing');
    const submitted = act(editing, {
      type: 'submit',
      availableDocuments: 1,
      conflictingClaimIds: ['claim-b'],
    });
    const waiting = act(act(submitted, sampleAction('startReview')), sampleAction('requestInfo'));
    expect(waiting.claim.conflictingClaimIds).toEqual(['claim-b']);
    const { claim } = act(waiting, { type: 'submit', availableDocuments: 1, conflictingClaimIds: [] });
    expect(claim).not.toHaveProperty('conflictingClaimIds');
  });

  it('from editing records the submission time', () => {
    const { claim, now } = act(stage('editing'), sampleAction('submit'));
    expect(claim.submittedAt).toBe(now.toISOString());
  });

  it('from partnerActionRequired resubmits to underReview and keeps the first submission time', () => {
    const before = stage('partnerActionRequired');
    const { claim } = act(before, sampleAction('submit'));
    expect(claim.status).toBe('underReview');
    expect(claim.submittedAt).toBe(before.claim.submittedAt);
    expect(claim.deadlines.partnerResponseBy).toBeUndefined();
    expect(claim.deadlines.decisionBy).toBeDefined();
  });
});

describe('withdraw', () => {
  const withdrawable: ClaimStatus[] = [
    'editing',
    'submitted',
    'underReview',
    'partnerActionRequired',
    'approved',
    'disputed',
  ];

  it.each(withdrawable)('from %s rejects for partnerRequest, final, without a dispute window', (status) => {
    const { claim, now, last } = act(stage(status), {
      type: 'withdraw',
      comment: 'No longer working with them',
    });
    expect(claim.status).toBe('rejected');
    expect(claim.rejection).toEqual({
      reason: 'partnerRequest',
      comment: 'No longer working with them',
      at: now.toISOString(),
      final: true,
    });
    expect(claim.deadlines).toEqual({});
    expect(disputeWindowOpen(claim, now)).toBe(false);
    expect(last.record).toMatchObject({ type: 'withdraw', reason: 'partnerRequest' });
  });

  it('from approved ends the consent request', () => {
    const { claim } = act(stage('approved'), sampleAction('withdraw'));
    expect(claim.consent).toBeUndefined();
  });

  it('cannot be disputed afterwards', () => {
    const withdrawn = stage('rejectedPartnerRequest');
    const error = thrown(() => act(withdrawn, sampleAction('dispute')));
    expect(error).toBeInstanceOf(ClaimRuleViolationError);
    expect(error).toMatchObject({ rule: 'rejectionNotDisputable' });
  });
});

describe('review', () => {
  it('requestInfo records the reasons and comment and gives the partner 5 business days', () => {
    const { claim, now } = act(stage('underReview'), {
      type: 'requestInfo',
      reasons: ['missingProducts', 'missingOrOldDates'],
      comment: 'Which workloads?',
    });
    expect(claim.status).toBe('partnerActionRequired');
    expect(claim.infoRequest).toEqual({
      reasons: ['missingProducts', 'missingOrOldDates'],
      comment: 'Which workloads?',
      at: now.toISOString(),
    });
    expect(claim.deadlines).toEqual({ partnerResponseBy: expectedBusinessDay(now, 5) });
  });

  it('approve starts a 7-calendar-day consent window', () => {
    const { claim, now } = act(stage('underReview'), sampleAction('approve'));
    // Approved Monday 2 March 2026, 12:00 PST; DST starts on 8 March, so 12:00 PDT on the 9th.
    expect(now.toISOString()).toBe('2026-03-02T20:00:00.000Z');
    const endsAt = '2026-03-09T19:00:00.000Z';
    expect(claim.status).toBe('approved');
    expect(claim.consent).toEqual({ status: 'pending', endsAt });
    expect(claim.deadlines).toEqual({ consentEndsAt: endsAt });
  });

  it('reject records a disputable rejection with a 30-day dispute window', () => {
    const { claim, now } = act(stage('underReview'), {
      type: 'reject',
      reason: 'missingCustomerConsent',
      comment: 'No consent on file.',
    });
    expect(claim.rejection).toEqual({
      reason: 'missingCustomerConsent',
      comment: 'No consent on file.',
      at: now.toISOString(),
      final: false,
    });
    // 2026-03-02 + 30 days crosses the DST start of 8 March: same local time, one hour less UTC.
    expect(claim.deadlines).toEqual({ disputeBy: new Date(now.getTime() + 30 * DAY - HOUR).toISOString() });
    expect(disputeWindowOpen(claim, now)).toBe(true);
  });
});

describe('dispute', () => {
  it('opens a dispute with the justification and documents, 5 business days for the reviewer', () => {
    const { claim, now } = act(stage('rejected'), {
      type: 'dispute',
      justification: 'See the new SOW.',
      documentIds: ['doc-7', 'doc-8'],
    });
    expect(claim.status).toBe('disputed');
    expect(claim.dispute).toEqual({
      justification: 'See the new SOW.',
      documentIds: ['doc-7', 'doc-8'],
      openedAt: now.toISOString(),
    });
    expect(claim.deadlines).toEqual({ decisionBy: expectedBusinessDay(now, 5) });
  });

  it('is allowed up to just before disputeBy', () => {
    const rejected = stage('rejected');
    const disputeBy = Date.parse(rejected.claim.deadlines.disputeBy as string);
    const { claim } = act(rejected, sampleAction('dispute'), disputeBy - 1 - rejected.now.getTime());
    expect(claim.status).toBe('disputed');
  });

  it.each([
    ['at disputeBy', 0],
    ['a day after disputeBy', DAY],
  ])('is refused %s (the 30 days are over)', (_label, lateMs) => {
    const rejected = deepFreeze(stage('rejected'));
    const disputeBy = Date.parse(rejected.claim.deadlines.disputeBy as string);
    const error = thrown(() =>
      act(rejected, sampleAction('dispute'), disputeBy + lateMs - rejected.now.getTime()),
    );
    expect(error).toBeInstanceOf(ClaimRuleViolationError);
    expect(error).toMatchObject({ rule: 'disputeWindowClosed', status: 'rejected' });
  });

  it.each<[Stage, string]>([
    ['rejectedExpired', 'disputeWindowClosed'],
    // A second dispute is told the rejection is final, not that the 30 days are over.
    ['rejectedUpheld', 'rejectionFinal'],
    ['rejectedPartnerRequest', 'rejectionNotDisputable'],
    ['rejectedCustomerDecline', 'rejectionNotDisputable'],
  ])('of a %s claim is refused (%s)', (name, rule) => {
    const rejected = deepFreeze(stage(name));
    const error = thrown(() => act(rejected, sampleAction('dispute'), HOUR));
    expect(error).toBeInstanceOf(ClaimRuleViolationError);
    expect(error).toMatchObject({ rule, status: 'rejected' });
  });

  it('of a final rejection is refused even inside the 30 days (upheld dispute)', () => {
    const upheld = stage('rejectedUpheld');
    const originalDisputeBy = Date.parse(stage('rejected').claim.deadlines.disputeBy as string);
    expect(upheld.now.getTime()).toBeLessThan(originalDisputeBy);
    expect(upheld.claim.rejection?.final).toBe(true);
    expect(disputeWindowOpen(upheld.claim, upheld.now)).toBe(false);
  });

  it('of a noPartnerResponse rejection within 30 days is allowed', () => {
    const autoRejected = stage('rejectedNoPartnerResponse');
    expect(autoRejected.claim.rejection).toMatchObject({ reason: 'noPartnerResponse', final: false });
    const { claim } = act(autoRejected, sampleAction('dispute'), 29 * DAY);
    expect(claim.status).toBe('disputed');
  });
});

describe('resolveDispute', () => {
  it('overturned approves the claim with a fresh consent window and drops the rejection', () => {
    const disputed = stage('disputed');
    const { claim, now } = act(
      disputed,
      { type: 'resolveDispute', outcome: 'overturned', comment: 'Fine.' },
      2 * DAY,
    );
    expect(claim.status).toBe('approved');
    expect(claim.rejection).toBeUndefined();
    expect(claim.dispute).toMatchObject({ ...disputed.claim.dispute, outcome: 'overturned' });
    const endsAt = expectedCalendarDay(now, 7);
    expect(claim.consent).toEqual({ status: 'pending', endsAt });
    expect(claim.deadlines).toEqual({ consentEndsAt: endsAt });
  });

  it('upheld makes the original rejection final, with no dispute window left', () => {
    const disputed = stage('disputed');
    const { claim } = act(disputed, { type: 'resolveDispute', outcome: 'upheld', comment: 'No.' });
    expect(claim.status).toBe('rejected');
    expect(claim.rejection).toEqual({ ...disputed.claim.rejection, final: true });
    expect(claim.dispute?.outcome).toBe('upheld');
    expect(claim.deadlines).toEqual({});
  });
});

describe('customerDeny', () => {
  it('rejects for customerDecline, final, and records the denial', () => {
    const approved = stage('approved');
    const { claim, now } = act(approved, sampleAction('customerDeny'), 3 * DAY);
    expect(claim.status).toBe('rejected');
    expect(claim.rejection).toMatchObject({ reason: 'customerDecline', final: true, at: now.toISOString() });
    expect(claim.consent).toEqual({ ...approved.claim.consent, status: 'denied' });
    expect(claim.deadlines).toEqual({});
  });

  it('is allowed up to just before the consent window ends', () => {
    const approved = stage('approved');
    const endsAt = Date.parse(approved.claim.consent?.endsAt as string);
    const { claim } = act(approved, sampleAction('customerDeny'), endsAt - 1 - approved.now.getTime());
    expect(claim.status).toBe('rejected');
  });

  it.each([
    ['at the end of the consent window', 0],
    ['after the consent window', DAY],
  ])('is refused %s', (_label, lateMs) => {
    const approved = deepFreeze(stage('approved'));
    const endsAt = Date.parse(approved.claim.consent?.endsAt as string);
    const error = thrown(() =>
      act(approved, sampleAction('customerDeny'), endsAt + lateMs - approved.now.getTime()),
    );
    expect(error).toBeInstanceOf(ClaimRuleViolationError);
    expect(error).toMatchObject({ rule: 'consentWindowClosed', status: 'approved' });
  });

  it('is refused once the consent period has ended and the claim is in assessment', () => {
    const ended = deepFreeze(stage('approvedPeriodEnded'));
    const error = thrown(() => act(ended, sampleAction('customerDeny'), 0));
    expect(error).toMatchObject({ rule: 'consentWindowClosed' });
  });
});

describe('assertCanAddDocument', () => {
  const cases: { stage: Stage; expected: 'ok' | string }[] = [
    { stage: 'editing', expected: 'ok' },
    { stage: 'submitted', expected: 'ok' },
    { stage: 'partnerActionRequired', expected: 'ok' },
    { stage: 'underReview', expected: 'ClaimStatusConflictError' },
    { stage: 'approved', expected: 'ClaimStatusConflictError' },
    { stage: 'disputed', expected: 'ClaimStatusConflictError' },
    { stage: 'rejected', expected: 'ok' },
    { stage: 'rejectedNoPartnerResponse', expected: 'ok' },
    { stage: 'rejectedExpired', expected: 'disputeWindowClosed' },
    { stage: 'rejectedUpheld', expected: 'rejectionFinal' },
    { stage: 'rejectedPartnerRequest', expected: 'rejectionNotDisputable' },
    { stage: 'rejectedCustomerDecline', expected: 'rejectionNotDisputable' },
  ];

  it.each(cases)('partner in $stage → $expected', ({ stage: name, expected }) => {
    const { claim, now } = stage(name);
    if (expected === 'ok') {
      expect(() => assertCanAddDocument(claim, actors.partner, now)).not.toThrow();
    } else if (expected === 'ClaimStatusConflictError') {
      const error = thrown(() => assertCanAddDocument(claim, actors.partner, now));
      expect(error).toBeInstanceOf(ClaimStatusConflictError);
      expect(error).toMatchObject({ status: claim.status, kind: 'conflict' });
    } else {
      const error = thrown(() => assertCanAddDocument(claim, actors.partner, now));
      expect(error).toBeInstanceOf(ClaimRuleViolationError);
      expect(error).toMatchObject({ rule: expected });
    }
  });

  it('partner in rejected after the dispute window (timer not yet fired) → disputeWindowClosed', () => {
    const { claim } = stage('rejected');
    const after = new Date(Date.parse(claim.deadlines.disputeBy as string) + 1);
    expect(thrown(() => assertCanAddDocument(claim, actors.partner, after))).toMatchObject({
      rule: 'disputeWindowClosed',
    });
  });

  it.each(
    CLAIM_STATUSES.flatMap((status) =>
      (['reviewer', 'customer', 'system'] as const).map((actor) => ({ status, actor })),
    ),
  )('$actor in $status → ActionForbiddenError', ({ status, actor }) => {
    const { claim, now } = stage(status);
    expect(thrown(() => assertCanAddDocument(claim, actors[actor], now))).toBeInstanceOf(
      ActionForbiddenError,
    );
  });
});

describe('who may see and comment', () => {
  it.each([
    { who: 'the owning partner', actor: actors.partner, expected: true },
    { who: 'another partner', actor: otherPartner, expected: false },
    { who: 'a reviewer', actor: actors.reviewer, expected: true },
    { who: 'the system', actor: actors.system, expected: true },
    { who: 'a customer (only through the consent token)', actor: actors.customer, expected: false },
  ])('$who → canView $expected', ({ actor, expected }) => {
    expect(canView(actor, stage('editing').claim)).toBe(expected);
  });

  it.each(ACTOR_KINDS)('%s may comment only if partner or reviewer', (kind) => {
    if (kind === 'partner' || kind === 'reviewer') expect(() => assertCanComment(actors[kind])).not.toThrow();
    else expect(thrown(() => assertCanComment(actors[kind]))).toBeInstanceOf(ActionForbiddenError);
  });
});

describe('errors', () => {
  it('every refusal is a DomainError, so handlers can map it in one place', () => {
    // Eight days after approval: the consent window is over, so customerDeny is refused too.
    const { claim, now } = stage('approved');
    const later = ctxAt(now.getTime() + 8 * DAY);
    const refusals = ACTION_TYPES.flatMap((action) =>
      ACTOR_KINDS.flatMap((kind) => {
        try {
          applyAction(claim, sampleAction(action), actors[kind], later);
          return [];
        } catch (error) {
          return [error];
        }
      }),
    );
    expect(refusals.length).toBe(ACTION_TYPES.length * ACTOR_KINDS.length - 1); // only withdraw passes
    for (const error of refusals) expect(error).toBeInstanceOf(DomainError);
  });
});
