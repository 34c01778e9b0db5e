/** Comments and history: the record partners and reviewers share about a claim. */
import type { Actor } from '../domain/claim.js';
import type { HistoryEvent } from '../domain/history.js';
import { assertCanComment } from '../domain/lifecycle.js';
import { retryOnVersionConflict } from '../domain/ports.js';
import { type ClaimsDeps, getVisibleClaim } from './claims.js';
import { type Precondition, PreconditionFailedError } from './transitions.js';

export async function addComment(
  deps: Pick<ClaimsDeps, 'store' | 'clock'>,
  actor: Actor,
  claimId: string,
  text: string,
  precondition: Precondition = {},
): Promise<HistoryEvent> {
  assertCanComment(actor);
  // Retried when another event took the chain head first; a comment never depends on state.
  return retryOnVersionConflict(async () => {
    const record = await getVisibleClaim(deps, actor, claimId);
    // A comment doesn't need the claim unchanged, but a caller who sends If-Match asks for it.
    const { ifMatchVersion } = precondition;
    if (ifMatchVersion !== undefined && record.claim.version !== ifMatchVersion)
      throw new PreconditionFailedError(claimId, record.claim.version);
    return deps.store.append(
      record,
      { type: 'comment', comment: text, toStatus: record.claim.status },
      actor,
      deps.clock.now().toISOString(),
    );
  });
}

export async function readHistory(
  deps: Pick<ClaimsDeps, 'store'>,
  actor: Actor,
  claimId: string,
): Promise<HistoryEvent[]> {
  await getVisibleClaim(deps, actor, claimId);
  return deps.store.history(claimId);
}
