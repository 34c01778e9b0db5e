/**
 * Builders for the lifecycle unit tests: actors, a draft, a calendar and claims driven into
 * each status through the real transitions (so every fixture is a reachable state).
 */
import { createBusinessCalendar } from '../../functions/domain/business-calendar.js';
import type {
  Actor,
  ActorKind,
  Claim,
  ClaimDraft,
  ClaimStatus,
  DeadlineKind,
  ReviewerRejectionReason,
} from '../../functions/domain/claim.js';
import {
  applyAction,
  applyDeadlineExpiry,
  type ClaimAction,
  type ClaimActionType,
  createClaim,
  type LifecycleContext,
  type Transition,
} from '../../functions/domain/lifecycle.js';
import { claimDraft, draftCustomer } from '../support/claim-draft.js';

export const ZONE = 'America/Los_Angeles';

/** One calendar for every unit test: it caches the holidays it has loaded. */
export const calendar = createBusinessCalendar({ country: 'US', timeZone: ZONE });

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** Monday 2 March 2026, 09:00 in Los Angeles (PST). */
export const T0 = new Date('2026-03-02T17:00:00.000Z');

export function ctxAt(now: Date | string | number): LifecycleContext {
  return { now: new Date(now), calendar };
}

export const actors = {
  partner: { kind: 'partner', sub: 'user-p1', partnerId: 'partner-1' },
  reviewer: { kind: 'reviewer', sub: 'user-r1' },
  customer: { kind: 'customer' },
  system: { kind: 'system' },
} as const satisfies Record<ActorKind, Actor>;

export const ACTOR_KINDS = [
  'partner',
  'reviewer',
  'customer',
  'system',
] as const satisfies readonly ActorKind[];

export const otherPartner: Actor = { kind: 'partner', sub: 'user-p2', partnerId: 'partner-2' };

/** The shared draft, its customer contact at a subdomain: it belongs to `contoso.com` and to `eu.contoso.com` alike. */
export function draft(): ClaimDraft {
  return claimDraft({
    customer: draftCustomer({ contact: { name: 'Ada Customer', email: 'ada@eu.contoso.com' } }),
  });
}

/**
 * Who may take each action according to design.md's lifecycle table. Written out here rather
 * than read from `ACTION_RULES`, so the tests check the code against the design.
 */
export const ACTOR_OF: Record<ClaimActionType, ActorKind> = {
  edit: 'partner',
  submit: 'partner',
  withdraw: 'partner',
  startReview: 'reviewer',
  requestInfo: 'reviewer',
  approve: 'reviewer',
  reject: 'reviewer',
  dispute: 'partner',
  resolveDispute: 'reviewer',
  customerDeny: 'customer',
};

/**
 * design.md: the one deadline each status carries from the moment it is entered. Written out
 * here rather than read from `LIVE_DEADLINES`, like `ACTOR_OF`.
 */
export const CARRIED_DEADLINE: Record<ClaimStatus, DeadlineKind | undefined> = {
  editing: undefined,
  submitted: 'reviewStartBy',
  underReview: 'decisionBy',
  partnerActionRequired: 'partnerResponseBy',
  approved: 'consentEndsAt',
  rejected: 'disputeBy',
  disputed: 'decisionBy',
};

/** A well-formed example of each action (the `edit` patch touches a field editable after submission). */
export function sampleAction(type: ClaimActionType): ClaimAction {
  switch (type) {
    case 'edit':
      return { type, patch: { products: [{ family: 'microsoft365', workload: 'Teams' }] } };
    case 'submit':
      return { type, availableDocuments: 1, conflictingClaimIds: [] };
    case 'withdraw':
      return { type, comment: 'Wrong MPN' };
    case 'startReview':
      return { type };
    case 'requestInfo':
      return { type, reasons: ['missingAllPoe'], comment: 'Please upload the signed SOW.' };
    case 'approve':
      return { type, comment: 'Looks good' };
    case 'reject':
      return { type, reason: 'insufficientPoe', comment: 'The PoE does not show the workload.' };
    case 'dispute':
      return { type, justification: 'The SOW covers it, see page 3.', documentIds: ['doc-2'] };
    case 'resolveDispute':
      return { type, outcome: 'overturned', comment: 'Agreed on review.' };
    case 'customerDeny':
      return { type };
  }
}

/** A claim and the instant of the transition that produced it. */
export interface Staged {
  claim: Claim;
  now: Date;
  last: Transition;
}

/** A fresh claim in `editing`, created at `at`. */
export function created(at: Date = T0): Staged {
  const last = createClaim({ id: 'claim-1', draft: draft(), actor: actors.partner }, ctxAt(at));
  return { claim: last.claim, now: new Date(at), last };
}

/** Applies `action` by the design's actor for it, `advanceMs` after the previous transition. */
export function act(staged: Staged, action: ClaimAction, advanceMs = HOUR): Staged {
  const now = new Date(staged.now.getTime() + advanceMs);
  const last = applyAction(staged.claim, action, actors[ACTOR_OF[action.type]], ctxAt(now));
  return { claim: last.claim, now, last };
}

/** Fires the live `deadline` at its due time (plus `lateMs`); fails loudly if the timer is stale. */
export function expire(staged: Staged, deadline: DeadlineKind, lateMs = 0): Staged {
  const dueAt = staged.claim.deadlines[deadline];
  if (!dueAt) throw new Error(`fixture: no live ${deadline} on a ${staged.claim.status} claim`);
  const now = new Date(Date.parse(dueAt) + lateMs);
  const last = applyDeadlineExpiry(staged.claim, { deadline, dueAt }, ctxAt(now));
  if (!last) throw new Error(`fixture: ${deadline} timer was stale`);
  return { claim: last.claim, now, last };
}

/** The named states the tests start from; each `rejected…` variant is a different rejection. */
export type Stage =
  | ClaimStatus
  | 'rejectedNoPartnerResponse'
  | 'rejectedPartnerRequest'
  | 'rejectedCustomerDecline'
  | 'rejectedUpheld'
  | 'rejectedExpired'
  | 'approvedPeriodEnded';

/** Drives a fresh claim (created at `at`) into `stage`, one hour per step. */
export function stage(name: Stage, at: Date = T0): Staged {
  const reject = (reason: ReviewerRejectionReason): ClaimAction => ({
    type: 'reject',
    reason,
    comment: 'No.',
  });
  const editing = created(at);
  const submitted = () => act(editing, sampleAction('submit'));
  const underReview = () => act(submitted(), sampleAction('startReview'));
  const rejected = () => act(underReview(), reject('insufficientPoe'));
  const approved = () => act(underReview(), sampleAction('approve'));
  const disputed = () => act(rejected(), sampleAction('dispute'));
  switch (name) {
    case 'editing':
      return editing;
    case 'submitted':
      return submitted();
    case 'underReview':
      return underReview();
    case 'partnerActionRequired':
      return act(underReview(), sampleAction('requestInfo'));
    case 'approved':
      return approved();
    case 'rejected':
      return rejected();
    case 'disputed':
      return disputed();
    case 'rejectedNoPartnerResponse':
      return expire(stage('partnerActionRequired', at), 'partnerResponseBy');
    case 'rejectedPartnerRequest':
      return act(underReview(), sampleAction('withdraw'));
    case 'rejectedCustomerDecline':
      return act(approved(), sampleAction('customerDeny'));
    case 'rejectedUpheld':
      return act(disputed(), {
        type: 'resolveDispute',
        outcome: 'upheld',
        comment: 'The PoE is insufficient.',
      });
    case 'rejectedExpired':
      return expire(rejected(), 'disputeBy');
    case 'approvedPeriodEnded':
      return expire(approved(), 'consentEndsAt');
  }
}

/** Freezes a value and everything it holds, so any mutation by the code under test throws. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Runs `fn` and returns what it threw (failing if it did not throw). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}
