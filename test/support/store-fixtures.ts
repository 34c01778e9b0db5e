/**
 * For tests below the HTTP layer (relay, timers, faults): the usual actors and a way to walk
 * a claim through lifecycle actions straight on the real claim store.
 */
import { createBusinessCalendar } from '../../functions/domain/business-calendar.js';
import type { Actor } from '../../functions/domain/claim.js';
import type { Clock } from '../../functions/domain/clock.js';
import { applyAction, type ClaimAction, createClaim } from '../../functions/domain/lifecycle.js';
import {
  type ClaimRecord,
  type ClaimStore,
  transitionWrite,
} from '../../functions/domain/ports/claim-store.js';
import { claimDraft } from './claim-draft.js';

export const calendar = createBusinessCalendar();
export const partner: Extract<Actor, { kind: 'partner' }> = {
  kind: 'partner',
  sub: 'alice',
  partnerId: 'p-1',
};
export const reviewer: Actor = { kind: 'reviewer', sub: 'rita' };

/** Submit (as if a verified document existed), start the review, approve. */
export const TO_APPROVAL: [ClaimAction, Actor][] = [
  [{ type: 'submit', availableDocuments: 1, conflictingClaimIds: [] }, partner],
  [{ type: 'startReview' }, reviewer],
  [{ type: 'approve' }, reviewer],
];

/** Submit, start the review, ask the partner for more. */
export const TO_PARTNER_ACTION: [ClaimAction, Actor][] = [
  ...TO_APPROVAL.slice(0, 2),
  [{ type: 'requestInfo', reasons: ['missingAllPoe'], comment: 'Add the SOW' }, reviewer],
];

/** Applies one action and writes it as the use cases do (claim + history + outbox). */
export async function stepClaim(
  store: ClaimStore,
  clock: Clock,
  record: ClaimRecord,
  action: ClaimAction,
  actor: Actor,
): Promise<ClaimRecord> {
  const transition = applyAction(record.claim, action, actor, { now: clock.now(), calendar });
  return store.update(record, transitionWrite(transition, actor, clock.now().toISOString()));
}

/** A new claim `id` written to the store, then taken through `steps`. */
export async function walkClaim(
  store: ClaimStore,
  clock: Clock,
  id: string,
  steps: [ClaimAction, Actor][],
  name = 'Store-level test',
): Promise<ClaimRecord> {
  const created = createClaim(
    { id, draft: claimDraft({ name }), actor: partner },
    { now: clock.now(), calendar },
  );
  let record = await store.create(transitionWrite(created, partner, clock.now().toISOString()));
  for (const [action, actor] of steps) record = await stepClaim(store, clock, record, action, actor);
  return record;
}
