/**
 * A claim timer fell due. Applies the timeout only while the claim still carries that very
 * deadline (see `applyDeadlineExpiry`), so a stale, late or repeated timer changes nothing.
 */
import type { BusinessCalendar } from '../domain/business-calendar.js';
import type { Actor, Claim, ClaimStatus } from '../domain/claim.js';
import type { Clock } from '../domain/clock.js';
import { applyDeadlineExpiry, LIVE_DEADLINES } from '../domain/lifecycle.js';
import { type ClaimStore, transitionWrite } from '../domain/ports/claim-store.js';
import type { TimerInput } from '../domain/timers.js';
import { retryOnVersionConflict } from '../domain/version-conflict.js';

/** The error name Step Functions matches in the claim timer's `Retry` (Lambda's `errorType`). */
export const DEADLINE_NOT_YET_DUE = 'DeadlineNotYetDue';

/**
 * The timer resumed before its deadline (a clock running behind): thrown, not answered, so
 * the state machine retries it (ASL `Retry` on `DeadlineNotYetDue`) instead of succeeding
 * without applying anything.
 */
export class DeadlineNotYetDueError extends Error {
  override readonly name = DEADLINE_NOT_YET_DUE;
  constructor(input: Pick<TimerInput, 'claimId' | 'deadline' | 'dueAt'>, now: Date) {
    super(
      `${input.deadline} of claim ${input.claimId} is due at ${input.dueAt}, not yet at ${now.toISOString()}.`,
    );
  }
}

/** Whether the claim still carries this timer's deadline: same kind and due time, live in its status. */
export function carriesDeadline(claim: Claim, timer: Pick<TimerInput, 'deadline' | 'dueAt'>): boolean {
  return (
    claim.deadlines[timer.deadline] === timer.dueAt && LIVE_DEADLINES[claim.status].includes(timer.deadline)
  );
}

export type ExpiryOutcome =
  | { applied: true; status: ClaimStatus; version: number }
  | { applied: false; reason: 'claimNotFound' | 'stale' };

const SYSTEM: Actor = { kind: 'system' };

/** The expire-deadline function's ports. */
export interface ExpireDeadlineDeps {
  store: ClaimStore;
  clock: Clock;
  calendar: BusinessCalendar;
}

export async function expireDeadline(deps: ExpireDeadlineDeps, input: TimerInput): Promise<ExpiryOutcome> {
  return retryOnVersionConflict(async (): Promise<ExpiryOutcome> => {
    const record = await deps.store.get(input.claimId);
    if (!record) return { applied: false, reason: 'claimNotFound' };
    const now = deps.clock.now();
    if (now.getTime() < Date.parse(input.dueAt) && carriesDeadline(record.claim, input)) {
      throw new DeadlineNotYetDueError(input, now);
    }
    const transition = applyDeadlineExpiry(
      record.claim,
      { deadline: input.deadline, dueAt: input.dueAt },
      { now, calendar: deps.calendar },
    );
    if (!transition) return { applied: false, reason: 'stale' };
    // Dated at the deadline it enforces, not when this (possibly late) timer ran.
    await deps.store.update(record, transitionWrite(transition, SYSTEM, transition.at));
    return { applied: true, status: transition.claim.status, version: transition.claim.version };
  });
}
