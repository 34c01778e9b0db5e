/**
 * A claim's one-shot deadline timers: what a timer carries and how it is named. The relay
 * arms one per live deadline; the expire-deadline function applies it when it falls due.
 */
import type { DeadlineKind } from './claim.js';

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

/**
 * The Step Functions execution name of a timer: unique per claim, deadline kind and arming
 * version, so starting the same timer twice (an at-least-once relay) is refused as a duplicate.
 * Execution names allow 80 characters of `[A-Za-z0-9-_]`.
 */
export function timerExecutionName(input: Pick<TimerInput, 'claimId' | 'deadline' | 'version'>): string {
  return `${input.claimId}-${input.deadline}-v${input.version}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80);
}
