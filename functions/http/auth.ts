/**
 * Who is calling. The JWT is verified before the handler runs (API Gateway's JWT authorizer
 * in the cloud, the local adapter with jose locally); here its claims become an `Actor`.
 */
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { type CallerActor, callerActor } from '../domain/actors.js';
import type { Actor } from '../domain/claim.js';
import { forbidden, unauthorized } from './problem.js';

export type { CallerActor };

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

/** The caller as an actor (the role rules are the domain's, `callerActor`); 401 without verified claims. */
export function actorOf(event: Pick<APIGatewayProxyEventV2WithJWTAuthorizer, 'requestContext'>): CallerActor {
  const claims = event.requestContext.authorizer?.jwt?.claims;
  const sub = claims?.sub;
  if (!claims || typeof sub !== 'string' || sub === '') throw unauthorized();
  return callerActor({ sub, roles: parseRolesClaim(claims.roles), partnerId: claims.partnerId });
}

export function requirePartner(actor: CallerActor): Extract<Actor, { kind: 'partner' }> {
  if (actor.kind !== 'partner') throw forbidden('Only partner users may do this.');
  return actor;
}

export function requireReviewer(actor: CallerActor): Extract<Actor, { kind: 'reviewer' }> {
  if (actor.kind !== 'reviewer') throw forbidden('Only reviewers may do this.');
  return actor;
}
