/** Comments and history: the record partners and reviewers share about a claim. */
import type { Actor, ClaimStatus } from '../domain/claim.js';
import { IdempotencyKeyReusedError, VersionConflictError } from '../domain/errors.js';
import type { HistoryEvent } from '../domain/history.js';
import { assertCanComment } from '../domain/lifecycle.js';
import type { HistoryPage, HistoryPageQuery, KeyedRequest } from '../domain/ports/claim-store.js';
import { retryOnVersionConflict } from '../domain/version-conflict.js';
import { type ClaimsDeps, getVisibleClaim, visibleRecord } from './claims.js';
import { assertPrecondition, type Precondition, RACE_RETRY } from './transitions.js';

/**
 * Adds a comment to the claim's history. With a `request` (an `Idempotency-Key`), the comment
 * is recorded once however often it is retried: a retry whose first attempt committed gets
 * that comment back (or a refusal if the key came with another body).
 */
export async function addComment(
  deps: Pick<ClaimsDeps, 'store' | 'clock'>,
  actor: Actor,
  claimId: string,
  text: string,
  { precondition = {}, request }: { precondition?: Precondition; request?: KeyedRequest } = {},
): Promise<HistoryEvent> {
  assertCanComment(actor);
  // A comment only needs the history head, so losing it to another event is never a reason to
  // refuse one: it re-reads the head and tries again.
  let status: ClaimStatus | undefined;
  try {
    return await retryOnVersionConflict(async () => {
      const record = await getVisibleClaim(deps, actor, claimId);
      status = record.claim.status;
      // A comment doesn't need the claim unchanged, but a caller who sends If-Match asks for it.
      assertPrecondition(precondition, record);
      try {
        return await deps.store.append(
          record,
          { type: 'comment', comment: text, toStatus: record.claim.status },
          actor,
          deps.clock.now().toISOString(),
          request,
        );
      } catch (error) {
        const earlier =
          request &&
          error instanceof VersionConflictError &&
          (await deps.store.eventOfRequest(claimId, request.id));
        if (!earlier) throw error;
        if (earlier.hash !== request.hash) throw new IdempotencyKeyReusedError();
        return earlier.event;
      }
    }, RACE_RETRY);
  } catch (error) {
    if (error instanceof VersionConflictError && status !== undefined && error.currentStatus === undefined)
      throw new VersionConflictError(claimId, error.expectedVersion, false, status);
    throw error;
  }
}

/** One page of the claim's history (or of its comments), oldest first. */
export async function readHistoryPage(
  deps: Pick<ClaimsDeps, 'store'>,
  actor: Actor,
  claimId: string,
  query: HistoryPageQuery,
): Promise<HistoryPage> {
  const { record, page } = await deps.store.historyPage(claimId, query);
  visibleRecord(actor, claimId, record);
  return page;
}
