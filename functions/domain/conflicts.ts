/**
 * Competing claims: two partners claiming the same customer tenant for the same product
 * family. Detected when a claim is submitted; reviewers decide, the service only points it out.
 */
import type { Claim, ClaimStatus } from './claim.js';

/** Statuses in which a claim holds its customer and products against other partners. */
export const HOLDING_STATUSES: readonly ClaimStatus[] = [
  'submitted',
  'underReview',
  'partnerActionRequired',
  'approved',
  'disputed',
];

/** The ids of other partners' holding claims on the same tenant sharing a product family. */
export function findConflictingClaims(claim: Claim, sameTenant: readonly Claim[]): string[] {
  const families = new Set(claim.products.map((p) => p.family));
  return sameTenant
    .filter(
      (other) =>
        other.id !== claim.id &&
        other.partnerId !== claim.partnerId &&
        other.customer.tenantId.toLowerCase() === claim.customer.tenantId.toLowerCase() &&
        HOLDING_STATUSES.includes(other.status) &&
        other.products.some((p) => families.has(p.family)),
    )
    .map((other) => other.id)
    .sort();
}
