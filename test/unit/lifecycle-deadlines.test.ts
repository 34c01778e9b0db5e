import { describe, expect, it } from 'vitest';
import type { ClaimStatus, DeadlineKind } from '../../functions/domain/claim.js';
import { ClaimRuleViolationError, DeadlinePassedError } from '../../functions/domain/errors.js';
import {
  applyAction,
  applyDeadlineExpiry,
  assertCanAddDocument,
  BINDING_DEADLINES,
  type BoundAction,
  type ClaimAction,
  deadlinesFor,
  disputeWindowOpen,
  type Effect,
  LIFECYCLE_POLICY,
} from '../../functions/domain/lifecycle.js';
import {
  ACTOR_OF,
  act,
  actors,
  ctxAt,
  DAY,
  deepFreeze,
  expire,
  HOUR,
  type Stage,
  type Staged,
  sampleAction,
  stage,
  thrown,
} from './claim-fixtures.js';

/** design.md's clocks. */
describe('the policy', () => {
  it('is 5 business days for review start, decision, partner response and dispute decision; 7 and 30 calendar days', () => {
    expect(LIFECYCLE_POLICY).toEqual({
      reviewStartBusinessDays: 5,
      decisionBusinessDays: 5,
      partnerResponseBusinessDays: 5,
      disputeDecisionBusinessDays: 5,
      consentCalendarDays: 7,
      disputeCalendarDays: 30,
    });
  });
});

describe('deadlinesFor', () => {
  // All instants below were worked out by hand from a US calendar in America/Los_Angeles.
  const cases: { status: ClaimStatus; from: string; expected: Record<string, string>; why: string }[] = [
    { status: 'editing', from: '2026-06-11T17:00:00.000Z', expected: {}, why: 'no clock' },
    {
      status: 'submitted',
      from: '2026-06-11T17:00:00.000Z', // Thu 10:00 PDT
      expected: { reviewStartBy: '2026-06-18T17:00:00.000Z' }, // Fri, (weekend), Mon–Thu
      why: 'skips a weekend',
    },
    {
      status: 'underReview',
      from: '2026-11-23T18:00:00.000Z', // Mon 10:00 PST
      expected: { decisionBy: '2026-12-01T18:00:00.000Z' }, // Tue, Wed, (Thanksgiving), Fri, (weekend), Mon, Tue
      why: 'skips Thanksgiving (the day after is an observance, a working day) and a weekend',
    },
    {
      status: 'partnerActionRequired',
      from: '2026-03-06T18:00:00.000Z', // Fri 10:00 PST
      expected: { partnerResponseBy: '2026-03-13T17:00:00.000Z' }, // Fri 10:00 PDT
      why: 'keeps 10:00 local across the start of DST (8 March)',
    },
    {
      status: 'disputed',
      from: '2026-10-28T17:00:00.000Z', // Wed 10:00 PDT
      expected: { decisionBy: '2026-11-04T18:00:00.000Z' }, // Wed 10:00 PST
      why: 'keeps 10:00 local across the end of DST (1 November)',
    },
    {
      status: 'submitted',
      from: '2026-06-13T17:00:00.000Z', // Sat 10:00 PDT
      expected: { reviewStartBy: '2026-06-22T17:00:00.000Z' }, // Mon–Thu, (Juneteenth Fri), Mon
      why: 'starts counting after a weekend day and skips Juneteenth',
    },
    {
      status: 'approved',
      from: '2026-10-29T17:00:00.000Z', // Thu 10:00 PDT
      expected: { consentEndsAt: '2026-11-05T18:00:00.000Z' }, // Thu 10:00 PST
      why: '7 calendar days, same local time across the end of DST',
    },
    {
      status: 'approved',
      from: '2026-12-24T18:00:00.000Z', // Thu 10:00 PST, Christmas Eve
      expected: { consentEndsAt: '2026-12-31T18:00:00.000Z' },
      why: 'calendar days count weekends and holidays',
    },
    {
      status: 'rejected',
      from: '2026-02-20T18:00:00.000Z', // Fri 10:00 PST
      expected: { disputeBy: '2026-03-22T17:00:00.000Z' }, // Sun 10:00 PDT
      why: '30 calendar days, same local time across the start of DST',
    },
    {
      status: 'rejected',
      from: '2026-01-01T07:59:00.000Z', // Wed 31 Dec 2025, 23:59 PST
      expected: { disputeBy: '2026-01-31T07:59:00.000Z' }, // Fri 30 Jan 2026, 23:59 PST
      why: 'counts from the local date, not the UTC date',
    },
  ];

  it.each(cases)('$status from $from → $expected ($why)', ({ status, from, expected }) => {
    expect(deadlinesFor(status, ctxAt(from))).toEqual(expected);
  });

  it('a rejection that may not be disputed carries no dispute window', () => {
    expect(deadlinesFor('rejected', ctxAt('2026-02-20T18:00:00.000Z'), { disputable: false })).toEqual({});
  });

  it('an action uses the same deadlines (submit over Thanksgiving)', () => {
    const { claim } = act(
      stage('editing', new Date('2026-11-20T18:00:00.000Z')),
      sampleAction('submit'),
      3 * DAY,
    );
    // Submitted Mon 23 Nov 10:00 PST.
    expect(claim.submittedAt).toBe('2026-11-23T18:00:00.000Z');
    expect(claim.deadlines).toEqual({ reviewStartBy: '2026-12-01T18:00:00.000Z' });
  });
});

describe('applyDeadlineExpiry', () => {
  it('partnerResponseBy auto-rejects for noPartnerResponse, disputable for 30 days', () => {
    const waiting = deepFreeze(stage('partnerActionRequired'));
    const { claim, now, last } = expire(waiting, 'partnerResponseBy');

    expect(claim.status).toBe('rejected');
    expect(claim.version).toBe(waiting.claim.version + 1);
    expect(claim.rejection).toMatchObject({
      reason: 'noPartnerResponse',
      final: false,
      at: now.toISOString(),
    });
    expect(claim.deadlines).toEqual({
      disputeBy: ctxAt(now).calendar.addCalendarDays(now, 30).toISOString(),
    });
    expect(disputeWindowOpen(claim, now)).toBe(true);
    expect(last.record).toMatchObject({
      type: 'deadlineExpired',
      deadline: 'partnerResponseBy',
      fromStatus: 'partnerActionRequired',
      toStatus: 'rejected',
      reason: 'noPartnerResponse',
    });
  });

  it("consentEndsAt hands the claim to incentive assessment at the window's end; it stays approved", () => {
    const approved = deepFreeze(stage('approved'));
    const { claim, now, last } = expire(approved, 'consentEndsAt', 5_000);

    expect(claim.status).toBe('approved');
    expect(claim.statusSince).toBe(approved.claim.statusSince);
    expect(claim.version).toBe(approved.claim.version + 1);
    expect(claim.consent).toEqual({ status: 'periodEnded', endsAt: approved.claim.consent?.endsAt });
    // Applied 5 s late, dated at the deadline; only updatedAt and appliedAt say when it ran.
    expect(claim.incentiveAssessment).toEqual({ status: 'pending', at: approved.claim.consent?.endsAt });
    expect(last.at).toBe(approved.claim.consent?.endsAt);
    expect(last.record.appliedAt).toBe(now.toISOString());
    expect(claim.updatedAt).toBe(now.toISOString());
    expect(claim.deadlines).toEqual({});
    expect(last.effects).toEqual([
      { type: 'publishEvent', detailType: 'ConsentPeriodEnded' },
      { type: 'retainDocuments' },
    ]);
  });

  it('disputeBy makes the rejection final', () => {
    const rejected = deepFreeze(stage('rejected'));
    const { claim, last } = expire(rejected, 'disputeBy');
    expect(claim.status).toBe('rejected');
    expect(claim.rejection).toEqual({ ...rejected.claim.rejection, final: true });
    expect(claim.deadlines).toEqual({});
    expect(last.effects).toEqual([
      { type: 'publishEvent', detailType: 'RejectionFinal' },
      { type: 'retainDocuments' },
    ]);
  });

  it.each<{ stage: Stage; deadline: DeadlineKind }>([
    { stage: 'submitted', deadline: 'reviewStartBy' },
    { stage: 'underReview', deadline: 'decisionBy' },
    { stage: 'disputed', deadline: 'decisionBy' },
  ])('$deadline in $stage flags an SLA breach once, status unchanged', ({ stage: name, deadline }) => {
    const before = deepFreeze(stage(name));
    const dueAt = before.claim.deadlines[deadline] as string;

    const flagged = expire(before, deadline, 60_000);

    expect(flagged.claim.status).toBe(before.claim.status);
    expect(flagged.claim.version).toBe(before.claim.version + 1);
    expect(flagged.claim.deadlines).toEqual(before.claim.deadlines);
    expect(flagged.claim.slaBreaches).toEqual([
      { deadline, status: before.claim.status, dueAt, flaggedAt: flagged.now.toISOString() },
    ]);
    expect(flagged.last.effects).toEqual([{ type: 'publishEvent', detailType: 'SlaBreached' }]);
    // The relay is at-least-once: the same timer firing again changes nothing.
    const again = applyDeadlineExpiry(
      deepFreeze(flagged.claim),
      { deadline, dueAt },
      ctxAt(flagged.now.getTime() + HOUR),
    );
    expect(again).toBeUndefined();
  });

  it('an SLA breach does not stop the review: the reviewer may still decide', () => {
    const flagged = expire(stage('underReview'), 'decisionBy');
    expect(act(flagged, sampleAction('approve')).claim.status).toBe('approved');
  });

  describe('a stale timer is a no-op', () => {
    it('fired before it is due', () => {
      const { claim } = deepFreeze(stage('partnerActionRequired'));
      const dueAt = claim.deadlines.partnerResponseBy as string;
      const early = new Date(Date.parse(dueAt) - 1);
      expect(
        applyDeadlineExpiry(claim, { deadline: 'partnerResponseBy', dueAt }, ctxAt(early)),
      ).toBeUndefined();
    });

    it('with a different due time', () => {
      const { claim } = deepFreeze(stage('partnerActionRequired'));
      const dueAt = claim.deadlines.partnerResponseBy as string;
      const other = new Date(Date.parse(dueAt) - DAY).toISOString();
      expect(
        applyDeadlineExpiry(
          claim,
          { deadline: 'partnerResponseBy', dueAt: other },
          ctxAt(Date.parse(dueAt) + DAY),
        ),
      ).toBeUndefined();
    });

    it.each<{ from: Stage; deadline: DeadlineKind; action: ClaimAction }>([
      { from: 'partnerActionRequired', deadline: 'partnerResponseBy', action: sampleAction('submit') },
      { from: 'partnerActionRequired', deadline: 'partnerResponseBy', action: sampleAction('withdraw') },
      { from: 'submitted', deadline: 'reviewStartBy', action: sampleAction('startReview') },
      { from: 'underReview', deadline: 'decisionBy', action: sampleAction('approve') },
      { from: 'approved', deadline: 'consentEndsAt', action: sampleAction('customerDeny') },
      { from: 'approved', deadline: 'consentEndsAt', action: sampleAction('withdraw') },
      { from: 'rejected', deadline: 'disputeBy', action: sampleAction('dispute') },
      { from: 'disputed', deadline: 'decisionBy', action: sampleAction('resolveDispute') },
    ])('$deadline after $action.type moved the claim on from $from', ({ from, deadline, action }) => {
      const before = stage(from);
      const dueAt = before.claim.deadlines[deadline] as string;
      const moved = deepFreeze(act(before, action));
      expect(
        applyDeadlineExpiry(moved.claim, { deadline, dueAt }, ctxAt(Date.parse(dueAt) + DAY)),
      ).toBeUndefined();
    });

    it('the disputed decisionBy timer after the dispute was resolved and the claim re-approved', () => {
      const disputed = stage('disputed');
      const dueAt = disputed.claim.deadlines.decisionBy as string;
      const overturned = act(disputed, sampleAction('resolveDispute'));
      expect(
        applyDeadlineExpiry(overturned.claim, { deadline: 'decisionBy', dueAt }, ctxAt(Date.parse(dueAt))),
      ).toBeUndefined();
    });

    it('the second fire of an expiry that changed the status', () => {
      const rejected = expire(stage('partnerActionRequired'), 'partnerResponseBy');
      const dueAt = stage('partnerActionRequired').claim.deadlines.partnerResponseBy as string;
      expect(
        applyDeadlineExpiry(rejected.claim, { deadline: 'partnerResponseBy', dueAt }, ctxAt(rejected.now)),
      ).toBeUndefined();
    });

    it('the second fire of consentEndsAt and of disputeBy', () => {
      const ended = expire(stage('approved'), 'consentEndsAt');
      const endsAt = stage('approved').claim.deadlines.consentEndsAt as string;
      expect(
        applyDeadlineExpiry(ended.claim, { deadline: 'consentEndsAt', dueAt: endsAt }, ctxAt(ended.now)),
      ).toBeUndefined();
      const final = expire(stage('rejected'), 'disputeBy');
      const disputeBy = stage('rejected').claim.deadlines.disputeBy as string;
      expect(
        applyDeadlineExpiry(final.claim, { deadline: 'disputeBy', dueAt: disputeBy }, ctxAt(final.now)),
      ).toBeUndefined();
    });
  });

  it('an edit between arming and firing does not make the timer stale', () => {
    const waiting = stage('partnerActionRequired');
    const edited = act(waiting, { type: 'edit', patch: { partner: { mpnId: '7654321' } } });
    expect(edited.claim.deadlines).toEqual(waiting.claim.deadlines);
    expect(expire(edited, 'partnerResponseBy').claim.status).toBe('rejected');
  });
});

/** The effects of each transition, as a multiset. */
function effectsOf(staged: Staged): string[] {
  return staged.last.effects.map(describeEffect).sort();
}

function describeEffect(effect: Effect): string {
  switch (effect.type) {
    case 'armTimer':
      return `armTimer:${effect.deadline}`;
    case 'stopTimer':
      return `stopTimer:${effect.deadline}`;
    case 'retainDocuments':
      return 'retainDocuments';
    case 'sendEmail':
      return `email:${effect.template}`;
    case 'publishEvent':
      return `event:${effect.detailType}`;
  }
}

/** The timer a claim leaving each status stops: that status's own deadline, if it has one. */
const STOPPED_BY_LEAVING: Record<ClaimStatus, string[]> = {
  editing: [],
  submitted: ['stopTimer:reviewStartBy'],
  underReview: ['stopTimer:decisionBy'],
  partnerActionRequired: ['stopTimer:partnerResponseBy'],
  approved: ['stopTimer:consentEndsAt'],
  rejected: ['stopTimer:disputeBy'],
  disputed: ['stopTimer:decisionBy'],
};

describe('effects', () => {
  const transitions: { name: string; run: () => Staged; expected: string[] }[] = [
    { name: 'edit', run: () => act(stage('editing'), sampleAction('edit')), expected: [] },
    {
      name: 'submit',
      run: () => act(stage('editing'), sampleAction('submit')),
      expected: ['armTimer:reviewStartBy', 'event:ClaimSubmitted'],
    },
    {
      name: 'resubmit',
      run: () => act(stage('partnerActionRequired'), sampleAction('submit')),
      expected: ['stopTimer:partnerResponseBy', 'armTimer:decisionBy', 'event:ClaimResubmitted'],
    },
    {
      name: 'startReview',
      run: () => act(stage('submitted'), sampleAction('startReview')),
      expected: ['stopTimer:reviewStartBy', 'armTimer:decisionBy'],
    },
    {
      name: 'requestInfo',
      run: () => act(stage('underReview'), sampleAction('requestInfo')),
      expected: [
        'stopTimer:decisionBy',
        'armTimer:partnerResponseBy',
        'email:infoRequest',
        'event:InfoRequested',
      ],
    },
    {
      name: 'approve',
      run: () => act(stage('underReview'), sampleAction('approve')),
      expected: [
        'stopTimer:decisionBy',
        'armTimer:consentEndsAt',
        'email:consentRequest',
        'event:ClaimApproved',
      ],
    },
    {
      name: 'reject',
      run: () => act(stage('underReview'), sampleAction('reject')),
      expected: ['stopTimer:decisionBy', 'armTimer:disputeBy', 'email:rejection', 'event:ClaimRejected'],
    },
    ...(
      ['editing', 'submitted', 'underReview', 'partnerActionRequired', 'approved', 'disputed'] as const
    ).map((from) => ({
      name: `withdraw from ${from}`,
      run: () => act(stage(from), sampleAction('withdraw')),
      // The status's own deadline is superseded: its waiting timer is stopped.
      // A withdrawal is a final rejection: the documents pass to the final-claim retention.
      expected: [...STOPPED_BY_LEAVING[from], 'event:ClaimRejected', 'retainDocuments'],
    })),
    {
      name: 'dispute',
      run: () => act(stage('rejected'), sampleAction('dispute')),
      expected: ['stopTimer:disputeBy', 'armTimer:decisionBy', 'event:DisputeOpened'],
    },
    {
      name: 'resolveDispute overturned',
      run: () => act(stage('disputed'), { type: 'resolveDispute', outcome: 'overturned', comment: 'ok' }),
      expected: [
        'stopTimer:decisionBy',
        'armTimer:consentEndsAt',
        'email:consentRequest',
        'email:disputeOutcome',
        'event:DisputeResolved',
      ],
    },
    {
      name: 'resolveDispute upheld',
      run: () => act(stage('disputed'), { type: 'resolveDispute', outcome: 'upheld', comment: 'no' }),
      expected: ['stopTimer:decisionBy', 'email:disputeOutcome', 'event:DisputeResolved', 'retainDocuments'],
    },
    {
      name: 'customerDeny',
      run: () => act(stage('approved'), sampleAction('customerDeny')),
      expected: ['stopTimer:consentEndsAt', 'email:rejection', 'event:ClaimRejected', 'retainDocuments'],
    },
    {
      name: 'partnerResponseBy expiry (auto-reject)',
      run: () => expire(stage('partnerActionRequired'), 'partnerResponseBy'),
      expected: ['armTimer:disputeBy', 'email:rejection', 'event:ClaimRejected'],
    },
    {
      name: 'consentEndsAt expiry',
      run: () => expire(stage('approved'), 'consentEndsAt'),
      expected: ['event:ConsentPeriodEnded', 'retainDocuments'],
    },
    {
      name: 'disputeBy expiry',
      run: () => expire(stage('rejected'), 'disputeBy'),
      expected: ['event:RejectionFinal', 'retainDocuments'],
    },
    {
      name: 'reviewStartBy expiry',
      run: () => expire(stage('submitted'), 'reviewStartBy'),
      expected: ['event:SlaBreached'],
    },
  ];

  it.each(transitions)('$name → $expected', ({ run, expected }) => {
    expect(effectsOf(run())).toEqual([...expected].sort());
  });

  it.each(transitions)(
    '$name arms a timer for exactly each newly set deadline, at its due time',
    ({ run }) => {
      const { claim, last } = run();
      const armed = last.effects.filter((e) => e.type === 'armTimer');
      const before = last.record.changes.filter((c) => c.field.startsWith('deadlines.') && c.to !== null);
      expect(armed).toEqual(
        before.map((c) => ({ type: 'armTimer', deadline: c.field.slice('deadlines.'.length), dueAt: c.to })),
      );
      for (const timer of armed) expect(claim.deadlines[timer.deadline]).toBe(timer.dueAt);
    },
  );

  it('a partner re-entering underReview at the same instant still gets a decision timer', () => {
    // underReview → partnerActionRequired → underReview: the new decisionBy differs from the
    // previous status's deadlines, so it is armed even if the instant repeats.
    const waiting = stage('partnerActionRequired');
    const back = applyAction(waiting.claim, sampleAction('submit'), actors.partner, ctxAt(waiting.now));
    expect(back.effects.filter((e) => e.type === 'armTimer')).toEqual([
      { type: 'armTimer', deadline: 'decisionBy', dueAt: back.claim.deadlines.decisionBy },
    ]);
  });
});

describe('one live timer per claim', () => {
  it('a stop names the execution its deadline was armed with: claim, deadline, arming version', () => {
    const reviewing = stage('underReview');
    expect(reviewing.claim.timerVersions).toEqual({ decisionBy: reviewing.claim.version });
    // The next transition stops it by that version, and an edit in between changes nothing.
    const asked = act(reviewing, sampleAction('requestInfo'));
    expect(asked.last.effects.filter((e) => e.type === 'stopTimer')).toEqual([
      {
        type: 'stopTimer',
        deadline: 'decisionBy',
        dueAt: reviewing.claim.deadlines.decisionBy,
        version: reviewing.claim.version,
      },
    ]);
    const edited = act(asked, { type: 'edit', patch: { partner: { mpnId: '7654321' } } });
    expect(edited.claim.timerVersions).toEqual({ partnerResponseBy: asked.claim.version });
    const back = act(edited, sampleAction('submit'));
    expect(back.last.effects.find((e) => e.type === 'stopTimer')).toMatchObject({
      deadline: 'partnerResponseBy',
      version: asked.claim.version,
    });
  });

  it('a timer that has resumed is not stopped: its own timeout, or a breached SLA superseded later', () => {
    const approved = stage('approved');
    expect(expire(approved, 'consentEndsAt').last.effects.some((e) => e.type === 'stopTimer')).toBe(false);
    const breached = expire(stage('submitted'), 'reviewStartBy');
    const started = act(breached, sampleAction('startReview'));
    expect(started.last.effects.some((e) => e.type === 'stopTimer')).toBe(false);
    expect(started.claim.timerVersions).toEqual({ decisionBy: started.claim.version });
  });

  it('a claim armed before timerVersions existed stops nothing: its execution name is unknown', () => {
    const { timerVersions: _unknown, ...older } = stage('underReview').claim;
    const staged = { ...stage('underReview'), claim: deepFreeze(older) };
    const approved = act(staged, sampleAction('approve'));
    expect(approved.last.effects.some((e) => e.type === 'stopTimer')).toBe(false);
    expect(approved.claim.timerVersions).toEqual({ consentEndsAt: approved.claim.version });
  });

  it('the bookkeeping is never a history change', () => {
    const approved = stage('approved');
    expect(approved.last.record.changes.map((c) => c.field)).not.toContain('timerVersions');
    expect(JSON.stringify(approved.last.record)).not.toContain('timerVersions');
  });
});

describe('deadlines bind the actions, not just the timers', () => {
  it('the deadlines that end a right to act, and nothing else (review SLAs are only flagged)', () => {
    expect(BINDING_DEADLINES).toEqual({
      partnerResponseBy: ['edit', 'submit', 'withdraw', 'addDocument'],
      consentEndsAt: ['customerDeny'],
      disputeBy: ['dispute', 'addDocument'],
      reviewStartBy: [],
      decisionBy: [],
    });
  });

  /** Takes `action` on the staged claim at `at` (by its design actor); addDocument by the partner. */
  const attempt = ({ claim }: Staged, action: BoundAction, at: number) =>
    action === 'addDocument'
      ? assertCanAddDocument(claim, actors.partner, new Date(at))
      : applyAction(claim, sampleAction(action), actors[ACTOR_OF[action]], ctxAt(at));

  const bound: { from: Stage; deadline: DeadlineKind; action: BoundAction; rule: string }[] = [
    {
      from: 'partnerActionRequired',
      deadline: 'partnerResponseBy',
      action: 'submit',
      rule: 'partnerResponseWindowClosed',
    },
    {
      from: 'partnerActionRequired',
      deadline: 'partnerResponseBy',
      action: 'edit',
      rule: 'partnerResponseWindowClosed',
    },
    {
      from: 'partnerActionRequired',
      deadline: 'partnerResponseBy',
      action: 'withdraw',
      rule: 'partnerResponseWindowClosed',
    },
    {
      from: 'partnerActionRequired',
      deadline: 'partnerResponseBy',
      action: 'addDocument',
      rule: 'partnerResponseWindowClosed',
    },
    { from: 'approved', deadline: 'consentEndsAt', action: 'customerDeny', rule: 'consentWindowClosed' },
    { from: 'rejected', deadline: 'disputeBy', action: 'dispute', rule: 'disputeWindowClosed' },
    {
      from: 'rejectedNoPartnerResponse',
      deadline: 'disputeBy',
      action: 'dispute',
      rule: 'disputeWindowClosed',
    },
    { from: 'rejected', deadline: 'disputeBy', action: 'addDocument', rule: 'disputeWindowClosed' },
  ];

  it.each(bound)(
    '$action in $from: allowed a millisecond before $deadline, refused from it on though its timer has not fired',
    ({ from, deadline, action, rule }) => {
      const staged = deepFreeze(stage(from));
      const dueAt = staged.claim.deadlines[deadline] as string;
      expect(() => attempt(staged, action, Date.parse(dueAt) - 1)).not.toThrow();
      for (const late of [0, 1, 3 * DAY]) {
        const error = thrown(() => attempt(staged, action, Date.parse(dueAt) + late));
        expect(error).toBeInstanceOf(DeadlinePassedError);
        expect(error).toMatchObject({ rule, deadline, dueAt, status: staged.claim.status, kind: 'conflict' });
        // The detail names the deadline and its instant.
        expect((error as Error).message).toContain(`${dueAt} (${deadline})`);
      }
    },
  );

  it('a refused resubmission says what happens instead', () => {
    const waiting = stage('partnerActionRequired');
    const dueAt = waiting.claim.deadlines.partnerResponseBy as string;
    const error = thrown(() => attempt(waiting, 'submit', Date.parse(dueAt)));
    expect((error as Error).message).toBe(
      `Action 'submit' is no longer possible: the partner's time to respond to the information request ended at ${dueAt} (partnerResponseBy); the claim is rejected for 'noPartnerResponse' and may then be disputed within 30 days.`,
    );
  });

  it.each<{ from: Stage; deadline: DeadlineKind; actions: ClaimAction['type'][] }>([
    { from: 'submitted', deadline: 'reviewStartBy', actions: ['startReview', 'edit', 'withdraw'] },
    {
      from: 'underReview',
      deadline: 'decisionBy',
      actions: ['approve', 'reject', 'requestInfo', 'withdraw'],
    },
    { from: 'disputed', deadline: 'decisionBy', actions: ['resolveDispute', 'withdraw'] },
    // The partner may withdraw an approved claim whether or not the consent window is over.
    { from: 'approved', deadline: 'consentEndsAt', actions: ['withdraw'] },
  ])('past $deadline in $from, $actions stay allowed', ({ from, deadline, actions }) => {
    const staged = deepFreeze(stage(from));
    const late = Date.parse(staged.claim.deadlines[deadline] as string) + 3 * DAY;
    for (const action of actions) expect(() => attempt(staged, action, late)).not.toThrow();
  });

  it('past partnerResponseBy the timer still rejects the claim, whenever it runs', () => {
    const waiting = stage('partnerActionRequired');
    expect(expire(waiting, 'partnerResponseBy', 3 * DAY).claim.status).toBe('rejected');
  });
});

describe('a timeout applied late takes effect at its deadline', () => {
  it('a noPartnerResponse rejection applied 3 days late: dated at the deadline, disputable until deadline + 30 days', () => {
    const waiting = deepFreeze(stage('partnerActionRequired'));
    const deadline = waiting.claim.deadlines.partnerResponseBy as string;
    const late = expire(waiting, 'partnerResponseBy', 3 * DAY);
    const onTime = expire(waiting, 'partnerResponseBy');

    const disputeBy = ctxAt(deadline).calendar.addCalendarDays(new Date(deadline), 30).toISOString();
    expect(late.claim.rejection).toMatchObject({ reason: 'noPartnerResponse', at: deadline, final: false });
    expect(late.claim.statusSince).toBe(deadline);
    expect(late.claim.deadlines).toEqual({ disputeBy });
    expect(late.last.at).toBe(deadline);
    expect(late.last.record).toMatchObject({
      deadline: 'partnerResponseBy',
      appliedAt: late.now.toISOString(),
    });
    expect(late.claim.updatedAt).toBe(late.now.toISOString());
    expect(late.last.effects).toEqual(onTime.last.effects);
    expect({ ...late.claim, updatedAt: '' }).toEqual({ ...onTime.claim, updatedAt: '' });

    // The window is the on-time one: open a millisecond before deadline + 30 days, closed at it.
    expect(disputeWindowOpen(late.claim, new Date(Date.parse(disputeBy) - 1))).toBe(true);
    expect(disputeWindowOpen(late.claim, new Date(disputeBy))).toBe(false);
  });

  it('disputeBy applied late finalises the rejection as of the deadline; an SLA flag is dated at its due time', () => {
    const rejected = deepFreeze(stage('rejected'));
    const disputeBy = rejected.claim.deadlines.disputeBy as string;
    const final = expire(rejected, 'disputeBy', DAY);
    expect(final.last).toMatchObject({ at: disputeBy, record: { appliedAt: final.now.toISOString() } });

    const submitted = deepFreeze(stage('submitted'));
    const reviewStartBy = submitted.claim.deadlines.reviewStartBy as string;
    const flagged = expire(submitted, 'reviewStartBy', HOUR);
    expect(flagged.last.at).toBe(reviewStartBy);
    expect(flagged.claim.slaBreaches).toEqual([
      {
        deadline: 'reviewStartBy',
        status: 'submitted',
        dueAt: reviewStartBy,
        flaggedAt: flagged.now.toISOString(),
      },
    ]);
  });

  it('an action takes effect when it is taken, and carries no appliedAt', () => {
    const staged = act(stage('underReview'), sampleAction('approve'));
    expect(staged.last.at).toBe(staged.now.toISOString());
    expect(staged.last.record.appliedAt).toBeUndefined();
  });
});

describe('small truths', () => {
  it('a resubmission marks the information request answered; the next request is open again', () => {
    const waiting = deepFreeze(stage('partnerActionRequired'));
    const resubmitted = act(waiting, sampleAction('submit'));
    expect(resubmitted.claim.infoRequest).toEqual({
      ...waiting.claim.infoRequest,
      answeredAt: resubmitted.now.toISOString(),
    });
    expect(resubmitted.last.record.changes).toContainEqual({
      field: 'infoRequest.answeredAt',
      from: null,
      to: resubmitted.now.toISOString(),
    });
    const askedAgain = act(resubmitted, {
      type: 'requestInfo',
      reasons: ['missingProducts'],
      comment: 'More.',
    });
    expect(askedAgain.claim.infoRequest).toEqual({
      reasons: ['missingProducts'],
      comment: 'More.',
      at: askedAgain.now.toISOString(),
    });
  });

  it('a second dispute after an upheld one is told the rejection is final, not that the window is over', () => {
    const upheld = deepFreeze(stage('rejectedUpheld'));
    const error = thrown(() => act(upheld, sampleAction('dispute')));
    expect(error).toBeInstanceOf(ClaimRuleViolationError);
    expect(error).toMatchObject({ rule: 'rejectionFinal' });
    expect((error as Error).message).toBe(
      'The rejection is final: its dispute was upheld on review. A new claim is needed.',
    );
  });
});
