/**
 * Claim use cases: each takes its ports, the actor and validated input, applies the domain
 * and persists the result in one write.
 */
import type { BusinessCalendar } from '../domain/business-calendar.js';
import type { Actor, ClaimDraft } from '../domain/claim.js';
import type { Clock } from '../domain/clock.js';
import { ClaimNotFoundError, IdempotencyKeyReusedError, VersionConflictError } from '../domain/errors.js';
import { canView, createClaim } from '../domain/lifecycle.js';
import {
  type ClaimListQuery,
  type ClaimPage,
  type ClaimRecord,
  type ClaimStore,
  type KeyedRequest,
  transitionWrite,
} from '../domain/ports/claim-store.js';

export interface ClaimsDeps {
  store: ClaimStore;
  clock: Clock;
  calendar: BusinessCalendar;
  newId: () => string;
}

type PartnerActor = Extract<Actor, { kind: 'partner' }>;

/**
 * Creates a claim. With a `request`, a claim already created under its id is the answer of an
 * earlier attempt (its response was lost, e.g. the process died after the commit): it is
 * returned as is when the request is the same, and refused when it is another one.
 */
export async function createNewClaim(
  deps: ClaimsDeps,
  actor: PartnerActor,
  draft: ClaimDraft,
  request?: KeyedRequest,
): Promise<ClaimRecord> {
  const now = deps.clock.now();
  const id = request?.id ?? deps.newId();
  const created = createClaim({ id, draft, actor }, { now, calendar: deps.calendar });
  const write = transitionWrite(created, actor, now.toISOString());
  try {
    return await deps.store.create(request ? { ...write, requestHash: request.hash } : write);
  } catch (error) {
    if (!request || !(error instanceof VersionConflictError)) throw error;
    const existing = await deps.store.get(id);
    if (!existing) throw error;
    if (existing.requestHash !== request.hash || existing.claim.partnerId !== actor.partnerId)
      throw new IdempotencyKeyReusedError();
    return existing;
  }
}

/** The claim if the actor may see it; otherwise "not found", whether or not it exists. */
export async function getVisibleClaim(
  deps: Pick<ClaimsDeps, 'store'>,
  actor: Actor,
  id: string,
): Promise<ClaimRecord> {
  return visibleRecord(actor, id, await deps.store.get(id));
}

/** `record` if the actor may see it; otherwise "not found", whether or not it exists. */
export function visibleRecord(actor: Actor, id: string, record: ClaimRecord | undefined): ClaimRecord {
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
