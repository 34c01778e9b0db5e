/**
 * The claim lifecycle of design.md as pure functions: who may do what in which status, what
 * each action changes, which deadlines each status carries, and which side effects (timers,
 * emails, domain events) a transition asks for. Nothing here performs I/O; the use cases
 * persist the returned claim, history record and effects in one transaction.
 */
import { assertActorMay, assertMayDecide } from './actors.js';
import type { BusinessCalendar } from './business-calendar.js';
import {
  type Actor,
  type ActorKind,
  type Claim,
  type ClaimDraft,
  type ClaimStatus,
  type Contact,
  DEADLINE_KINDS,
  type DeadlineKind,
  type Deadlines,
  type InfoRequestReason,
  isAddressAtDomain,
  type PartnerDetails,
  type RejectionReason,
  type ReviewerRejectionReason,
  UNDISPUTABLE_REJECTION_REASONS,
} from './claim.js';
import {
  ActionForbiddenError,
  ClaimRuleViolationError,
  ClaimStatusConflictError,
  DeadlinePassedError,
  FieldNotEditableError,
  InvalidClaimInputError,
} from './errors.js';

/** The lifecycle's clocks (design.md). Business days use the deployment's calendar. */
export const LIFECYCLE_POLICY = {
  reviewStartBusinessDays: 5,
  decisionBusinessDays: 5,
  partnerResponseBusinessDays: 5,
  disputeDecisionBusinessDays: 5,
  consentCalendarDays: 7,
  disputeCalendarDays: 30,
} as const;

export interface LifecycleContext {
  now: Date;
  calendar: BusinessCalendar;
}

/** A JSON-merge-patch of the editable fields, already validated for shape. */
export interface ClaimPatch {
  name?: string;
  customer?: { tenantId?: string; domain?: string; contact?: { name?: string; email?: string } };
  /** `name: null` removes the partner's display name (JSON merge patch). */
  partner?: { mpnId?: string; name?: string | null; contact?: { name?: string; email?: string } };
  activity?: ClaimDraft['activity'];
  products?: ClaimDraft['products'];
}

export type ClaimAction =
  | { type: 'edit'; patch: ClaimPatch }
  | { type: 'submit'; availableDocuments: number; conflictingClaimIds: string[] }
  | { type: 'withdraw'; comment?: string }
  | { type: 'startReview' }
  | { type: 'requestInfo'; reasons: InfoRequestReason[]; comment: string }
  | { type: 'approve'; comment?: string }
  | { type: 'reject'; reason: ReviewerRejectionReason; comment: string }
  | { type: 'dispute'; justification: string; documentIds: string[] }
  | { type: 'resolveDispute'; outcome: 'overturned' | 'upheld'; comment: string }
  | { type: 'customerDeny' };
export type ClaimActionType = ClaimAction['type'];

/** A timer fired for a deadline. Not an actor's action: see `applyDeadlineExpiry`. */
export interface DeadlineExpiry {
  deadline: DeadlineKind;
  dueAt: string;
}

/**
 * The transition table: which kind of actor may take each action, from which statuses.
 * `edit` is further limited per field by `EDITABLE_FIELDS`.
 */
export const ACTION_RULES: Record<ClaimActionType, { actor: ActorKind; from: readonly ClaimStatus[] }> = {
  edit: { actor: 'partner', from: ['editing', 'submitted', 'partnerActionRequired'] },
  submit: { actor: 'partner', from: ['editing', 'partnerActionRequired'] },
  withdraw: {
    actor: 'partner',
    from: ['editing', 'submitted', 'underReview', 'partnerActionRequired', 'approved', 'disputed'],
  },
  startReview: { actor: 'reviewer', from: ['submitted'] },
  requestInfo: { actor: 'reviewer', from: ['underReview'] },
  approve: { actor: 'reviewer', from: ['underReview'] },
  reject: { actor: 'reviewer', from: ['underReview'] },
  dispute: { actor: 'partner', from: ['rejected'] },
  resolveDispute: { actor: 'reviewer', from: ['disputed'] },
  customerDeny: { actor: 'customer', from: ['approved'] },
};

export const EDITABLE_FIELD_PATHS = [
  'name',
  'customer.tenantId',
  'customer.domain',
  'customer.contact',
  'partner.mpnId',
  'partner.name',
  'partner.contact',
  'activity',
  'products',
] as const;
export type EditableField = (typeof EDITABLE_FIELD_PATHS)[number];

/**
 * Before submission anything goes; afterwards only MPN, products and contacts (design.md),
 * and the partner's display name, which names the same partner as the MPN id (api.md v1.1).
 */
export const EDITABLE_FIELDS: Record<ClaimStatus, readonly EditableField[]> = {
  editing: EDITABLE_FIELD_PATHS,
  submitted: ['partner.mpnId', 'partner.name', 'products', 'partner.contact', 'customer.contact'],
  partnerActionRequired: ['partner.mpnId', 'partner.name', 'products', 'partner.contact', 'customer.contact'],
  underReview: [],
  approved: [],
  rejected: [],
  disputed: [],
};

/** Which deadlines may be live in each status. */
export const LIVE_DEADLINES: Record<ClaimStatus, readonly DeadlineKind[]> = {
  editing: [],
  submitted: ['reviewStartBy'],
  underReview: ['decisionBy'],
  partnerActionRequired: ['partnerResponseBy'],
  approved: ['consentEndsAt'],
  rejected: ['disputeBy'],
  disputed: ['decisionBy'],
};

/** What a deadline may end: an action of the table, or adding a PoE document. */
export type BoundAction = ClaimActionType | 'addDocument';

/** The review SLAs: flagged when missed, never binding anyone. */
type SlaDeadline = 'reviewStartBy' | 'decisionBy';
type BindingDeadline = Exclude<DeadlineKind, SlaDeadline>;

/**
 * The actions each deadline ends (design.md: deadlines bind the actions, not just the timers).
 * Past its deadline such an action is refused even while the timer has not fired yet, so what
 * happens never depends on how late a timer runs. Only the status's own deadlines are on a
 * claim, so `edit` is bound in `partnerActionRequired` and free in `submitted`. Review SLAs
 * bind nobody: a breach is flagged, never decided.
 */
export const BINDING_DEADLINES: Record<BindingDeadline, readonly BoundAction[]> &
  Record<SlaDeadline, readonly []> = {
  partnerResponseBy: ['edit', 'submit', 'withdraw', 'addDocument'],
  consentEndsAt: ['customerDeny'],
  disputeBy: ['dispute', 'addDocument'],
  reviewStartBy: [],
  decisionBy: [],
};

/** How a refusal past each binding deadline reads (the problem's type and detail). */
const DEADLINE_REFUSALS: Record<
  BindingDeadline,
  { rule: DeadlinePassedError['rule']; detail: (dueAt: string) => string }
> = {
  partnerResponseBy: {
    rule: 'partnerResponseWindowClosed',
    detail: (dueAt: string) =>
      `the partner's time to respond to the information request ended at ${dueAt} (partnerResponseBy); the claim is rejected for 'noPartnerResponse' and may then be disputed within 30 days.`,
  },
  consentEndsAt: {
    rule: 'consentWindowClosed',
    detail: (dueAt: string) => `the customer's consent window ended at ${dueAt} (consentEndsAt).`,
  },
  disputeBy: {
    rule: 'disputeWindowClosed',
    detail: (dueAt: string) =>
      `the 30-day dispute window ended at ${dueAt} (disputeBy); the rejection is final and a new claim is needed.`,
  },
};

/**
 * Throws `DeadlinePassedError` when a live deadline of the claim that binds `action` has
 * passed at `now` (see `BINDING_DEADLINES`).
 */
export function assertBeforeDeadline(claim: Claim, action: BoundAction, now: Date): void {
  const binds: Record<DeadlineKind, readonly BoundAction[]> = BINDING_DEADLINES;
  for (const kind of DEADLINE_KINDS) {
    const dueAt = claim.deadlines[kind];
    if (!dueAt || !binds[kind].includes(action) || now.getTime() < Date.parse(dueAt)) continue;
    // Only a binding deadline lists actions (an SLA's list is empty by its type).
    const refusal = DEADLINE_REFUSALS[kind as BindingDeadline];
    throw new DeadlinePassedError(
      claim.status,
      refusal.rule,
      kind,
      dueAt,
      `Action '${action}' is no longer possible: ${refusal.detail(dueAt)}`,
    );
  }
}

export type EmailTemplate = 'consentRequest' | 'rejection' | 'infoRequest' | 'disputeOutcome';
export type DomainEventType =
  | 'ClaimSubmitted'
  | 'ClaimResubmitted'
  | 'ClaimApproved'
  | 'ClaimRejected'
  | 'InfoRequested'
  | 'ConsentPeriodEnded'
  | 'DisputeOpened'
  | 'DisputeResolved'
  | 'RejectionFinal'
  | 'SlaBreached';

/** A side effect a committed transition asks for; the outbox relay carries it out, idempotently. */
export type Effect =
  | { type: 'armTimer'; deadline: DeadlineKind; dueAt: string }
  /**
   * The deadline (armed by the transition to claim version `version`) no longer stands, and its
   * timer has not resumed yet: stop its execution, so open executions never exceed live deadlines.
   */
  | { type: 'stopTimer'; deadline: DeadlineKind; dueAt: string; version: number }
  /**
   * The claim became final (a final rejection, or an approval whose consent window ended): its
   * PoE objects pass to the final-claim retention (archive, then deletion).
   */
  | { type: 'retainDocuments' }
  | { type: 'sendEmail'; template: EmailTemplate }
  | { type: 'publishEvent'; detailType: DomainEventType };

export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

/** What the history records about a transition (the store adds actor, time and hash chain). */
export interface TransitionRecord {
  type: ClaimActionType | 'create' | 'deadlineExpired';
  fromStatus?: ClaimStatus;
  toStatus: ClaimStatus;
  changes: FieldChange[];
  comment?: string;
  reason?: RejectionReason;
  reasons?: InfoRequestReason[];
  deadline?: DeadlineKind;
  /**
   * A timeout's: when it was applied. Its effective time (the history event's `at`) is the
   * deadline it enforces, however late the timer ran.
   */
  appliedAt?: string;
}

export interface Transition {
  claim: Claim;
  record: TransitionRecord;
  effects: Effect[];
  /**
   * When the transition takes effect, the history event's `at`: the action's time, or for a
   * timeout the deadline it enforces (even when applied later, see `applyDeadlineExpiry`).
   */
  at: string;
}

/** Whether an actor may see a claim at all. Anyone else gets 404, never 403 (api.md). */
export function canView(actor: Actor, claim: Pick<Claim, 'partnerId'>): boolean {
  if (actor.kind === 'reviewer' || actor.kind === 'system') return true;
  return actor.kind === 'partner' && actor.partnerId === claim.partnerId;
}

/** A new claim in `editing`. */
export function createClaim(
  input: { id: string; draft: ClaimDraft; actor: Extract<Actor, { kind: 'partner' }> },
  ctx: LifecycleContext,
): Transition {
  assertContactOfCustomer(input.draft.customer);
  const at = ctx.now.toISOString();
  const claim: Claim = {
    id: input.id,
    partnerId: input.actor.partnerId,
    status: 'editing',
    version: 1,
    ...structuredClone(input.draft),
    deadlines: {},
    statusSince: at,
    slaBreaches: [],
    createdAt: at,
    updatedAt: at,
    createdBy: input.actor.sub,
  };
  return { claim, record: { type: 'create', toStatus: 'editing', changes: [] }, effects: [], at };
}

/**
 * Applies an actor's action to a claim, or throws a typed error saying why not.
 * The returned claim has `version + 1`; the caller writes it conditionally on the old version.
 */
export function applyAction(
  claim: Claim,
  action: ClaimAction,
  actor: Actor,
  ctx: LifecycleContext,
): Transition {
  const rule = ACTION_RULES[action.type];
  if (actor.kind !== rule.actor) {
    throw new ActionForbiddenError(`Only a ${rule.actor} may ${action.type} a claim.`);
  }
  // Every reviewer action is a decision on the claim.
  if (rule.actor === 'reviewer') assertMayDecide(actor, claim);
  if (!rule.from.includes(claim.status)) {
    throw new ClaimStatusConflictError(claim.status, action.type);
  }
  assertBeforeDeadline(claim, action.type, ctx.now);
  const at = ctx.now.toISOString();
  switch (action.type) {
    case 'edit':
      return edit(claim, action.patch, at);
    case 'submit': {
      if (claim.status === 'editing' && action.availableDocuments < 1) {
        throw new ClaimRuleViolationError(
          claim.status,
          'noAvailableDocument',
          'A claim needs at least one verified (available) Proof of Execution document before it is submitted.',
        );
      }
      const to = claim.status === 'editing' ? 'submitted' : 'underReview';
      const next = enter(claim, to, ctx, {
        submittedAt: claim.submittedAt ?? at,
        // A resubmission answers the open information request (kept for reference).
        infoRequest: claim.infoRequest && { ...claim.infoRequest, answeredAt: at },
        conflictingClaimIds:
          action.conflictingClaimIds.length > 0 ? [...action.conflictingClaimIds] : undefined,
      });
      return transition(claim, next, { type: 'submit' }, [
        { type: 'publishEvent', detailType: to === 'submitted' ? 'ClaimSubmitted' : 'ClaimResubmitted' },
      ]);
    }
    case 'withdraw':
      // The partner withdrew it themselves: no rejection email, and never disputable.
      return rejectWith(
        claim,
        ctx,
        'partnerRequest',
        action.comment ?? '',
        { type: 'withdraw' },
        { consent: undefined },
        false,
      );
    case 'startReview':
      return transition(claim, enter(claim, 'underReview', ctx), { type: 'startReview' }, []);
    case 'requestInfo': {
      const next = enter(claim, 'partnerActionRequired', ctx, {
        infoRequest: { reasons: [...action.reasons], comment: action.comment, at },
      });
      return transition(
        claim,
        next,
        { type: 'requestInfo', comment: action.comment, reasons: [...action.reasons] },
        [
          { type: 'sendEmail', template: 'infoRequest' },
          { type: 'publishEvent', detailType: 'InfoRequested' },
        ],
      );
    }
    case 'approve':
      return transition(claim, approve(claim, ctx), { type: 'approve', comment: action.comment }, [
        { type: 'sendEmail', template: 'consentRequest' },
        { type: 'publishEvent', detailType: 'ClaimApproved' },
      ]);
    case 'reject':
      return rejectWith(claim, ctx, action.reason, action.comment, { type: 'reject' });
    case 'dispute': {
      assertDisputable(claim, ctx.now);
      const next = enter(claim, 'disputed', ctx, {
        dispute: { justification: action.justification, documentIds: [...action.documentIds], openedAt: at },
      });
      return transition(claim, next, { type: 'dispute', comment: action.justification }, [
        { type: 'publishEvent', detailType: 'DisputeOpened' },
      ]);
    }
    case 'resolveDispute': {
      const dispute = { ...(claim.dispute as NonNullable<Claim['dispute']>), outcome: action.outcome };
      const record = { type: 'resolveDispute', comment: action.comment } as const;
      const resolved: Effect[] = [
        { type: 'sendEmail', template: 'disputeOutcome' },
        { type: 'publishEvent', detailType: 'DisputeResolved' },
      ];
      if (action.outcome === 'overturned') {
        const next = stripUndefined({ ...approve(claim, ctx), dispute, rejection: undefined });
        return transition(claim, next, record, [
          { type: 'sendEmail', template: 'consentRequest' },
          ...resolved,
        ]);
      }
      const rejection = { ...(claim.rejection as NonNullable<Claim['rejection']>), final: true };
      const next = enter(claim, 'rejected', ctx, { dispute, rejection }, { disputable: false });
      return transition(claim, next, record, resolved);
    }
    case 'customerDeny': {
      // Past `consentEndsAt` the deadline check above refused it; here it ended by its timer.
      const consent = claim.consent;
      if (consent?.status !== 'pending') {
        throw new ClaimRuleViolationError(claim.status, 'consentWindowClosed', 'The consent window is over.');
      }
      return rejectWith(
        claim,
        ctx,
        'customerDecline',
        '',
        { type: 'customerDeny' },
        {
          consent: { ...consent, status: 'denied' },
        },
      );
    }
  }
}

/**
 * A timer for `expiry.deadline` fired. Applies the timeout only while that very deadline is
 * still live on the claim (same kind, same due time, in a status where it is live, and due);
 * otherwise the timer is stale and this returns `undefined` (a harmless no-op).
 *
 * Why the deadline and not the raw version: edits and SLA flags bump the version without
 * moving the deadline, and the timer must still fire for them. A re-entered status always
 * sets a new due time, so an old timer can never match a new deadline.
 *
 * However late the timer runs, the timeout takes effect at the deadline: the rejection, the
 * consent period's end and the history event are dated at `dueAt` (the record says when it
 * was `appliedAt`), and the deadlines it starts count from there, so a late timer never
 * stretches the dispute window. Nothing else can have changed the claim in between, since the
 * deadline already refused every action it ends (`BINDING_DEADLINES`). Only `updatedAt`, when
 * the resource last changed, and an SLA breach's `flaggedAt` are the time of application.
 */
export function applyDeadlineExpiry(
  claim: Claim,
  expiry: DeadlineExpiry,
  ctx: LifecycleContext,
): Transition | undefined {
  const live = claim.deadlines[expiry.deadline];
  if (live !== expiry.dueAt || !LIVE_DEADLINES[claim.status].includes(expiry.deadline)) return undefined;
  if (ctx.now.getTime() < Date.parse(live)) return undefined;
  const effective: LifecycleContext = { ...ctx, now: new Date(live) };
  const at = effective.now.toISOString();
  const appliedAt = ctx.now.toISOString();
  const timeout = timeoutAt(claim, expiry.deadline, effective, appliedAt);
  return timeout && { ...timeout, claim: { ...timeout.claim, updatedAt: appliedAt }, at };
}

/** The timeout of `deadline` as if applied exactly at its due time (`ctx.now`). */
function timeoutAt(
  claim: Claim,
  deadline: DeadlineKind,
  ctx: LifecycleContext,
  appliedAt: string,
): Transition | undefined {
  const at = ctx.now.toISOString();
  const record = { type: 'deadlineExpired', deadline, appliedAt } as const;
  switch (deadline) {
    case 'partnerResponseBy':
      return rejectWith(claim, ctx, 'noPartnerResponse', 'No partner response within the deadline.', record);
    case 'consentEndsAt': {
      const consent = { ...(claim.consent as NonNullable<Claim['consent']>), status: 'periodEnded' as const };
      const next = bump(claim, at, {
        consent,
        incentiveAssessment: { status: 'pending', at },
        deadlines: withoutDeadline(claim.deadlines, 'consentEndsAt'),
      });
      return transition(claim, next, record, [{ type: 'publishEvent', detailType: 'ConsentPeriodEnded' }]);
    }
    case 'disputeBy': {
      const rejection = { ...(claim.rejection as NonNullable<Claim['rejection']>), final: true };
      const next = bump(claim, at, { rejection, deadlines: withoutDeadline(claim.deadlines, 'disputeBy') });
      return transition(claim, next, record, [{ type: 'publishEvent', detailType: 'RejectionFinal' }]);
    }
    case 'reviewStartBy':
    case 'decisionBy': {
      const dueAt = claim.deadlines[deadline] as string;
      if (claim.slaBreaches.some((b) => b.deadline === deadline && b.dueAt === dueAt)) return undefined;
      const breach = { deadline, status: claim.status, dueAt, flaggedAt: appliedAt };
      const next = bump(claim, at, { slaBreaches: [...claim.slaBreaches, breach] });
      return transition(claim, next, record, [{ type: 'publishEvent', detailType: 'SlaBreached' }]);
    }
  }
}

/**
 * Whether a partner may add a PoE document now: while the claim can still change hands
 * (design.md), and as part of a dispute while the rejection may be disputed.
 */
export function assertCanAddDocument(claim: Claim, actor: Actor, now: Date): void {
  assertActorMay(actor, 'addDocument');
  if (['editing', 'submitted', 'partnerActionRequired'].includes(claim.status)) {
    assertBeforeDeadline(claim, 'addDocument', now);
    return;
  }
  if (claim.status === 'rejected') {
    assertDisputable(claim, now);
    return;
  }
  throw new ClaimStatusConflictError(claim.status, 'addDocument');
}

/** Partners and reviewers talk through comments in every status. */
export function assertCanComment(actor: Actor): void {
  assertActorMay(actor, 'comment');
}

/** The dispute window: a non-final, disputable rejection whose `disputeBy` lies ahead. */
export function disputeWindowOpen(claim: Claim, now: Date): boolean {
  try {
    assertDisputable(claim, now);
    return true;
  } catch {
    return false;
  }
}

function assertDisputable(claim: Claim, now: Date): void {
  const rejection = claim.rejection;
  if (claim.status !== 'rejected' || !rejection) throw new ClaimStatusConflictError(claim.status, 'dispute');
  if (UNDISPUTABLE_REJECTION_REASONS.includes(rejection.reason)) {
    throw new ClaimRuleViolationError(
      claim.status,
      'rejectionNotDisputable',
      `A rejection for '${rejection.reason}' cannot be disputed; create a new claim instead.`,
    );
  }
  // A rejection is disputed once: after an upheld dispute it is final, whatever the clock says.
  if (rejection.final && claim.dispute?.outcome === 'upheld') {
    throw new ClaimRuleViolationError(
      claim.status,
      'rejectionFinal',
      'The rejection is final: its dispute was upheld on review. A new claim is needed.',
    );
  }
  if (rejection.final || !claim.deadlines.disputeBy) {
    throw new ClaimRuleViolationError(
      claim.status,
      'disputeWindowClosed',
      'The 30-day dispute window is over; the rejection is final and a new claim is needed.',
    );
  }
  assertBeforeDeadline(claim, 'dispute', now);
}

function edit(claim: Claim, patch: ClaimPatch, at: string): Transition {
  const touched = touchedFields(patch);
  const allowed = EDITABLE_FIELDS[claim.status];
  const refused = touched.filter((field) => !allowed.includes(field));
  if (refused.length > 0) throw new FieldNotEditableError(claim.status, refused);
  const next = bump(claim, at, {
    ...(patch.name !== undefined && { name: patch.name }),
    ...(patch.activity !== undefined && { activity: patch.activity }),
    ...(patch.products !== undefined && { products: structuredClone(patch.products) }),
    customer: {
      tenantId: patch.customer?.tenantId ?? claim.customer.tenantId,
      domain: patch.customer?.domain ?? claim.customer.domain,
      contact: mergeContact(claim.customer.contact, patch.customer?.contact),
    },
    partner: mergePartner(claim.partner, patch.partner),
  });
  // Either field may change: the merged claim must still send the opt-out link to the customer.
  assertContactOfCustomer(next.customer);
  return transition(claim, next, { type: 'edit' }, []);
}

/**
 * The customer's contact must be an address of the customer (at its domain or a subdomain):
 * the consent email, with the customer's only way to opt out, goes there, and a partner must
 * not route it to itself.
 *
 * @throws InvalidClaimInputError naming `customer.contact.email`.
 */
export function assertContactOfCustomer(customer: Pick<Claim['customer'], 'domain' | 'contact'>): void {
  if (!isAddressAtDomain(customer.contact.email, customer.domain)) {
    throw new InvalidClaimInputError('customer.contact.email', customerContactReason(customer.domain));
  }
}

/** Why a customer contact outside the customer's domain is refused. */
export function customerContactReason(domain: string): string {
  return `must be an address at ${domain} or one of its subdomains (the customer receives the consent email)`;
}

function mergePartner(partner: PartnerDetails, patch: ClaimPatch['partner']): PartnerDetails {
  const name = patch?.name === undefined ? partner.name : (patch.name ?? undefined);
  return {
    mpnId: patch?.mpnId ?? partner.mpnId,
    ...(name !== undefined && { name }),
    contact: mergeContact(partner.contact, patch?.contact),
  };
}

function mergeContact(contact: Contact, patch: Partial<Contact> | undefined): Contact {
  return { name: patch?.name ?? contact.name, email: patch?.email ?? contact.email };
}

/** The editable field paths a patch touches (a contact counts as one field). */
export function touchedFields(patch: ClaimPatch): EditableField[] {
  const fields: EditableField[] = [];
  if (patch.name !== undefined) fields.push('name');
  if (patch.customer?.tenantId !== undefined) fields.push('customer.tenantId');
  if (patch.customer?.domain !== undefined) fields.push('customer.domain');
  if (patch.customer?.contact !== undefined) fields.push('customer.contact');
  if (patch.partner?.mpnId !== undefined) fields.push('partner.mpnId');
  if (patch.partner?.name !== undefined) fields.push('partner.name');
  if (patch.partner?.contact !== undefined) fields.push('partner.contact');
  if (patch.activity !== undefined) fields.push('activity');
  if (patch.products !== undefined) fields.push('products');
  return fields;
}

function approve(claim: Claim, ctx: LifecycleContext): Claim {
  const next = enter(claim, 'approved', ctx);
  return { ...next, consent: { status: 'pending', endsAt: next.deadlines.consentEndsAt as string } };
}

function rejectWith(
  claim: Claim,
  ctx: LifecycleContext,
  reason: RejectionReason,
  comment: string,
  record: Omit<TransitionRecord, 'toStatus' | 'changes'>,
  extra: Partial<Claim> = {},
  emailPartner = true,
): Transition {
  const at = ctx.now.toISOString();
  const disputable = !UNDISPUTABLE_REJECTION_REASONS.includes(reason);
  const rejection = { reason, comment, at, final: !disputable };
  const next = enter(claim, 'rejected', ctx, { ...extra, rejection }, { disputable });
  const effects: Effect[] = [{ type: 'publishEvent', detailType: 'ClaimRejected' }];
  if (emailPartner) effects.unshift({ type: 'sendEmail', template: 'rejection' });
  return transition(
    claim,
    next,
    { ...record, reason, comment: record.comment ?? (comment || undefined) },
    effects,
  );
}

/** Moves the claim into `status`, replacing its deadlines with those the new status carries. */
function enter(
  claim: Claim,
  status: ClaimStatus,
  ctx: LifecycleContext,
  extra: Partial<Claim> = {},
  options: { disputable?: boolean } = {},
): Claim {
  const at = ctx.now.toISOString();
  return bump(claim, at, {
    ...extra,
    status,
    statusSince: at,
    deadlines: deadlinesFor(status, ctx, options),
  });
}

/** The deadlines a status carries from the moment it is entered (design.md lifecycle table). */
export function deadlinesFor(
  status: ClaimStatus,
  ctx: LifecycleContext,
  options: { disputable?: boolean } = {},
): Deadlines {
  const { now, calendar } = ctx;
  const businessDays = (n: number) => calendar.addBusinessDays(now, n).toISOString();
  const calendarDays = (n: number) => calendar.addCalendarDays(now, n).toISOString();
  switch (status) {
    case 'editing':
      return {};
    case 'submitted':
      return { reviewStartBy: businessDays(LIFECYCLE_POLICY.reviewStartBusinessDays) };
    case 'underReview':
      return { decisionBy: businessDays(LIFECYCLE_POLICY.decisionBusinessDays) };
    case 'partnerActionRequired':
      return { partnerResponseBy: businessDays(LIFECYCLE_POLICY.partnerResponseBusinessDays) };
    case 'approved':
      return { consentEndsAt: calendarDays(LIFECYCLE_POLICY.consentCalendarDays) };
    case 'rejected':
      return options.disputable === false
        ? {}
        : { disputeBy: calendarDays(LIFECYCLE_POLICY.disputeCalendarDays) };
    case 'disputed':
      return { decisionBy: businessDays(LIFECYCLE_POLICY.disputeDecisionBusinessDays) };
  }
}

function bump(claim: Claim, at: string, changes: Partial<Claim>): Claim {
  const next = { ...claim, ...changes, version: claim.version + 1, updatedAt: at };
  return stripUndefined(next) as Claim;
}

function transition(
  before: Claim,
  after: Claim,
  record: Omit<TransitionRecord, 'toStatus' | 'changes' | 'fromStatus'>,
  effects: Effect[],
): Transition {
  const finalized = after.status === 'rejected' && !after.deadlines.disputeBy ? finalize(after) : after;
  const armed: Effect[] = Object.entries(finalized.deadlines)
    .filter(([kind, dueAt]) => before.deadlines[kind as DeadlineKind] !== dueAt)
    .map(([kind, dueAt]) => ({ type: 'armTimer', deadline: kind as DeadlineKind, dueAt: dueAt as string }));
  const fixed = withTimerVersions(finalized, before, armed);
  return {
    claim: fixed,
    at: fixed.updatedAt,
    record: stripUndefined({
      ...record,
      fromStatus: before.status,
      toStatus: fixed.status,
      changes: diff(before, fixed),
    }) as TransitionRecord,
    effects: [
      ...supersededTimers(before, fixed),
      ...armed,
      ...effects,
      ...(isFinalClaim(fixed) && !isFinalClaim(before) ? [{ type: 'retainDocuments' } as const] : []),
    ],
  };
}

/**
 * The claim's `timerVersions` after a transition: the armed deadlines carry the new version,
 * the deadlines kept carry theirs, the deadlines gone are forgotten.
 */
function withTimerVersions(claim: Claim, before: Claim, armed: Effect[]): Claim {
  const versions: Partial<Record<DeadlineKind, number>> = {};
  for (const kind of Object.keys(claim.deadlines) as DeadlineKind[]) {
    const armedNow = armed.some((e) => e.type === 'armTimer' && e.deadline === kind);
    const version = armedNow ? claim.version : before.timerVersions?.[kind];
    if (version !== undefined) versions[kind] = version;
  }
  const { timerVersions: _previous, ...rest } = claim;
  return Object.keys(versions).length > 0 ? { ...rest, timerVersions: versions } : rest;
}

/**
 * Stops for the timers of the deadlines this transition supersedes (removed or moved), so a
 * claim keeps at most one open execution per live deadline. Only a timer still waiting is
 * stopped: one whose due time has come has resumed (or is applying this very timeout) and ends
 * by itself, a stale no-op at worst. A deadline armed before `timerVersions` existed has no
 * known execution name and is left to end as a no-op, as before.
 */
function supersededTimers(before: Claim, after: Claim): Effect[] {
  const at = Date.parse(after.updatedAt);
  return (Object.entries(before.deadlines) as [DeadlineKind, string][]).flatMap(([kind, dueAt]) => {
    const version = before.timerVersions?.[kind];
    if (after.deadlines[kind] === dueAt || version === undefined || Date.parse(dueAt) <= at) return [];
    return [{ type: 'stopTimer', deadline: kind, dueAt, version } satisfies Effect];
  });
}

/**
 * Whether the claim's outcome is settled: a final rejection, or an approval whose consent
 * window ended (only the partner's withdrawal can still follow, itself a final rejection).
 * No deadline is live then, and its documents are kept as evidence only.
 */
export function isFinalClaim(claim: Claim): boolean {
  return (
    (claim.status === 'rejected' && claim.rejection?.final === true) ||
    (claim.status === 'approved' && claim.consent?.status === 'periodEnded')
  );
}

/** A rejection without a dispute window is final by definition. */
function finalize(claim: Claim): Claim {
  const rejection = claim.rejection;
  return rejection && !rejection.final ? { ...claim, rejection: { ...rejection, final: true } } : claim;
}

/** Bookkeeping, not a change of the claim: never a history change. */
const UNTRACKED = new Set(['version', 'updatedAt', 'statusSince', 'timerVersions']);

/** Field-level changes between two claims, as dotted paths; arrays compare as whole values. */
export function diff(before: object, after: object, prefix = ''): FieldChange[] {
  const changes: FieldChange[] = [];
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const key of keys) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (UNTRACKED.has(path)) continue;
    const from = (before as Record<string, unknown>)[key];
    const to = (after as Record<string, unknown>)[key];
    if (isPlainObject(from) && isPlainObject(to)) {
      changes.push(...diff(from, to, path));
    } else if (JSON.stringify(from) !== JSON.stringify(to)) {
      changes.push({ field: path, from: from ?? null, to: to ?? null });
    }
  }
  return changes;
}

function isPlainObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function withoutDeadline(deadlines: Deadlines, kind: DeadlineKind): Deadlines {
  const { [kind]: _removed, ...rest } = deadlines;
  return rest;
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
