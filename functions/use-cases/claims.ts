/**
 * Claim use cases: each takes its ports, the actor and validated input, applies the domain
 * and persists the result in one write.
 */
import type { BusinessCalendar } from '../domain/business-calendar.js';
import type { Actor, ClaimDraft } from '../domain/claim.js';
import type { Clock } from '../domain/clock.js';
import { ClaimNotFoundError } from '../domain/errors.js';
import { canView, createClaim } from '../domain/lifecycle.js';
import {
  type ClaimListQuery,
  type ClaimPage,
  type ClaimRecord,
  type ClaimStore,
  transitionWrite,
} from '../domain/ports.js';

export interface ClaimsDeps {
  store: ClaimStore;
  clock: Clock;
  calendar: BusinessCalendar;
  newId: () => string;
}

type PartnerActor = Extract<Actor, { kind: 'partner' }>;

export async function createNewClaim(
  deps: ClaimsDeps,
  actor: PartnerActor,
  draft: ClaimDraft,
): Promise<ClaimRecord> {
  const now = deps.clock.now();
  const created = createClaim({ id: deps.newId(), draft, actor }, { now, calendar: deps.calendar });
  return deps.store.create(transitionWrite(created, actor, now.toISOString()));
}

/** The claim if the actor may see it; otherwise "not found", whether or not it exists. */
export async function getVisibleClaim(
  deps: Pick<ClaimsDeps, 'store'>,
  actor: Actor,
  id: string,
): Promise<ClaimRecord> {
  const record = await deps.store.get(id);
  if (!record || !canView(actor, record.claim)) throw new ClaimNotFoundError(id);
  return record;
}

/** Partners list only their own claims; reviewers list all partners' claims. */
export async function listVisibleClaims(
  deps: Pick<ClaimsDeps, 'store'>,
  actor: Actor,
  query: Omit<ClaimListQuery, 'partnerId'>,
): Promise<ClaimPage> {
  const partnerId = actor.kind === 'partner' ? actor.partnerId : undefined;
  return deps.store.list({ ...query, ...(partnerId && { partnerId }) });
}
