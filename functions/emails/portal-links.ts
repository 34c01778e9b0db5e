/**
 * Deep links into the partner portal. A stage's `portalUrl` is either the portal's base URL
 * (`https://partners.example.com` → `https://partners.example.com/claims/<id>`) or a URL
 * template with `{claimId}` where the portal wants the id
 * (`https://portal.example.com/#/cpor/{claimId}`).
 */

/** Where the claim id goes in a `portalUrl` template. */
export const CLAIM_ID_PLACEHOLDER = '{claimId}';

/** The partner portal's page of one claim. */
export function portalClaimUrl(portalUrl: string, claimId: string): string {
  const id = encodeURIComponent(claimId);
  return portalUrl.includes(CLAIM_ID_PLACEHOLDER)
    ? portalUrl.replaceAll(CLAIM_ID_PLACEHOLDER, id)
    : `${portalUrl.replace(/\/+$/, '')}/claims/${id}`;
}

/**
 * The portal to link to when a stage configures none: the service's own web console
 * (`/console/`, api.md v1.1) on the public base URL of its links.
 */
export function defaultPortalUrl(publicBaseUrl: string): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}/console`;
}
