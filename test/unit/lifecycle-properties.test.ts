/**
 * Property-based tests: any sequence of actions (by any actor), clock moves and timer fires
 * keeps every invariant of the lifecycle.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ActorKind, Claim, ClaimStatus, DeadlineKind } from '../../functions/domain/claim.js';
import {
  ACTIVITIES,
  CLAIM_STATUSES,
  INFO_REQUEST_REASONS,
  PRODUCT_FAMILIES,
  REVIEWER_REJECTION_REASONS,
} from '../../functions/domain/claim.js';
import {
  ActionForbiddenError,
  ClaimRuleViolationError,
  ClaimStatusConflictError,
  DeadlinePassedError,
  FieldNotEditableError,
} from '../../functions/domain/errors.js';
import { chainEvent, type HistoryEvent, verifyHistoryChain } from '../../functions/domain/history.js';
import {
  applyAction,
  applyDeadlineExpiry,
  type ClaimAction,
  type ClaimPatch,
  createClaim,
  type DeadlineExpiry,
  EDITABLE_FIELD_PATHS,
  EDITABLE_FIELDS,
  type EditableField,
  isFinalClaim,
  type Transition,
  touchedFields,
} from '../../functions/domain/lifecycle.js';
import {
  ACTOR_KINDS,
  ACTOR_OF,
  actors,
  CARRIED_DEADLINE,
  ctxAt,
  DAY,
  deepFreeze,
  draft,
  HOUR,
} from './claim-fixtures.js';
import {
  atLocal,
  businessDaysBetween,
  isBusinessDate,
  localDate,
  localTime,
  plusDays,
} from './local-time.js';

/** design.md: the statuses each action may start from. */
const FROM: Record<ClaimAction['type'], readonly ClaimStatus[]> = {
  edit: ['editing', 'submitted', 'partnerActionRequired'],
  submit: ['editing', 'partnerActionRequired'],
  withdraw: ['editing', 'submitted', 'underReview', 'partnerActionRequired', 'approved', 'disputed'],
  startReview: ['submitted'],
  requestInfo: ['underReview'],
  approve: ['underReview'],
  reject: ['underReview'],
  dispute: ['rejected'],
  resolveDispute: ['disputed'],
  customerDeny: ['approved'],
};

/**
 * design.md: the deadlines that end a partner's or the customer's right to act, and the
 * actions they end, refused from the deadline on whether or not its timer has fired. The
 * review SLAs bind nobody.
 */
const BINDS: Partial<Record<DeadlineKind, readonly ClaimAction['type'][]>> = {
  partnerResponseBy: ['edit', 'submit', 'withdraw'],
  consentEndsAt: ['customerDeny'],
  disputeBy: ['dispute'],
};

/** The live deadline that has ended `type` by `now`, if any. */
function passedDeadline(claim: Claim, type: ClaimAction['type'], now: Date): DeadlineKind | undefined {
  return (Object.entries(claim.deadlines) as [DeadlineKind, string][]).find(
    ([kind, dueAt]) => BINDS[kind]?.includes(type) && now.getTime() >= Date.parse(dueAt),
  )?.[0];
}

const BUSINESS_DAY_DEADLINES: readonly DeadlineKind[] = ['reviewStartBy', 'decisionBy', 'partnerResponseBy'];
const CALENDAR_DAYS: Partial<Record<DeadlineKind, number>> = { consentEndsAt: 7, disputeBy: 30 };

// ---- generators ----------------------------------------------------------------------------

const text = fc.string({ minLength: 1, maxLength: 12 });
const contactPatch = fc.record({ name: text, email: fc.emailAddress() }, { requiredKeys: [] });
/** The customer's contact stays an address of the customer's domain (`contoso.com` or a subdomain). */
const customerContactPatch = fc.record(
  { name: text, email: fc.constantFrom('bo@contoso.com', 'ada@eu.contoso.com', 'IT@Contoso.COM') },
  { requiredKeys: [] },
);
const products = fc.array(fc.record({ family: fc.constantFrom(...PRODUCT_FAMILIES), workload: text }), {
  minLength: 1,
  maxLength: 3,
});
/** A patch of one or two fields (a contact counts as one), so that edits after submission often pass. */
const patch: fc.Arbitrary<ClaimPatch> = fc
  .record({
    fields: fc.subarray([...EDITABLE_FIELD_PATHS], { minLength: 1, maxLength: 2 }),
    name: text,
    tenantId: fc.uuid(),
    domain: fc.constantFrom('contoso.com', 'CONTOSO.COM'),
    customerContact: customerContactPatch,
    mpnId: fc.stringMatching(/^\d{7}$/),
    partnerName: fc.option(text, { nil: null }),
    partnerContact: contactPatch,
    activity: fc.constantFrom(...ACTIVITIES),
    products,
  })
  .map((v) => {
    const has = (field: EditableField) => v.fields.includes(field);
    const customer = {
      ...(has('customer.tenantId') && { tenantId: v.tenantId }),
      ...(has('customer.domain') && { domain: v.domain }),
      ...(has('customer.contact') && { contact: v.customerContact }),
    };
    const partner = {
      ...(has('partner.mpnId') && { mpnId: v.mpnId }),
      ...(has('partner.name') && { name: v.partnerName }),
      ...(has('partner.contact') && { contact: v.partnerContact }),
    };
    return {
      ...(has('name') && { name: v.name }),
      ...(Object.keys(customer).length > 0 && { customer }),
      ...(Object.keys(partner).length > 0 && { partner }),
      ...(has('activity') && { activity: v.activity }),
      ...(has('products') && { products: v.products }),
    };
  });

/** One generated example of every action; a step picks one of them when it runs. */
const actionOfEachType: fc.Arbitrary<Record<ClaimAction['type'], ClaimAction>> = fc.record({
  edit: patch.map((p) => ({ type: 'edit', patch: p }) as const),
  submit: fc
    .record({
      availableDocuments: fc.nat(2),
      conflictingClaimIds: fc.uniqueArray(fc.uuid(), { maxLength: 2 }),
    })
    .map((r) => ({ type: 'submit', ...r }) as const),
  withdraw: fc.option(text, { nil: undefined }).map((comment) => ({ type: 'withdraw', comment }) as const),
  startReview: fc.constant({ type: 'startReview' } as const),
  requestInfo: fc
    .record({
      reasons: fc.uniqueArray(fc.constantFrom(...INFO_REQUEST_REASONS), { minLength: 1 }),
      comment: text,
    })
    .map((r) => ({ type: 'requestInfo', ...r }) as const),
  approve: fc.option(text, { nil: undefined }).map((comment) => ({ type: 'approve', comment }) as const),
  reject: fc
    .record({ reason: fc.constantFrom(...REVIEWER_REJECTION_REASONS), comment: text })
    .map((r) => ({ type: 'reject', ...r }) as const),
  dispute: fc
    .record({ justification: text, documentIds: fc.array(fc.uuid(), { maxLength: 2 }) })
    .map((r) => ({ type: 'dispute', ...r }) as const),
  resolveDispute: fc
    .record({ outcome: fc.constantFrom<'overturned' | 'upheld'>('overturned', 'upheld'), comment: text })
    .map((r) => ({ type: 'resolveDispute', ...r }) as const),
  customerDeny: fc.constant({ type: 'customerDeny' } as const),
});
const ACTION_TYPES = Object.keys(FROM) as ClaimAction['type'][];

type Step =
  | {
      kind: 'act';
      actions: Record<ClaimAction['type'], ClaimAction>;
      /** Pick among the actions the design allows in the current status, or among all. */
      guided: boolean;
      pick: number;
      actor: ActorKind | undefined;
    }
  | { kind: 'advance'; ms: number }
  /** Move the clock to just around the live deadline without firing its timer (a late relay). */
  | { kind: 'approach'; offsetMs: number }
  | {
      kind: 'fire';
      /** The claim's live deadline, or any timer ever armed (most of them stale by now). */
      live: boolean;
      pick: number;
      early: boolean;
      lateMs: number;
    };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('act' as const),
      actions: actionOfEachType,
      guided: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, fc.constant(false)),
      pick: fc.nat(),
      // Mostly the design's actor for the action (undefined), sometimes anyone.
      actor: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, fc.constantFrom(...ACTOR_KINDS)),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.oneof(fc.integer({ min: 0, max: 6 * HOUR }), fc.integer({ min: 0, max: 12 * DAY })),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('approach' as const),
      offsetMs: fc.constantFrom(-1, 0, 1, HOUR),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('fire' as const),
      live: fc.oneof({ weight: 2, arbitrary: fc.constant(true) }, fc.constant(false)),
      pick: fc.nat(),
      early: fc.boolean(),
      lateMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3 * DAY })),
    }),
  },
);

const start = fc.date({
  min: new Date('2026-01-01T00:00:00.000Z'),
  max: new Date('2027-12-31T00:00:00.000Z'),
  noInvalidDate: true,
});

// ---- the model run -------------------------------------------------------------------------

interface Run {
  claim: Claim;
  now: Date;
  /** Every timer ever armed, stale or not: a relay may deliver any of them late. */
  timers: DeadlineExpiry[];
  /**
   * The executions still waiting, as the effects left them (armed, not stopped, not yet due),
   * by execution name (`<deadline>-v<arming version>`): their due times.
   */
  waiting: Map<string, string>;
  /** The rejection once it became final, which must never change afterwards. */
  final: Claim['rejection'] | undefined;
  history: HistoryEvent[];
  /** Which transitions happened, as `type:deadline:fromStatus`, to measure the generator's reach. */
  seen: Set<string>;
}

function begin(at: Date): Run {
  const created = createClaim({ id: 'claim-p', draft: draft(), actor: actors.partner }, ctxAt(at));
  const run: Run = {
    claim: deepFreeze(created.claim),
    now: at,
    timers: [],
    waiting: new Map(),
    final: undefined,
    history: [],
    seen: new Set(),
  };
  record(run, created, actors.partner);
  checkClaim(run);
  return run;
}

/** Appends the transition's history event as the store does: dated at the transition's `at`. */
function record(run: Run, transition: Transition, actor: (typeof actors)[ActorKind]): void {
  const prev = run.history.at(-1);
  run.history.push(
    chainEvent(
      { ...transition.record, version: transition.claim.version },
      { id: `e${run.history.length + 1}`, claimId: run.claim.id, at: transition.at, actor },
      prev && { seq: prev.seq, hash: prev.hash },
    ),
  );
}

function apply(run: Run, s: Step): void {
  const before = run.claim;
  switch (s.kind) {
    case 'advance':
      run.now = new Date(run.now.getTime() + s.ms);
      return;
    case 'approach': {
      const dueAt = Object.values(before.deadlines)[0];
      if (dueAt) run.now = new Date(Math.max(run.now.getTime(), Date.parse(dueAt) + s.offsetMs));
      return;
    }
    case 'act': {
      const candidates = s.guided
        ? ACTION_TYPES.filter((t) => FROM[t].includes(before.status))
        : ACTION_TYPES;
      const action = s.actions[candidates[s.pick % candidates.length] as ClaimAction['type']];
      const kind = s.actor ?? ACTOR_OF[action.type];
      let result: Transition;
      try {
        result = applyAction(before, action, actors[kind], ctxAt(run.now));
      } catch (error) {
        // `before` is deep-frozen, so a refusal that had touched it would have thrown a
        // TypeError here (rejected by checkRefusal); the run keeps the very same object.
        checkRefusal(before, action, kind, error, run.now);
        return;
      }
      expect(kind).toBe(ACTOR_OF[action.type]);
      expect(FROM[action.type]).toContain(before.status);
      expect(passedDeadline(before, action.type, run.now)).toBeUndefined();
      checkOutcome(before, action, result, run.now);
      checkTransition(run, result);
      record(run, result, actors[kind]);
      return;
    }
    case 'fire': {
      const live = Object.entries(before.deadlines).map(
        ([deadline, dueAt]) => ({ deadline, dueAt }) as DeadlineExpiry,
      );
      const timers = s.live && live.length > 0 ? live : run.timers;
      if (timers.length === 0) return;
      const timer = timers[s.pick % timers.length] as DeadlineExpiry;
      const dueAt = Date.parse(timer.dueAt);
      // A late timer moves the clock to when it fires; an early one fires at the current time.
      if (!s.early) run.now = new Date(Math.max(run.now.getTime(), dueAt + s.lateMs));
      const result = applyDeadlineExpiry(before, timer, ctxAt(run.now));
      const due =
        before.deadlines[timer.deadline] === timer.dueAt &&
        CARRIED_DEADLINE[before.status] === timer.deadline &&
        run.now.getTime() >= dueAt;
      const flagged = before.slaBreaches.some(
        (b) => b.deadline === timer.deadline && b.dueAt === timer.dueAt,
      );
      if (!due || flagged) {
        expect(result).toBeUndefined();
        return;
      }
      expect(result).toBeDefined();
      checkExpiry(before, timer, result as Transition, run.now);
      checkTransition(run, result as Transition);
      record(run, result as Transition, actors.system);
      return;
    }
  }
}

/** A refused action threw the typed error the design predicts and left the claim as it was. */
function checkRefusal(before: Claim, action: ClaimAction, kind: ActorKind, error: unknown, now: Date): void {
  if (kind !== ACTOR_OF[action.type]) {
    expect(error).toBeInstanceOf(ActionForbiddenError);
  } else if (!FROM[action.type].includes(before.status)) {
    expect(error).toBeInstanceOf(ClaimStatusConflictError);
    expect(error).toMatchObject({ status: before.status, action: action.type });
  } else if (passedDeadline(before, action.type, now)) {
    // Past a deadline that binds it, whatever else is wrong with it.
    const deadline = passedDeadline(before, action.type, now) as DeadlineKind;
    const dueAt = before.deadlines[deadline] as string;
    expect(error).toBeInstanceOf(DeadlinePassedError);
    expect(error).toMatchObject({ status: before.status, deadline, dueAt });
    expect((error as Error).message).toContain(`${dueAt} (${deadline})`);
  } else if (action.type === 'edit') {
    expect(error).toBeInstanceOf(FieldNotEditableError);
    const allowed = EDITABLE_FIELDS[before.status];
    expect((error as FieldNotEditableError).fields).toEqual(
      touchedFields(action.patch).filter((f) => !allowed.includes(f)),
    );
  } else {
    expect(error).toBeInstanceOf(ClaimRuleViolationError);
    const rule = (error as ClaimRuleViolationError).rule;
    switch (action.type) {
      case 'submit':
        expect([before.status, action.availableDocuments, rule]).toEqual([
          'editing',
          0,
          'noAvailableDocument',
        ]);
        break;
      case 'dispute': {
        const reason = before.rejection?.reason;
        if (reason === 'partnerRequest' || reason === 'customerDecline')
          expect(rule).toBe('rejectionNotDisputable');
        else {
          // Not past disputeBy (that is the deadline's refusal): the rejection is final already.
          expect(before.rejection?.final).toBe(true);
          expect(rule).toBe(before.dispute?.outcome === 'upheld' ? 'rejectionFinal' : 'disputeWindowClosed');
        }
        break;
      }
      case 'customerDeny':
        expect(rule).toBe('consentWindowClosed');
        expect(before.consent?.status).not.toBe('pending');
        break;
      default:
        throw new Error(`unexpected rule violation ${rule} for ${action.type}`);
    }
  }
}

/** What design.md says each accepted action does, whatever led up to it. */
function checkOutcome(before: Claim, action: ClaimAction, { claim, effects }: Transition, now: Date): void {
  const emails = effects.flatMap((e) => (e.type === 'sendEmail' ? [e.template] : []));
  switch (action.type) {
    case 'submit':
      expect(claim.status).toBe(before.status === 'editing' ? 'submitted' : 'underReview');
      expect(claim.conflictingClaimIds).toEqual(
        action.conflictingClaimIds.length > 0 ? action.conflictingClaimIds : undefined,
      );
      // A resubmission answers the information request; it is kept, marked answered.
      if (before.status === 'partnerActionRequired')
        expect(claim.infoRequest).toEqual({ ...before.infoRequest, answeredAt: now.toISOString() });
      break;
    case 'edit':
    case 'startReview':
    case 'requestInfo':
    case 'approve':
      break;
    case 'withdraw':
      expect(claim.rejection).toMatchObject({ reason: 'partnerRequest', final: true });
      expect(emails).toEqual([]);
      break;
    case 'reject':
      expect(claim.rejection).toMatchObject({ reason: action.reason, final: false });
      expect(emails).toEqual(['rejection']);
      break;
    case 'dispute': {
      const disputeBy = before.deadlines.disputeBy as string;
      expect(now.getTime()).toBeLessThan(Date.parse(disputeBy));
      expect(before.rejection?.final).toBe(false);
      expect(['partnerRequest', 'customerDecline']).not.toContain(before.rejection?.reason);
      break;
    }
    case 'resolveDispute':
      if (action.outcome === 'upheld') {
        expect(claim.status).toBe('rejected');
        expect(claim.rejection).toEqual({ ...before.rejection, final: true });
        expect(emails).toEqual(['disputeOutcome']);
      } else {
        expect(claim.status).toBe('approved');
        expect(claim.consent).toEqual({ status: 'pending', endsAt: claim.deadlines.consentEndsAt });
        expect(emails.sort()).toEqual(['consentRequest', 'disputeOutcome']);
      }
      break;
    case 'customerDeny':
      expect(before.consent?.status).toBe('pending');
      expect(now.getTime()).toBeLessThan(Date.parse(before.consent?.endsAt as string));
      expect(claim.rejection).toMatchObject({ reason: 'customerDecline', final: true });
      expect(claim.consent?.status).toBe('denied');
      expect(emails).toEqual(['rejection']);
      break;
  }
  if (action.type !== 'edit') expect(claim.status).not.toBe(before.status);
}

/** What design.md says each timeout does: at its deadline, however late it is applied. */
function checkExpiry(
  before: Claim,
  timer: DeadlineExpiry,
  { claim, record: rec, at }: Transition,
  now: Date,
): void {
  expect(at).toBe(timer.dueAt);
  expect(rec.appliedAt).toBe(now.toISOString());
  expect(claim.updatedAt).toBe(now.toISOString());
  switch (timer.deadline) {
    case 'partnerResponseBy':
      expect(claim.status).toBe('rejected');
      expect(claim.rejection).toMatchObject({ reason: 'noPartnerResponse', final: false, at });
      expect(claim.statusSince).toBe(at);
      break;
    case 'consentEndsAt':
      expect(claim.status).toBe('approved');
      expect(claim.consent?.status).toBe('periodEnded');
      expect(claim.incentiveAssessment).toEqual({ status: 'pending', at });
      break;
    case 'disputeBy':
      expect(claim.status).toBe('rejected');
      expect(claim.rejection).toEqual({ ...before.rejection, final: true });
      break;
    case 'reviewStartBy':
    case 'decisionBy':
      expect(claim.status).toBe(before.status);
      expect(claim.slaBreaches).toHaveLength(before.slaBreaches.length + 1);
      expect(claim.deadlines).toEqual(before.deadlines);
      break;
  }
}

/** What every successful action or expiry must satisfy, then the claim-level invariants. */
function checkTransition(run: Run, result: Transition): void {
  const before = run.claim;
  const { claim, record: rec, effects, at } = result;
  // An action takes effect now; a timeout at its deadline (checkExpiry), never after now.
  if (rec.type !== 'deadlineExpired') expect(at).toBe(run.now.toISOString());
  expect(Date.parse(at)).toBeLessThanOrEqual(run.now.getTime());

  run.seen.add(`${rec.type}:${rec.deadline ?? ''}:${before.status}`);
  expect(claim.version).toBe(before.version + 1);
  expect(claim.updatedAt).toBe(run.now.toISOString());
  expect(rec.fromStatus).toBe(before.status);
  expect(rec.toStatus).toBe(claim.status);
  expect(claim.id).toBe(before.id);
  expect(claim.partnerId).toBe(before.partnerId);
  expect(claim.createdAt).toBe(before.createdAt);

  if (claim.status !== before.status) {
    expect(claim.statusSince).toBe(at);
    const carried = CARRIED_DEADLINE[claim.status];
    const finalRejection = claim.status === 'rejected' && claim.rejection?.final;
    if (carried && !finalRejection) expect(claim.deadlines[carried]).toBeDefined();
  } else {
    expect(claim.statusSince).toBe(before.statusSince);
  }

  // A deadline set here lies strictly after now, is counted as design.md says, and is armed.
  const set = Object.entries(claim.deadlines).filter(
    ([kind, dueAt]) => before.deadlines[kind as DeadlineKind] !== dueAt,
  ) as [DeadlineKind, string][];
  for (const [kind, dueAt] of set) {
    expect(Date.parse(dueAt)).toBeGreaterThan(Date.parse(at));
    checkDeadlineArithmetic(kind, dueAt, new Date(at));
  }
  const armed = effects.flatMap((e) =>
    e.type === 'armTimer' ? [{ deadline: e.deadline, dueAt: e.dueAt }] : [],
  );
  expect(armed).toEqual(set.map(([deadline, dueAt]) => ({ deadline, dueAt })));

  run.timers.push(...armed);
  checkOneTimerPerDeadline(run, result);
  run.claim = deepFreeze(claim);
  checkClaim(run);
}

/**
 * One live timer per claim: a stop names an execution that is still waiting and is no longer
 * the claim's deadline; afterwards every waiting execution is a live deadline's own (same due
 * time, armed at the version the claim records), so open executions never exceed live
 * deadlines. An execution whose due time has come has resumed and ends by itself.
 */
function checkOneTimerPerDeadline(run: Run, { claim, effects }: Transition): void {
  for (const effect of effects) {
    if (effect.type !== 'stopTimer') continue;
    const name = `${effect.deadline}-v${effect.version}`;
    expect(run.waiting.get(name), `stop of ${name}`).toBe(effect.dueAt);
    expect(claim.deadlines[effect.deadline]).not.toBe(effect.dueAt);
    run.waiting.delete(name);
  }
  for (const effect of effects) {
    if (effect.type === 'armTimer') run.waiting.set(`${effect.deadline}-v${claim.version}`, effect.dueAt);
  }
  for (const [name, dueAt] of run.waiting) {
    if (Date.parse(dueAt) <= run.now.getTime()) {
      run.waiting.delete(name);
      continue;
    }
    const [deadline, version] = name.split('-v') as [DeadlineKind, string];
    expect(claim.deadlines[deadline], `waiting ${name}`).toBe(dueAt);
    expect(claim.timerVersions?.[deadline]).toBe(Number(version));
  }
  expect(Object.keys(claim.timerVersions ?? {})).toEqual(Object.keys(claim.deadlines));
  // A final claim has no live deadline; its documents pass to retention exactly once, on arrival.
  if (isFinalClaim(claim)) expect(claim.deadlines).toEqual({});
  expect(effects.some((e) => e.type === 'retainDocuments')).toBe(
    isFinalClaim(claim) && !isFinalClaim(run.claim),
  );
}

function checkDeadlineArithmetic(kind: DeadlineKind, dueAt: string, from: Date): void {
  if (BUSINESS_DAY_DEADLINES.includes(kind)) {
    expect(isBusinessDate(localDate(dueAt)), `${kind} ${dueAt} on a business day`).toBe(true);
    expect(
      businessDaysBetween(from, dueAt),
      `${kind} ${dueAt} 5 business days after ${from.toISOString()}`,
    ).toBe(5);
    // US DST changes happen on Sundays, so a business day always has the transition's wall time.
    expect(localTime(dueAt), `${kind} ${dueAt} keeps the local time of ${from.toISOString()}`).toBe(
      localTime(from),
    );
    return;
  }
  const days = CALENDAR_DAYS[kind] as number;
  expect(localDate(dueAt)).toBe(plusDays(localDate(from), days));
  // Same wall time, unless that wall time does not exist on the day (spring-forward gap).
  const target = plusDays(localDate(from), days);
  const inGap = localTime(atLocal(target, from)) !== localTime(from);
  if (!inGap) expect(localTime(dueAt)).toBe(localTime(from));
}

/** Invariants of any claim, whatever happened before. */
function checkClaim(run: Run): void {
  const { claim } = run;

  // A final rejection never reopens and is never un-finalised.
  if (run.final) {
    expect(claim.status).toBe('rejected');
    expect(claim.rejection).toEqual(run.final);
  }
  if (claim.status === 'rejected' && claim.rejection?.final) run.final = claim.rejection;

  // `rejected` ⇒ rejection; a rejection is only kept while rejected or disputed (it is what
  // the dispute is about); only a rejected claim may be final.
  if (claim.status === 'rejected') expect(claim.rejection).toBeDefined();
  if (claim.rejection) expect(['rejected', 'disputed']).toContain(claim.status);
  if (claim.status === 'disputed') {
    expect(claim.rejection?.final).toBe(false);
    expect(claim.dispute).toBeDefined();
    expect(claim.dispute?.outcome).toBeUndefined();
  }
  // Rejected: final exactly when no dispute window is left.
  if (claim.status === 'rejected') {
    expect(claim.rejection?.final).toBe(claim.deadlines.disputeBy === undefined);
  }

  // Only the status's own deadline may be live, and every live deadline has a timer.
  const carried = CARRIED_DEADLINE[claim.status];
  for (const kind of Object.keys(claim.deadlines)) {
    expect(kind).toBe(carried);
    expect(run.timers).toContainEqual({ deadline: kind, dueAt: claim.deadlines[kind as DeadlineKind] });
  }

  // Approved ⇒ consent; the consent window is live exactly while the consent is pending.
  if (claim.status === 'approved') {
    expect(claim.consent).toBeDefined();
    if (claim.consent?.status === 'pending') expect(claim.deadlines.consentEndsAt).toBe(claim.consent.endsAt);
    else expect(claim.deadlines.consentEndsAt).toBeUndefined();
    expect(claim.consent?.status === 'periodEnded').toBe(claim.incentiveAssessment !== undefined);
  }
  // The information request is open exactly while the partner is asked to act.
  if (claim.status === 'partnerActionRequired') {
    expect(claim.infoRequest).toBeDefined();
    expect(claim.infoRequest?.answeredAt).toBeUndefined();
  }
  // Only a withdrawal can leave `editing` without a submission.
  if (claim.status !== 'editing' && claim.rejection?.reason !== 'partnerRequest') {
    expect(claim.submittedAt).toBeDefined();
  }

  // An SLA breach is flagged once per deadline.
  const breaches = claim.slaBreaches.map((b) => `${b.deadline}@${b.dueAt}`);
  expect(new Set(breaches).size).toBe(breaches.length);

  expect(CLAIM_STATUSES).toContain(claim.status);
}

/**
 * The history is in the order events were recorded: each was recorded (`appliedAt`, else `at`)
 * no earlier than the one before. A timeout is dated at its deadline (`at` ≤ `appliedAt`); one
 * that changes the claim's status is never dated before the previous event, since its deadline
 * refused every action in between. Only an SLA flag may be dated before the edits it followed.
 */
function checkHistoryTimes(history: readonly HistoryEvent[]): void {
  let recordedBefore = Number.NEGATIVE_INFINITY;
  let previousAt = Number.NEGATIVE_INFINITY;
  for (const event of history) {
    const recorded = Date.parse(event.appliedAt ?? event.at);
    expect(recorded).toBeGreaterThanOrEqual(recordedBefore);
    expect(Date.parse(event.at)).toBeLessThanOrEqual(recorded);
    if (event.type !== 'deadlineExpired') expect(event.appliedAt).toBeUndefined();
    if (event.type !== 'deadlineExpired' || (event.deadline && BINDS[event.deadline]))
      expect(Date.parse(event.at)).toBeGreaterThanOrEqual(previousAt);
    recordedBefore = recorded;
    previousAt = Date.parse(event.at);
  }
}

// ---- the properties ------------------------------------------------------------------------

describe('any sequence of actions, clock moves and timer fires', () => {
  it('keeps every lifecycle invariant', () => {
    fc.assert(
      fc.property(start, fc.array(step, { maxLength: 30, size: 'max' }), (at, steps) => {
        const run = begin(at);
        for (const s of steps) apply(run, s);
        expect(verifyHistoryChain(run.history)).toEqual({ valid: true });
        expect(run.history.map((e) => e.version)).toEqual(run.history.map((_, i) => i + 1));
        checkHistoryTimes(run.history);
      }),
      { numRuns: 300 },
    );
  });

  it('reaches every transition of the table and every timeout (the generator is not stuck)', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(start, fc.array(step, { maxLength: 30, size: 'max' }), (at, steps) => {
        const run = begin(at);
        for (const s of steps) apply(run, s);
        for (const transition of run.seen) seen.add(transition);
      }),
      // A fixed seed: this checks the generator's reach, not the domain, and must not flake.
      { numRuns: 1000, seed: 20260302 },
    );
    const expected = [
      ...ACTION_TYPES.flatMap((type) => FROM[type].map((from) => `${type}::${from}`)),
      ...CLAIM_STATUSES.flatMap((status) =>
        CARRIED_DEADLINE[status] ? [`deadlineExpired:${CARRIED_DEADLINE[status]}:${status}`] : [],
      ),
    ];
    expect(expected.filter((transition) => !seen.has(transition))).toEqual([]);
  });
});

describe('deadlines bind the actions, not just the timers', () => {
  const run = (at: Date, steps: Step[]) => {
    const r = begin(at);
    for (const s of steps) apply(r, s);
    return r;
  };
  const steps = fc.array(step, { maxLength: 30, size: 'max' });

  it('every action a deadline ends is refused from the deadline on, and only from then', () => {
    fc.assert(
      fc.property(start, steps, actionOfEachType, fc.nat(3 * DAY), (at, s, actions, lateMs) => {
        const { claim, now } = run(at, s);
        for (const [kind, dueAt] of Object.entries(claim.deadlines) as [DeadlineKind, string][]) {
          for (const type of BINDS[kind] ?? []) {
            const act = (when: number) =>
              applyAction(claim, actions[type], actors[ACTOR_OF[type]], ctxAt(when));
            // The timer has not fired: the claim still carries the deadline.
            let refusal: unknown;
            try {
              act(Math.max(now.getTime(), Date.parse(dueAt)) + lateMs);
            } catch (error) {
              refusal = error;
            }
            expect(refusal).toBeInstanceOf(DeadlinePassedError);
            expect(refusal).toMatchObject({ deadline: kind, dueAt, status: claim.status });
            // A millisecond before, the deadline refuses nothing (another rule still may).
            if (now.getTime() < Date.parse(dueAt)) {
              try {
                act(Date.parse(dueAt) - 1);
              } catch (error) {
                expect(error).not.toBeInstanceOf(DeadlinePassedError);
              }
            }
          }
        }
      }),
      { numRuns: 100 },
    );
  });

  it("a late timeout's effects equal an on-time one's: only updatedAt, appliedAt and flaggedAt differ", () => {
    fc.assert(
      fc.property(start, steps, fc.integer({ min: 1, max: 40 * DAY }), (at, s, lateMs) => {
        const { claim } = run(at, s);
        for (const [deadline, dueAt] of Object.entries(claim.deadlines) as [DeadlineKind, string][]) {
          const onTime = applyDeadlineExpiry(claim, { deadline, dueAt }, ctxAt(dueAt));
          const appliedAt = new Date(Date.parse(dueAt) + lateMs).toISOString();
          const late = applyDeadlineExpiry(claim, { deadline, dueAt }, ctxAt(appliedAt));
          if (!onTime) {
            expect(late).toBeUndefined();
            continue;
          }
          // Everything but when it ran, wherever it appears (an SLA flag's changes name flaggedAt).
          const whenApplied = new Set(['updatedAt', 'appliedAt', 'flaggedAt']);
          const timeless = (t: Transition) =>
            JSON.parse(JSON.stringify(t), (key, value) => (whenApplied.has(key) ? undefined : value));
          expect(late).toBeDefined();
          expect(timeless(late as Transition)).toEqual(timeless(onTime));
          expect(late?.at).toBe(dueAt);
          expect(late?.record.appliedAt).toBe(appliedAt);
          expect(late?.claim.updatedAt).toBe(appliedAt);
          // The dispute window of a late auto-rejection counts from the deadline it enforced.
          if (late?.claim.deadlines.disputeBy) {
            expect(late.claim.deadlines.disputeBy).toBe(
              ctxAt(dueAt).calendar.addCalendarDays(new Date(dueAt), 30).toISOString(),
            );
          }
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('business-day deadlines from any instant', () => {
  const statuses = ['submitted', 'underReview', 'partnerActionRequired', 'disputed'] as const;

  it('fall on the 5th business day after the local date, at the same local time', () => {
    fc.assert(
      fc.property(start, fc.constantFrom(...statuses), (at, status) => {
        const { calendar } = ctxAt(at);
        const dueAt = calendar.addBusinessDays(at, 5).toISOString();
        expect(dueAt > at.toISOString()).toBe(true);
        checkDeadlineArithmetic(CARRIED_DEADLINE[status] as DeadlineKind, dueAt, at);
      }),
      { numRuns: 500 },
    );
  });

  it('calendar-day deadlines move the local date by 7 or 30 days and keep the wall time', () => {
    fc.assert(
      fc.property(start, fc.constantFrom<DeadlineKind>('consentEndsAt', 'disputeBy'), (at, kind) => {
        const dueAt = ctxAt(at)
          .calendar.addCalendarDays(at, CALENDAR_DAYS[kind] as number)
          .toISOString();
        expect(dueAt > at.toISOString()).toBe(true);
        checkDeadlineArithmetic(kind, dueAt, at);
      }),
      { numRuns: 500 },
    );
  });
});
