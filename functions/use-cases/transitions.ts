/**
 * Moving a claim through its lifecycle: read, check the caller's precondition, apply the
 * domain, and write claim + history + outbox in one conditional transaction.
 */
import type { Actor } from '../domain/claim.js';
import { applyAction, type ClaimAction } from '../domain/lifecycle.js';
import {
  type ClaimRecord,
  retryOnVersionConflict,
  transitionWrite,
  VersionConflictError,
} from '../domain/ports.js';
import { type ClaimsDeps, getVisibleClaim } from './claims.js';

/** The caller's `If-Match` did not match the claim's current version. */
export class PreconditionFailedError extends Error {
  override readonly name = 'PreconditionFailedError';
  constructor(
    readonly claimId: string,
    readonly currentVersion: number,
  ) {
    super(`The claim is at version ${currentVersion}; the request's If-Match names another version.`);
  }
}

/** A caller's optimistic-concurrency precondition: the version they last read, if they sent one. */
export interface Precondition {
  ifMatchVersion?: number;
}

export async function transitionClaim(
  deps: Omit<ClaimsDeps, 'newId'>,
  actor: Actor,
  claimId: string,
  action: ClaimAction | ((record: ClaimRecord) => ClaimAction | Promise<ClaimAction>),
  precondition: Precondition = {},
): Promise<ClaimRecord> {
  let record = await getVisibleClaim(deps, actor, claimId);
  const expectedVersion = precondition.ifMatchVersion ?? record.claim.version;
  let attempted = false;
  // Only a lost race of the history head (a comment or document event) is re-applied: the
  // claim is the same, so the action is decided again on identical state.
  return retryOnVersionConflict(async () => {
    if (attempted) record = await getVisibleClaim(deps, actor, claimId);
    attempted = true;
    if (record.claim.version !== expectedVersion) {
      // Another writer changed the claim since the caller (or our first read) saw it.
      if (precondition.ifMatchVersion !== undefined)
        throw new PreconditionFailedError(claimId, record.claim.version);
      throw new VersionConflictError(claimId, expectedVersion, false);
    }
    const now = deps.clock.now();
    const resolved = typeof action === 'function' ? await action(record) : action;
    const transition = applyAction(record.claim, resolved, actor, { now, calendar: deps.calendar });
    return deps.store.update(record, transitionWrite(transition, actor, now.toISOString()));
  }, MAX_ATTEMPTS);
}

/** Re-applications after a concurrent comment/document event, before giving up with 409. */
const MAX_ATTEMPTS = 3;
