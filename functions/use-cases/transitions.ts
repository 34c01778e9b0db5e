/**
 * Moving a claim through its lifecycle: read, check the caller's precondition, apply the
 * domain, and write claim + history + outbox in one conditional transaction.
 */
import type { Actor } from '../domain/claim.js';
import { applyAction, type ClaimAction } from '../domain/lifecycle.js';
import { type ClaimRecord, VersionConflictError } from '../domain/ports.js';
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
  for (let attempt = 1; ; attempt++) {
    if (record.claim.version !== expectedVersion) {
      // Another writer changed the claim since the caller (or our first read) saw it.
      if (precondition.ifMatchVersion !== undefined)
        throw new PreconditionFailedError(claimId, record.claim.version);
      throw new VersionConflictError(claimId, expectedVersion);
    }
    const now = deps.clock.now();
    const resolved = typeof action === 'function' ? await action(record) : action;
    const {
      claim,
      record: entry,
      effects,
    } = applyAction(record.claim, resolved, actor, { now, calendar: deps.calendar });
    try {
      return await deps.store.update(record, {
        claim,
        entry: { ...entry, version: claim.version },
        effects,
        actor,
        at: now.toISOString(),
      });
    } catch (error) {
      // Only the history head moved (a comment or document event): same claim, safe to re-apply.
      if (!(error instanceof VersionConflictError) || attempt >= MAX_ATTEMPTS) throw error;
      record = await getVisibleClaim(deps, actor, claimId);
    }
  }
}

/** Re-applications after a concurrent comment/document event, before giving up with 409. */
const MAX_ATTEMPTS = 3;
