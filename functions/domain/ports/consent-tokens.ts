/**
 * The consent token ports: the relay issues the customer's opt-out link, the consent pages
 * look its token up. The token is the only credential, bound to one claim and one window.
 */
import type { OutboxEvent } from './outbox.js';

export interface ConsentLinks {
  /** The customer's opt-out link for this approval (same link for a redelivered event). */
  linkFor(event: OutboxEvent): Promise<string>;
}

export interface ConsentTokenLookup {
  lookup(token: string): Promise<{ claimId: string; endsAt: string } | undefined>;
}
