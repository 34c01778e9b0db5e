/**
 * Who is calling. The JWT is verified before the handler runs (API Gateway's JWT authorizer
 * in the cloud, the local adapter with jose locally); here its claims become an `Actor`.
 */
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { type Actor, PARTNER_ROLES, ROLES, type Role } from '../domain/claim.js';
import { forbidden, unauthorized } from './problem.js';

export type CallerActor = Extract<Actor, { kind: 'partner' } | { kind: 'reviewer' }>;

/**
 * API Gateway HTTP APIs flatten array claims to a string like `[a b]`; tokens carrying a
 * JSON array or a single string are accepted too, so both the cloud and tests read alike.
 */
export function parseRolesClaim(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value !== 'string') return [];
  const trimmed = value.trim();
  if (trimmed.startsWith('[') && trimmed.endsWith(']')) {
    const inner = trimmed.slice(1, -1).trim();
    if (inner.startsWith('"')) {
      try {
        return (JSON.parse(trimmed) as unknown[]).map(String);
      } catch {
        return [];
      }
    }
    return inner.split(/[\s,]+/).filter(Boolean);
  }
  return trimmed ? [trimmed] : [];
}

/** The caller as an actor; 401 without verified claims, 403 without a usable role. */
export function actorOf(event: Pick<APIGatewayProxyEventV2WithJWTAuthorizer, 'requestContext'>): CallerActor {
  const claims = event.requestContext.authorizer?.jwt?.claims;
  const sub = claims?.sub;
  if (!claims || typeof sub !== 'string' || sub === '') throw unauthorized();
  const roles = parseRolesClaim(claims.roles).filter((r): r is Role =>
    (ROLES as readonly string[]).includes(r),
  );
  if (roles.includes('Reviewer')) return { kind: 'reviewer', sub };
  if (roles.some((r) => (PARTNER_ROLES as readonly string[]).includes(r))) {
    const partnerId = claims.partnerId;
    if (typeof partnerId !== 'string' || partnerId === '') {
      throw forbidden('A partner token must carry a partnerId claim.');
    }
    return { kind: 'partner', sub, partnerId };
  }
  throw forbidden(`The token carries none of the roles this API knows (${ROLES.join(', ')}).`);
}

export function requirePartner(actor: CallerActor): Extract<Actor, { kind: 'partner' }> {
  if (actor.kind !== 'partner') throw forbidden('Only partner users may do this.');
  return actor;
}

export function requireReviewer(actor: CallerActor): Extract<Actor, { kind: 'reviewer' }> {
  if (actor.kind !== 'reviewer') throw forbidden('Only reviewers may do this.');
  return actor;
}
