/**
 * Moving a claim through its lifecycle: read, check the caller's precondition, apply the
 * domain, and write claim + history + outbox in one conditional transaction.
 */
import type { Actor } from '../domain/claim.js';
import { PreconditionFailedError, VersionConflictError } from '../domain/errors.js';
import { applyAction, type ClaimAction } from '../domain/lifecycle.js';
import { type ClaimRecord, transitionWrite } from '../domain/ports/claim-store.js';
import { type RetryPolicy, retryOnVersionConflict } from '../domain/version-conflict.js';
import { type ClaimsDeps, getVisibleClaim } from './claims.js';

/**
 * A caller's optimistic-concurrency precondition. `ifMatch` lists the claim versions the
 * caller's `If-Match` names (its strong entity tags); an empty list matches nothing. Absent:
 * no `If-Match`, or `*` (any current claim).
 */
export interface Precondition {
  ifMatch?: readonly number[];
}

/** Throws `PreconditionFailedError` unless the claim at `record` satisfies the caller's `If-Match`. */
export function assertPrecondition(precondition: Precondition, record: ClaimRecord): void {
  if (precondition.ifMatch && !precondition.ifMatch.includes(record.claim.version))
    throw new PreconditionFailedError(record.claim.id, record.claim.version);
}

/**
 * How a lost race is tried again on the fresh claim before the caller gets a 409: patiently
 * (a busy claim may take many comments and document events at once, each moving the history
 * head), with jittered backoff so the racers spread out; bounded, about 3 s of waiting at most.
 */
export const RACE_RETRY: RetryPolicy = { maxAttempts: 30, backoff: { baseDelayMs: 5, maxDelayMs: 200 } };

export async function transitionClaim(
  deps: Omit<ClaimsDeps, 'newId'>,
  actor: Actor,
  claimId: string,
  action: ClaimAction | ((record: ClaimRecord) => ClaimAction | Promise<ClaimAction>),
  precondition: Precondition = {},
): Promise<ClaimRecord> {
  let seenVersion: number | undefined;
  let record: ClaimRecord | undefined;
  try {
    return await retryOnVersionConflict(async () => {
      record = await getVisibleClaim(deps, actor, claimId);
      // With If-Match the caller decided on one version: any other is a 412, never a re-apply.
      assertPrecondition(precondition, record);
      seenVersion ??= record.claim.version;
      const now = deps.clock.now();
      const resolved = typeof action === 'function' ? await action(record) : action;
      // An edit sent without If-Match is a blind write of fields the caller saw: applied on a
      // claim someone else changed meanwhile, it could silently undo that change. Lifecycle
      // actions are decided again on the fresh claim: the domain refuses them (409 naming the
      // status) when they no longer apply.
      if (resolved.type === 'edit' && record.claim.version !== seenVersion)
        throw new VersionConflictError(claimId, seenVersion, false, record.claim.status);
      const transition = applyAction(record.claim, resolved, actor, { now, calendar: deps.calendar });
      return await deps.store.update(record, transitionWrite(transition, actor, now.toISOString()));
    }, RACE_RETRY);
  } catch (error) {
    // Out of attempts: the 409 names the status the claim was last seen in.
    if (error instanceof VersionConflictError && error.currentStatus === undefined && record)
      throw new VersionConflictError(claimId, error.expectedVersion, false, record.claim.status);
    throw error;
  }
}
