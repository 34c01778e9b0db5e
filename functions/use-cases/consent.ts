/**
 * The customer's side of the consent window: look at what was claimed (changes nothing —
 * mail scanners prefetch links) and deny the association. The token is the only credential;
 * it is bound to one claim and one consent window.
 */
import type { BusinessCalendar } from '../domain/business-calendar.js';
import type { Actor, Claim } from '../domain/claim.js';
import type { Clock } from '../domain/clock.js';
import { applyAction } from '../domain/lifecycle.js';
import { type ClaimRecord, type ClaimStore, transitionWrite } from '../domain/ports/claim-store.js';
import type { ConsentTokenLookup } from '../domain/ports/consent-tokens.js';
import { retryOnVersionConflict } from '../domain/version-conflict.js';

export interface ConsentDeps {
  tokens: ConsentTokenLookup;
  store: ClaimStore;
  clock: Clock;
  calendar: BusinessCalendar;
}

export type ConsentState =
  | { kind: 'open'; claim: Claim; endsAt: string }
  | { kind: 'unknown' }
  | { kind: 'closed'; reason: 'windowOver' | 'alreadyDenied' | 'noLongerApproved'; claim: Claim };

const CUSTOMER: Actor = { kind: 'customer' };

async function stateOf(
  deps: ConsentDeps,
  token: string,
  now: Date,
): Promise<{ state: ConsentState; record?: ClaimRecord }> {
  const issued = await deps.tokens.lookup(token);
  if (!issued) return { state: { kind: 'unknown' } };
  const record = await deps.store.get(issued.claimId);
  if (!record) return { state: { kind: 'unknown' } };
  const { claim } = record;
  if (claim.consent?.status === 'denied')
    return { state: { kind: 'closed', reason: 'alreadyDenied', claim } };
  // A token from an earlier consent window (or a claim that moved on) opens nothing.
  if (claim.status !== 'approved' || claim.consent?.endsAt !== issued.endsAt) {
    return { state: { kind: 'closed', reason: 'noLongerApproved', claim } };
  }
  if (claim.consent.status !== 'pending' || now.getTime() >= Date.parse(issued.endsAt)) {
    return { state: { kind: 'closed', reason: 'windowOver', claim } };
  }
  return { state: { kind: 'open', claim, endsAt: issued.endsAt }, record };
}

/** What the consent page shows. Reads only. */
export async function viewConsent(deps: ConsentDeps, token: string): Promise<ConsentState> {
  return (await stateOf(deps, token, deps.clock.now())).state;
}

/** The customer denies: the claim is rejected with `customerDecline` (final). */
export async function denyConsent(
  deps: ConsentDeps,
  token: string,
): Promise<ConsentState | { kind: 'denied'; claim: Claim }> {
  return retryOnVersionConflict(async () => {
    // One instant for the window check and the deny: read twice, a deny at the window's very
    // end could pass the check and then be refused by the domain (a 500 instead of the 410 page).
    const now = deps.clock.now();
    const { state, record } = await stateOf(deps, token, now);
    if (state.kind !== 'open' || !record) return state;
    const transition = applyAction(record.claim, { type: 'customerDeny' }, CUSTOMER, {
      now,
      calendar: deps.calendar,
    });
    await deps.store.update(record, transitionWrite(transition, CUSTOMER, now.toISOString()));
    return { kind: 'denied' as const, claim: transition.claim };
  });
}
