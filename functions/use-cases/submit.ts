/** Submitting (or resubmitting) a claim: needs an available PoE document; detects competing claims. */
import type { Actor } from '../domain/claim.js';
import { findConflictingClaims } from '../domain/conflicts.js';
import type { ClaimRecord } from '../domain/ports/claim-store.js';
import type { ClaimsDeps } from './claims.js';
import { type Precondition, transitionClaim } from './transitions.js';

/** How many of the tenant's newest claims are checked for conflicts (one Query page). */
const CONFLICT_SCAN_LIMIT = 100;

export async function submitClaim(
  deps: Omit<ClaimsDeps, 'newId'>,
  actor: Actor,
  claimId: string,
  precondition: Precondition,
): Promise<ClaimRecord> {
  return transitionClaim(
    deps,
    actor,
    claimId,
    async (record) => {
      const sameTenant = await deps.store.list({
        customerTenantId: record.claim.customer.tenantId,
        order: 'newest',
        limit: CONFLICT_SCAN_LIMIT,
      });
      return {
        type: 'submit',
        availableDocuments: record.documents.available,
        conflictingClaimIds: findConflictingClaims(record.claim, sameTenant.items),
      };
    },
    precondition,
  );
}
