/**
 * The email ports: the provider that sends a rendered email and the ledger that makes
 * sending idempotent (at least once, never twice for a redelivered event).
 */
import type { EmailTemplate } from '../lifecycle.js';

/** An email ready to send: one recipient, a subject, a plain-text and an HTML part. */
export interface RenderedEmail {
  template: EmailTemplate;
  to: { name: string; email: string };
  subject: string;
  text: string;
  html: string;
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
