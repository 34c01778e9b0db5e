/**
 * Helpers for driving claims through their lifecycle over HTTP: the tokens of the usual cast,
 * typed views of the responses and a way to bring a claim to any status.
 */
import { expect } from 'vitest';
import type { HistoryEvent } from '../../functions/domain/history.js';
import { claimDraft } from './claim-draft.js';
import { seedAvailableDocument } from './documents.js';
import type { TestApi, TestRequestOptions, TestResponse } from './test-api.js';

/** The claim resource as the API returns it (the fields these tests read). */
export interface ClaimView {
  id: string;
  partnerId: string;
  status: string;
  version: number;
  name: string;
  customer: { tenantId: string; domain: string; contact: { name: string; email: string } };
  partner: { mpnId: string; contact: { name: string; email: string } };
  products: { family: string; workload: string }[];
  deadlines: Record<string, string>;
  infoRequest?: { reasons: string[]; comment: string; at: string };
  rejection?: { reason: string; comment: string; at: string; final: boolean };
  consent?: { status: string; endsAt: string };
  dispute?: { justification: string; documentIds: string[]; openedAt: string; outcome?: string };
  conflict: { exists: boolean; claimIds?: string[] };
  statusSince: string;
  submittedAt?: string;
  createdAt: string;
  updatedAt: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  claimStatus?: string;
  fields?: string[];
  currentVersion?: number;
  errors?: { field: string; reason: string }[];
}

/** A history item as `GET …/history` returns it. */
export type HistoryItem = HistoryEvent;

export interface Cast {
  /** partner-a, Global admin. */
  alice: string;
  /** partner-a, Incentives admin. */
  andy: string;
  /** partner-b, Billing admin. */
  bob: string;
  /** Reviewer. */
  rita: string;
}

export async function castOf(api: Pick<TestApi, 'token'>): Promise<Cast> {
  const [alice, andy, bob, rita] = await Promise.all([
    api.token({ sub: 'alice', partnerId: 'partner-a', roles: ['Partner.GlobalAdmin'] }),
    api.token({ sub: 'andy', partnerId: 'partner-a', roles: ['Partner.IncentivesAdmin'] }),
    api.token({ sub: 'bob', partnerId: 'partner-b', roles: ['Partner.BillingAdmin'] }),
    api.token({ sub: 'rita', roles: ['Reviewer'] }),
  ]);
  return { alice, andy, bob, rita };
}

type Api = Pick<TestApi, 'request' | 'table' | 'clock'>;

/** The valid body of each action route, so a refusal is about the status, role or claim only. */
export const ACTION_BODIES = {
  submit: {},
  withdraw: { comment: 'Wrong MPN on this one.' },
  'start-review': {},
  'request-info': { reasons: ['missingOrOldDates'], comment: 'The PoE has no dates.' },
  approve: { comment: 'PoE is convincing.' },
  reject: { reason: 'insufficientPoe', comment: 'The PoE does not show the product.' },
  dispute: { justification: 'The second page shows the deployment.' },
  'resolve-dispute': { outcome: 'overturned', comment: 'Page two does show it.' },
} as const;
export type ActionPath = keyof typeof ACTION_BODIES;

export function problemOf(response: TestResponse): Problem {
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const problem = response.json as Problem;
  expect(problem).toMatchObject({
    status: response.status,
    type: expect.any(String),
    title: expect.any(String),
  });
  expect(problem.detail).toEqual(expect.any(String));
  return problem;
}

/** A claim response: 2xx, `ETag` = `"<version>"`, and the body is the claim. */
export function claimOf(response: TestResponse, status = 200): ClaimView {
  expect(response.status, response.text).toBe(status);
  const claim = response.json as ClaimView;
  expect(response.headers.get('etag')).toBe(`"${claim.version}"`);
  return claim;
}

export async function createClaim(
  api: Api,
  token: string,
  overrides: Record<string, unknown> = {},
  options: TestRequestOptions = {},
): Promise<ClaimView> {
  return claimOf(
    await api.request('POST', '/v1/claims', { token, body: claimDraft(overrides), ...options }),
    201,
  );
}

export function act(
  api: Api,
  token: string,
  id: string,
  action: ActionPath,
  body: unknown = ACTION_BODIES[action],
  headers: Record<string, string> = {},
): Promise<TestResponse> {
  return api.request('POST', `/v1/claims/${id}/${action}`, { token, body, headers });
}

/** Takes an action that must succeed and returns the claim it answered with. */
export async function must(
  api: Api,
  token: string,
  id: string,
  action: ActionPath,
  body: unknown = ACTION_BODIES[action],
): Promise<ClaimView> {
  return claimOf(await act(api, token, id, action, body));
}

export async function getClaim(api: Api, token: string, id: string): Promise<ClaimView> {
  return claimOf(await api.request('GET', `/v1/claims/${id}`, { token }));
}

/** The claim's whole history, page after page (oldest first). */
export async function historyOf(api: Api, token: string, id: string): Promise<HistoryItem[]> {
  const items: HistoryItem[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `?limit=500&cursor=${encodeURIComponent(cursor)}` : '?limit=500';
    const response = await api.request('GET', `/v1/claims/${id}/history${query}`, { token });
    expect(response.status, response.text).toBe(200);
    const page = response.json as { items: HistoryItem[]; nextCursor: string | null };
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

/** Version and history length: what a refused request must leave as it found. */
export async function footprint(api: Api, token: string, id: string) {
  const [claim, history] = await Promise.all([getClaim(api, token, id), historyOf(api, token, id)]);
  return { version: claim.version, status: claim.status, events: history.length };
}

export type Status =
  | 'editing'
  | 'submitted'
  | 'underReview'
  | 'partnerActionRequired'
  | 'approved'
  | 'rejected'
  | 'disputed';

/**
 * A new claim of `partner` brought to `status` by the actions of the lifecycle table
 * (`rejected` by a reviewer's `insufficientPoe`, so it can still be disputed).
 */
export async function claimIn(
  api: Api,
  cast: Pick<Cast, 'rita'> & { partner: string },
  status: Status,
  overrides: Record<string, unknown> = {},
): Promise<ClaimView> {
  const { partner, rita } = cast;
  let claim = await createClaim(api, partner, overrides);
  if (status === 'editing') return claim;
  await seedAvailableDocument(api, claim.id);
  claim = await must(api, partner, claim.id, 'submit');
  if (status === 'submitted') return claim;
  claim = await must(api, rita, claim.id, 'start-review');
  if (status === 'underReview') return claim;
  if (status === 'partnerActionRequired') return must(api, rita, claim.id, 'request-info');
  if (status === 'approved') return must(api, rita, claim.id, 'approve');
  claim = await must(api, rita, claim.id, 'reject');
  if (status === 'rejected') return claim;
  return must(api, partner, claim.id, 'dispute');
}
