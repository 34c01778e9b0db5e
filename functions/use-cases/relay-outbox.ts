/**
 * The outbox relay: turns one committed outbox event into its side effects — arm and stop
 * timers, send emails, publish domain events. The stream delivers at least once, so every
 * effect is idempotent: timers by execution name (stopping a gone execution is a no-op),
 * emails by a leased ledger marker per event and template (at least once: a crash mid-send
 * may repeat an email, never lose it), domain events by their id (consumers dedupe on it).
 */
import { type Clock, systemClock } from '../domain/clock.js';
import type { DomainEventType, Effect, EmailTemplate } from '../domain/lifecycle.js';
import type { ConsentLinks } from '../domain/ports/consent-tokens.js';
import type { DocumentRetention } from '../domain/ports/documents.js';
import type { EmailLedger, Mailer } from '../domain/ports/email.js';
import type { DomainEvent, EventPublisher, OutboxEvent, TimerScheduler } from '../domain/ports/outbox.js';
import { timerExecutionInput } from '../domain/timers.js';
import { type EmailSettings, renderEmail } from '../emails/templates.js';

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

export interface RelayDeps {
  timers: TimerScheduler;
  documents: DocumentRetention;
  mailer: Mailer;
  ledger: EmailLedger;
  publisher: EventPublisher;
  consentLinks: ConsentLinks;
  /** The partner portal and the time zone of every email. */
  emailSettings: EmailSettings;
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
  const email = renderEmail(template, event.claim, {
    ...deps.emailSettings,
    ...(optOutUrl && { optOutUrl }),
  });
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
