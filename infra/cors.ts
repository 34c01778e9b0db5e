/**
 * The CORS settings of the HTTP API, shared by the cloud stage (`ServiceHttpApi`, API
 * Gateway's `corsPreflight`) and the local API behind `npm start`, so a browser portal sees
 * the same answers from both. No CDK import: the local stack loads this too.
 */
import type { RouteDefinition } from '../functions/http/routes.js';

/**
 * Request headers the portals send (api.md: bearer token, JSON bodies, optimistic
 * concurrency, idempotent create).
 */
export const CORS_ALLOW_HEADERS = ['authorization', 'content-type', 'if-match', 'idempotency-key'] as const;
/** Response headers the portals must be able to read (api.md: `ETag` of a claim, `Location` of a created one). */
export const CORS_EXPOSE_HEADERS = ['etag', 'location'] as const;
/** How long browsers may cache a preflight answer, unless a stage says otherwise. */
export const CORS_DEFAULT_MAX_AGE_SECONDS = 3600;

/** The methods a preflight allows: the routes' own, and OPTIONS. */
export function corsAllowMethods(
  methods: readonly RouteDefinition['method'][],
): (RouteDefinition['method'] | 'OPTIONS')[] {
  return [...new Set([...methods, 'OPTIONS' as const])];
}

/** Whether `value` is an origin as a browser sends it: `scheme://host[:port]`, nothing more. */
export function isOrigin(value: string): boolean {
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}
