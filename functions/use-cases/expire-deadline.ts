/**
 * A claim timer fell due. Applies the timeout only while the claim still carries that very
 * deadline (see `applyDeadlineExpiry`), so a stale, late or repeated timer changes nothing.
 */
import type { BusinessCalendar } from '../domain/business-calendar.js';
import type { Actor, ClaimStatus, DeadlineKind } from '../domain/claim.js';
import type { Clock } from '../domain/clock.js';
import { applyDeadlineExpiry } from '../domain/lifecycle.js';
import { type ClaimStore, retryOnVersionConflict, transitionWrite } from '../domain/ports.js';

/** The input of a timer execution (and of the expire-deadline function). */
export interface TimerInput {
  claimId: string;
  deadline: DeadlineKind;
  /** ISO instant; the state machine's Wait state waits until it. */
  dueAt: string;
  /** The claim version that armed the timer: part of the execution name, for dedupe. */
  version: number;
}

export type ExpiryOutcome =
  | { applied: true; status: ClaimStatus; version: number }
  | { applied: false; reason: 'claimNotFound' | 'stale' };

const SYSTEM: Actor = { kind: 'system' };

export async function expireDeadline(
  deps: { store: ClaimStore; clock: Clock; calendar: BusinessCalendar },
  input: TimerInput,
): Promise<ExpiryOutcome> {
  return retryOnVersionConflict(async (): Promise<ExpiryOutcome> => {
    const record = await deps.store.get(input.claimId);
    if (!record) return { applied: false, reason: 'claimNotFound' };
    const now = deps.clock.now();
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

/**
 * The Step Functions execution name of a timer: unique per claim, deadline kind and arming
 * version, so starting the same timer twice (an at-least-once relay) is refused as a duplicate.
 * Execution names allow 80 characters of `[A-Za-z0-9-_]`.
 */
export function timerExecutionName(input: Pick<TimerInput, 'claimId' | 'deadline' | 'version'>): string {
  return `${input.claimId}-${input.deadline}-v${input.version}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80);
}
