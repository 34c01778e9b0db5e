/**
 * The three full lifecycles whose timer executions are measured (issue 16, item 2): by the
 * integration test (open executions = live deadlines after every step) and by the bench
 * (executions, state transitions and open execution-days per lifecycle, priced in the README).
 * Each human step comes a day after the previous one; the last clock move lets the final
 * deadline fall due, so every path ends in a final claim.
 */
import type { Actor, Claim, DeadlineKind } from '../../functions/domain/claim.js';
import type { ManualClock } from '../../functions/domain/clock.js';
import { type ClaimAction, LIVE_DEADLINES } from '../../functions/domain/lifecycle.js';
import type { ClaimRecord, ClaimStore } from '../../functions/domain/ports/claim-store.js';
import type { LifecycleRuntime } from '../../infra/local/lifecycle-runtime.js';
import { partner, reviewer, stepClaim, walkClaim } from './store-fixtures.js';

const DAY = 24 * 3600_000;

export type LifecycleStep = [ClaimAction, Actor] | { advanceDays: number };

const A_DAY_LATER: LifecycleStep = { advanceDays: 1 };
const SUBMIT_AND_REVIEW: LifecycleStep[] = [
  [{ type: 'submit', availableDocuments: 1, conflictingClaimIds: [] }, partner],
  A_DAY_LATER,
  [{ type: 'startReview' }, reviewer],
  A_DAY_LATER,
];
const REJECT: LifecycleStep = [
  { type: 'reject', reason: 'insufficientPoe', comment: 'The SOW is unsigned.' },
  reviewer,
];

export const TIMER_LIFECYCLES = {
  /** Approved, and the customer's 7-day consent window ends without a denial. */
  approve: [...SUBMIT_AND_REVIEW, [{ type: 'approve' }, reviewer], { advanceDays: 8 }],
  /** Rejected, and the 30-day dispute window ends: the rejection is final. */
  reject: [...SUBMIT_AND_REVIEW, REJECT, { advanceDays: 31 }],
  /** Rejected, disputed 10 days later, upheld a day after that: final. */
  dispute: [
    ...SUBMIT_AND_REVIEW,
    REJECT,
    { advanceDays: 10 },
    [{ type: 'dispute', justification: 'It is signed on page 3.', documentIds: [] }, partner],
    A_DAY_LATER,
    [{ type: 'resolveDispute', outcome: 'upheld', comment: 'Page 3 is blank.' }, reviewer],
  ],
} satisfies Record<string, LifecycleStep[]>;
export type TimerLifecycle = keyof typeof TIMER_LIFECYCLES;

/** A timer as `deadline@dueAt`. */
export type TimerLabel = string;

/** The claim's live deadlines (live in its status), as `deadline@dueAt`. */
export function liveDeadlinesOf(claim: Claim): TimerLabel[] {
  return (LIVE_DEADLINES[claim.status] as DeadlineKind[])
    .filter((kind) => claim.deadlines[kind])
    .map((kind) => `${kind}@${claim.deadlines[kind]}`);
}

/** The claim's open timer executions on the local runtime, as `deadline@dueAt`. */
export function openTimersOf(runtime: LifecycleRuntime, claimId: string): TimerLabel[] {
  return runtime.timers
    .pending()
    .filter((t) => t.claimId === claimId)
    .map((t) => `${t.deadline}@${t.dueAt}`);
}

export interface LifecycleWalk {
  claim: Claim;
  /** Days each execution was open, summed (what the open-executions quota sees). */
  openExecutionDays: number;
  /** The same had no timer been stopped: each execution open from its start to its due time. */
  openExecutionDaysWithoutStops: number;
}

/**
 * Creates claim `id` and walks it through `steps` on the local stack, letting the relay and
 * the timers run after every step; `afterStep` sees the claim as it is then.
 */
export async function walkLifecycle(
  deps: { store: ClaimStore; clock: ManualClock; runtime: LifecycleRuntime },
  id: string,
  steps: readonly LifecycleStep[],
  afterStep: (record: ClaimRecord, step: LifecycleStep) => void = () => {},
): Promise<LifecycleWalk> {
  const { store, clock, runtime } = deps;
  const startedAt = new Map<TimerLabel, number>();
  const noteStarted = () => {
    for (const timer of openTimersOf(runtime, id))
      if (!startedAt.has(timer)) startedAt.set(timer, clock.now().getTime());
  };
  let openMs = 0;
  let record = await walkClaim(store, clock, id, [], 'Timer lifecycle');
  for (const step of steps) {
    if ('advanceDays' in step) {
      const from = clock.now().getTime();
      const to = from + step.advanceDays * DAY;
      // Each open execution until it resumes (its due time) or the clock stops moving.
      for (const timer of openTimersOf(runtime, id)) openMs += Math.min(to, dueAtOf(timer)) - from;
      clock.advance(step.advanceDays * DAY);
    } else {
      record = await stepClaim(store, clock, record, ...step);
    }
    await runtime.settle(); // relays the step's outbox event, fires what fell due
    noteStarted();
    record = (await store.get(id)) as ClaimRecord;
    afterStep(record, step);
  }
  let withoutStopsMs = 0;
  for (const [timer, at] of startedAt) withoutStopsMs += dueAtOf(timer) - at;
  return {
    claim: record.claim,
    openExecutionDays: openMs / DAY,
    openExecutionDaysWithoutStops: withoutStopsMs / DAY,
  };
}

const dueAtOf = (timer: TimerLabel) => Date.parse(timer.slice(timer.indexOf('@') + 1));
