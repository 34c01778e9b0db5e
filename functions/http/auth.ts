/**
 * Who is calling. The JWT is verified before the handler runs (API Gateway's JWT authorizer
 * in the cloud, the local adapter with jose locally); here its claims become an `Actor`.
 */
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { type CallerActor, callerActor } from '../domain/actors.js';
import {
  claimValues,
  DEFAULT_IDENTITY_CLAIMS,
  type IdentityClaimMapping,
  partnerIdOf,
  rolesOf,
} from './identity-claims.js';
import { unauthorized } from './problem.js';

export type { CallerActor };

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

/** The caller as an actor (the role rules are the domain's, `callerActor`); 401 without verified claims. */
export function actorOf(
  event: Pick<APIGatewayProxyEventV2WithJWTAuthorizer, 'requestContext'>,
  mapping: IdentityClaimMapping = identityClaims,
): CallerActor {
  const claims = event.requestContext.authorizer?.jwt?.claims;
  const sub = claims?.sub;
  if (!claims || typeof sub !== 'string' || sub === '') throw unauthorized();
  return callerActor(
    { sub, roles: rolesOf(claims, mapping), partnerId: partnerIdOf(claims, mapping) },
    mapping,
  );
}
