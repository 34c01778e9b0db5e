/**
 * The outbox relay: turns one committed outbox event into its side effects — arm timers,
 * send emails, publish domain events. The stream delivers at least once, so every effect is
 * idempotent: timers by execution name, emails by a claim-scoped marker per event and
 * template, domain events by their id (consumers dedupe on it).
 */
import type { Claim } from '../domain/claim.js';
import type { DomainEventType, Effect, EmailTemplate } from '../domain/lifecycle.js';
import { type EmailContext, type RenderedEmail, renderEmail } from '../emails/templates.js';
import type { TimerInput } from './expire-deadline.js';

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
  start(input: TimerInput): Promise<void>;
}

export interface Mailer {
  send(email: RenderedEmail): Promise<void>;
}

/** Remembers which emails went out, so a redelivered event never sends one twice. */
export interface EmailLedger {
  /** Claims the right to send; `false` when this email was already claimed for this event. */
  claim(claimId: string, key: string, at: string): Promise<boolean>;
  /** Gives the right back after a failed send, so the retry can send it. */
  release(claimId: string, key: string): Promise<void>;
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
  mailer: Mailer;
  ledger: EmailLedger;
  publisher: EventPublisher;
  consentLinks: ConsentLinks;
  emailContext?: Omit<EmailContext, 'optOutUrl'>;
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
          await deps.timers.start({
            claimId: event.claimId,
            deadline: effect.deadline,
            dueAt: effect.dueAt,
            version: event.version,
          });
          deps.onEffect?.('armTimer', effect.deadline);
        });
        break;
      case 'sendEmail':
        await attempt(() => sendOnce(deps, event, effect.template));
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

async function sendOnce(deps: RelayDeps, event: OutboxEvent, template: EmailTemplate): Promise<void> {
  const key = `${event.eventId}#${template}`;
  const optOutUrl = template === 'consentRequest' ? await deps.consentLinks.linkFor(event) : undefined;
  const email = renderEmail(template, event.claim, { ...deps.emailContext, ...(optOutUrl && { optOutUrl }) });
  if (!(await deps.ledger.claim(event.claimId, key, event.at))) {
    deps.onEffect?.('emailSkipped', template);
    return;
  }
  try {
    await deps.mailer.send(email);
    deps.onEffect?.('sendEmail', template);
  } catch (error) {
    await deps.ledger.release(event.claimId, key);
    deps.onEffect?.('emailFailed', template);
    throw error;
  }
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
