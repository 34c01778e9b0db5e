/**
 * Which claims of a verified access token name the caller's partner and roles. Identity
 * providers differ: Cognito (with this service's pre-token-generation trigger) issues
 * `partnerId` and `roles`, Entra ID issues app roles in `roles`, groups as object ids in
 * `groups` and a directory-extension attribute as `extn.<name>`. A stage says which claims
 * to read and how the IdP's values map to the API's roles.
 */
import { ROLES, type Role } from '../domain/claim.js';

export interface IdentityClaimMapping {
  /** The claim that holds the partner id, e.g. `partnerId` or `extn.partnerId`. */
  readonly partnerIdClaim: string;
  /** Claims whose values are roles or groups, e.g. `roles` or `roles` and `groups`. */
  readonly roleClaims: readonly string[];
  /**
   * IdP value (app role value, group name or object id) → API role. The API's own role names
   * always count as themselves.
   */
  readonly roleMapping: Readonly<Record<string, Role>>;
}

/** The claims the local token route and the Cognito trigger issue. */
export const DEFAULT_IDENTITY_CLAIMS: IdentityClaimMapping = {
  partnerIdClaim: 'partnerId',
  roleClaims: ['roles'],
  roleMapping: {},
};

/**
 * The values of a multi-valued claim in every form it reaches the handler: a JSON array (a
 * token verified locally), API Gateway's flattened `[a b]` (HTTP API JWT authorizer), a JSON
 * array as text, or a space-separated string (like OAuth's `scope`).
 */
export function claimValues(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String).filter(Boolean);
  if (typeof value !== 'string') return [];
  const trimmed = value.trim();
  if (trimmed.startsWith('[') && trimmed.endsWith(']')) {
    const inner = trimmed.slice(1, -1).trim();
    if (inner.startsWith('"')) {
      try {
        return (JSON.parse(trimmed) as unknown[]).map(String).filter(Boolean);
      } catch {
        return [];
      }
    }
    return inner.split(/[\s,]+/).filter(Boolean);
  }
  return trimmed.split(/\s+/).filter(Boolean);
}

/** The API roles a token's claims grant under `mapping` (unknown values are ignored). */
export function rolesOf(claims: Readonly<Record<string, unknown>>, mapping: IdentityClaimMapping): Role[] {
  const roles = new Set<Role>();
  for (const claim of mapping.roleClaims) {
    for (const value of claimValues(claims[claim])) {
      const role =
        mapping.roleMapping[value] ?? ((ROLES as readonly string[]).includes(value) ? value : undefined);
      if (role) roles.add(role as Role);
    }
  }
  return [...roles];
}

/**
 * The partner id a token carries under `mapping`: a string claim, or a one-valued array
 * (directory-extension claims may arrive as one); undefined when absent or ambiguous.
 */
export function partnerIdOf(
  claims: Readonly<Record<string, unknown>>,
  mapping: IdentityClaimMapping,
): string | undefined {
  const value = claims[mapping.partnerIdClaim];
  const values =
    typeof value === 'string' && !value.trim().startsWith('[') ? [value.trim()] : claimValues(value);
  return values.length === 1 && values[0] ? values[0] : undefined;
}
