/**
 * A claim timer fell due. Applies the timeout only while the claim still carries that very
 * deadline (see `applyDeadlineExpiry`), so a stale, late or repeated timer changes nothing.
 */
import type { BusinessCalendar } from '../domain/business-calendar.js';
import type { Actor, Claim, ClaimStatus, DeadlineKind } from '../domain/claim.js';
import type { Clock } from '../domain/clock.js';
import { applyDeadlineExpiry, LIVE_DEADLINES } from '../domain/lifecycle.js';
import { type ClaimStore, retryOnVersionConflict, transitionWrite } from '../domain/ports.js';

/** A deadline's timer: what the expire-deadline function reads from its execution's input. */
export interface TimerInput {
  claimId: string;
  deadline: DeadlineKind;
  /** ISO instant of the deadline: what the claim carries and the timeout is checked against. */
  dueAt: string;
  /** The claim version that armed the timer: part of the execution name, for dedupe. */
  version: number;
}

/** The input of a timer execution (`statemachines/claim-timer.asl.json`). */
export interface TimerExecutionInput extends TimerInput {
  /**
   * What the Wait state waits until: `dueAt` rounded up to the whole second, because Step
   * Functions ignores fractional seconds and would otherwise resume before `dueAt`.
   */
  waitUntil: string;
}

/** The execution input of a deadline's timer: its wait rounded up to the next whole second at or after `dueAt`. */
export function timerExecutionInput(timer: TimerInput): TimerExecutionInput {
  const waitUntil = new Date(Math.ceil(Date.parse(timer.dueAt) / 1000) * 1000).toISOString();
  return { ...timer, waitUntil };
}

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

export async function expireDeadline(
  deps: { store: ClaimStore; clock: Clock; calendar: BusinessCalendar },
  input: TimerInput,
): Promise<ExpiryOutcome> {
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

/**
 * The Step Functions execution name of a timer: unique per claim, deadline kind and arming
 * version, so starting the same timer twice (an at-least-once relay) is refused as a duplicate.
 * Execution names allow 80 characters of `[A-Za-z0-9-_]`.
 */
export function timerExecutionName(input: Pick<TimerInput, 'claimId' | 'deadline' | 'version'>): string {
  return `${input.claimId}-${input.deadline}-v${input.version}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80);
}
