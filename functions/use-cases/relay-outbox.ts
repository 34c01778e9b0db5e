/**
 * The outbox relay: turns one committed outbox event into its side effects — arm and stop
 * timers, send emails, publish domain events. The stream delivers at least once, so every
 * effect is idempotent: timers by execution name (stopping a gone execution is a no-op),
 * emails by a leased ledger marker per event and template (at least once: a crash mid-send
 * may repeat an email, never lose it), domain events by their id (consumers dedupe on it).
 */
import type { Claim } from '../domain/claim.js';
import { type Clock, systemClock } from '../domain/clock.js';
import type { DomainEventType, Effect, EmailTemplate } from '../domain/lifecycle.js';
import { type EmailContext, type RenderedEmail, renderEmail } from '../emails/templates.js';
import { type TimerExecutionInput, type TimerInput, timerExecutionInput } from './expire-deadline.js';

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

/** The PoE objects' retention (S3 object tags that lifecycle rules act on). */
export interface DocumentRetention {
  /**
   * Puts every verified document of the claim under the final-claim retention. Marking them
   * again (a redelivered event) must be harmless.
   */
  markFinal(claimId: string): Promise<void>;
}

export interface Mailer {
  /** Hands the email to the provider; resolves with the provider's message id once accepted. */
  send(email: RenderedEmail): Promise<{ messageId: string }>;
}

/** What a relay asks of the ledger before sending: the right to send until `until`. */
export interface LeaseRequest {
  now: Date;
  until: Date;
}

export type EmailLease =
  /** This relay may send; `leaseId` lets it give the lease back if the provider refuses. */
  | { outcome: 'acquired'; leaseId: string }
  /** The email went out already (a redelivered event). */
  | { outcome: 'sent' }
  /** Another relay holds a live lease and may be sending right now. */
  | { outcome: 'leased'; until: string };

export interface SentEmail {
  messageId: string;
  at: Date;
}

/**
 * Remembers which emails went out, so a redelivered event does not send one again, and which
 * are being sent, so a crash mid-send is noticed (the lease runs out) and the email sent again.
 */
export interface EmailLedger {
  /** Takes the lease for this email: granted for a new email or one whose lease ran out. */
  acquire(claimId: string, key: string, request: LeaseRequest): Promise<EmailLease>;
  /** Records the provider's acceptance: every later delivery of the event skips the email. */
  markSent(claimId: string, key: string, sent: SentEmail): Promise<void>;
  /** Gives the lease back after the provider refused the email, so the retry sends at once. */
  release(claimId: string, key: string, leaseId: string): Promise<void>;
}

/**
 * How long a relay may take to send one email before another may take over: longer than the
 * relay function's timeout (60 s), so a lease is never taken from a relay still sending.
 */
export const EMAIL_LEASE_MS = 3 * 60_000;

/** Another relay is sending this email (or crashed while sending): retry the event later. */
export class EmailLeaseHeldError extends Error {
  override readonly name = 'EmailLeaseHeld';
  constructor(key: string, until: string) {
    super(`Email ${key} is being sent by another relay (lease until ${until}); retry later.`);
  }
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

export interface ConsentLinks {
  /** The customer's opt-out link for this approval (same link for a redelivered event). */
  linkFor(event: OutboxEvent): Promise<string>;
}

export interface RelayDeps {
  timers: TimerScheduler;
  documents: DocumentRetention;
  mailer: Mailer;
  ledger: EmailLedger;
  publisher: EventPublisher;
  consentLinks: ConsentLinks;
  emailContext?: Omit<EmailContext, 'optOutUrl'>;
  /** The leases' time. @default the system clock */
  clock?: Clock;
  /** Counts what the relay did (metrics); optional. */
  onEffect?: (effect: Effect['type'] | 'emailSkipped' | 'emailFailed', detail: string) => void;
}

/** Carries out every effect of one outbox event; throws if any failed (the stream retries). */
export async function relayOutboxEvent(deps: RelayDeps, event: OutboxEvent): Promise<void> {
  const failures: unknown[] = [];
  const attempt = async (run: () => Promise<void>) => {
    try {
      await run();
    } catch (error) {
      failures.push(error);
    }
  };
  for (const effect of event.effects) {
    switch (effect.type) {
      case 'armTimer':
        await attempt(async () => {
          await deps.timers.start(
            timerExecutionInput({
              claimId: event.claimId,
              deadline: effect.deadline,
              dueAt: effect.dueAt,
              version: event.version,
            }),
          );
          deps.onEffect?.('armTimer', effect.deadline);
        });
        break;
      case 'stopTimer':
        await attempt(async () => {
          // The name holds the version that armed the deadline: never the timer of a live one.
          const { deadline, dueAt, version } = effect;
          await deps.timers.stop({ claimId: event.claimId, deadline, dueAt, version });
          deps.onEffect?.('stopTimer', deadline);
        });
        break;
      case 'retainDocuments':
        await attempt(async () => {
          await deps.documents.markFinal(event.claimId);
          deps.onEffect?.('retainDocuments', event.claim.status);
        });
        break;
      case 'sendEmail':
        await attempt(() => sendAtLeastOnce(deps, event, effect.template));
        break;
      case 'publishEvent':
        await attempt(async () => {
          await deps.publisher.publish([domainEvent(event, effect.detailType)]);
          deps.onEffect?.('publishEvent', effect.detailType);
        });
        break;
    }
  }
  if (failures.length > 0) {
    throw new AggregateError(
      failures,
      `${failures.length} effect(s) of outbox event ${event.eventId} failed`,
    );
  }
}

/**
 * Sends one email at least once: lease, send, mark sent. A crash after the lease leaves it
 * `sending` until it runs out, and the next delivery sends again (a duplicate at worst); a
 * live lease fails the event, so the stream retries it rather than skipping the email.
 */
async function sendAtLeastOnce(deps: RelayDeps, event: OutboxEvent, template: EmailTemplate): Promise<void> {
  const key = `${event.eventId}#${template}`;
  const optOutUrl = template === 'consentRequest' ? await deps.consentLinks.linkFor(event) : undefined;
  const email = renderEmail(template, event.claim, { ...deps.emailContext, ...(optOutUrl && { optOutUrl }) });
  const clock = deps.clock ?? systemClock;
  const now = clock.now();
  const lease = await deps.ledger.acquire(event.claimId, key, {
    now,
    until: new Date(now.getTime() + EMAIL_LEASE_MS),
  });
  if (lease.outcome === 'sent') {
    deps.onEffect?.('emailSkipped', template);
    return;
  }
  if (lease.outcome === 'leased') throw new EmailLeaseHeldError(key, lease.until);
  let messageId: string;
  try {
    ({ messageId } = await deps.mailer.send(email));
  } catch (error) {
    await deps.ledger.release(event.claimId, key, lease.leaseId);
    deps.onEffect?.('emailFailed', template);
    throw error;
  }
  await deps.ledger.markSent(event.claimId, key, { messageId, at: clock.now() });
  deps.onEffect?.('sendEmail', template);
}

/** The public shape of a domain event: ids, what happened, and the claim's decisive fields. */
export function domainEvent(event: OutboxEvent, detailType: DomainEventType): DomainEvent {
  const { id, partnerId, status, customer, products, rejection, consent, incentiveAssessment, dispute } =
    event.claim;
  return {
    id: `${event.eventId}#${detailType}`,
    detailType,
    claimId: event.claimId,
    version: event.version,
    at: event.at,
    claim: { id, partnerId, status, customer, products, rejection, consent, incentiveAssessment, dispute },
  };
}
