/**
 * Who is calling. The JWT is verified before the handler runs (API Gateway's JWT authorizer
 * in the cloud, the local adapter with jose locally); here its claims become an `Actor`.
 */
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { type Actor, PARTNER_ROLES, ROLES } from '../domain/claim.js';
import {
  claimValues,
  DEFAULT_IDENTITY_CLAIMS,
  type IdentityClaimMapping,
  partnerIdOf,
  rolesOf,
} from './identity-claims.js';
import { forbidden, unauthorized } from './problem.js';

export type CallerActor = Extract<Actor, { kind: 'partner' } | { kind: 'reviewer' }>;

/** The values of a multi-valued claim (arrays, API Gateway's flattened `[a b]`, space-separated). */
export const parseRolesClaim = claimValues;

let identityClaims: IdentityClaimMapping = DEFAULT_IDENTITY_CLAIMS;

/**
 * Sets which token claims carry the partner id and roles (the stage's `identityClaims`); the
 * Lambda entry calls it once at cold start, before any request.
 */
export function configureIdentityClaims(mapping: IdentityClaimMapping): void {
  identityClaims = mapping;
}

/** The caller as an actor; 401 without verified claims, 403 without a usable role. */
export function actorOf(
  event: Pick<APIGatewayProxyEventV2WithJWTAuthorizer, 'requestContext'>,
  mapping: IdentityClaimMapping = identityClaims,
): CallerActor {
  const claims = event.requestContext.authorizer?.jwt?.claims;
  const sub = claims?.sub;
  if (!claims || typeof sub !== 'string' || sub === '') throw unauthorized();
  const roles = rolesOf(claims, mapping);
  if (roles.includes('Reviewer')) return { kind: 'reviewer', sub };
  if (roles.some((r) => (PARTNER_ROLES as readonly string[]).includes(r))) {
    const partnerId = partnerIdOf(claims, mapping);
    if (partnerId === undefined) {
      throw forbidden(
        `A partner token must carry exactly one partner id in the claim "${mapping.partnerIdClaim}"; this one does not. Ask your administrator to assign your partner id.`,
      );
    }
    return { kind: 'partner', sub, partnerId };
  }
  throw forbidden(
    `The token carries none of the roles this API knows (${ROLES.join(', ')}) in ${mapping.roleClaims.map((c) => `"${c}"`).join(', ')}.`,
  );
}

export function requirePartner(actor: CallerActor): Extract<Actor, { kind: 'partner' }> {
  if (actor.kind !== 'partner') throw forbidden('Only partner users may do this.');
  return actor;
}

export function requireReviewer(actor: CallerActor): Extract<Actor, { kind: 'reviewer' }> {
  if (actor.kind !== 'reviewer') throw forbidden('Only reviewers may do this.');
  return actor;
}
