/**
 * The outbox's ports: the event a committed transition leaves for the relay, and where the
 * relay sends its effects (timers, domain events).
 */
import type { Claim } from '../claim.js';
import type { DomainEventType, Effect } from '../lifecycle.js';
import type { TimerExecutionInput, TimerInput } from '../timers.js';

/** An outbox item as written by the claim store in the transition's transaction. */
export interface OutboxEvent {
  eventId: string;
  claimId: string;
  version: number;
  at: string;
  effects: Effect[];
  /** The claim as the transition left it: what the effects speak about. */
  claim: Claim;
}

export interface TimerScheduler {
  /** Starts the one-shot timer; starting the same timer twice must be harmless. */
  start(input: TimerExecutionInput): Promise<void>;
  /**
   * Stops the timer's execution (named, like `start`, after claim, deadline and arming
   * version) if it is still running. Stopping one that never started, already ended or was
   * already stopped must be harmless: the relay retries and may run events late.
   */
  stop(timer: TimerInput): Promise<void>;
}

export interface DomainEvent {
  id: string;
  detailType: DomainEventType;
  claimId: string;
  version: number;
  at: string;
  claim: Pick<
    Claim,
    | 'id'
    | 'partnerId'
    | 'status'
    | 'customer'
    | 'products'
    | 'rejection'
    | 'consent'
    | 'incentiveAssessment'
    | 'dispute'
  >;
}

export interface EventPublisher {
  publish(events: DomainEvent[]): Promise<void>;
}
