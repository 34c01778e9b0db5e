/**
 * Lambda entry: the Cognito user pool's pre-token-generation trigger (event version V2). It
 * puts the caller's partner id (user attribute `custom:partnerId`) and API roles (the user's
 * groups that are API roles) into the access token, as the claims the API reads by default
 * (`partnerId`, `roles`; see `functions/http/identity-claims.ts`).
 */
import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import { ROLES } from './domain/claim.js';
import { DEFAULT_IDENTITY_CLAIMS } from './http/identity-claims.js';

/** The user attribute that holds the partner id (a custom attribute, set by administrators only). */
export const PARTNER_ID_ATTRIBUTE = 'custom:partnerId';

/** The claims to add to the access token for this user (no partner id: no `partnerId` claim). */
export function accessTokenClaims(
  event: Pick<PreTokenGenerationV2TriggerEvent, 'request'>,
): Record<string, string | string[]> {
  const groups = event.request.groupConfiguration.groupsToOverride ?? [];
  const roles = groups.filter((group) => (ROLES as readonly string[]).includes(group));
  const partnerId = event.request.userAttributes[PARTNER_ID_ATTRIBUTE]?.trim();
  return {
    [DEFAULT_IDENTITY_CLAIMS.roleClaims[0] ?? 'roles']: roles,
    ...(partnerId && { [DEFAULT_IDENTITY_CLAIMS.partnerIdClaim]: partnerId }),
  };
}

export const handler = async (event: PreTokenGenerationV2TriggerEvent) => {
  // V2 events accept arrays as claim values (the type definitions still say strings only).
  event.response = {
    claimsAndScopeOverrideDetails: {
      accessTokenGeneration: {
        claimsToAddOrOverride: accessTokenClaims(event) as unknown as Record<string, string>,
      },
    },
  };
  return event;
};
