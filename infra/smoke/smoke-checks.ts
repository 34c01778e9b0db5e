/**
 * The post-deploy smoke test's checks, against any base URL: the health route, the OpenAPI
 * document, CORS for a portal origin (and none for a stranger), a 401 without a token, and,
 * given a way to get a partner user's token, a claim of a throw-away smoke partner walked
 * through create → read → withdraw. Where the URL and the token come from is behind the
 * `SmokeIdentity` port: Cognito and CloudFormation after a deploy (`main.ts`), the local
 * stack in the tests.
 */
import { randomUUID } from 'node:crypto';

/** A partner user that exists only for one smoke run. */
export interface SmokeUser {
  /** An access token the deployed API accepts for this user. */
  readonly accessToken: string;
  /** Deletes the user (called whatever the outcome of the walk). */
  remove(): Promise<void>;
}

/** Makes throw-away partner users (Partner.GlobalAdmin of `partnerId`). */
export interface SmokeIdentity {
  createUser(partnerId: string): Promise<SmokeUser>;
}

export interface SmokeOptions {
  /** The API's base URL, e.g. the stack output `ApiUrl` (no trailing slash needed). */
  readonly apiUrl: string;
  /** A browser origin the stage allows (one of its `portalOrigins`). */
  readonly portalOrigin: string;
  /** Where the claim walk's user comes from; without it the walk is skipped (and says so). */
  readonly identity?: SmokeIdentity;
  /**
   * The partner the smoke claims belong to: a partner id no real partner has, so they are
   * easy to tell apart and to filter out.
   *
   * @default 'cpor-smoke'
   */
  readonly partnerId?: string;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

export interface SmokeCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface SmokeReport {
  readonly ok: boolean;
  readonly checks: readonly SmokeCheck[];
}

/** An origin that no stage allows, to prove CORS is not open to everyone. */
const STRANGER_ORIGIN = 'https://smoke-check.invalid';

/**
 * SES's mailbox simulator: mail to it is accepted and counted as delivered, never bounced, so a
 * smoke claim cannot hurt the account's reputation (AWS SES docs, "mailbox simulator").
 */
const SIMULATOR_ADDRESS = 'success@simulator.amazonses.com';

class CheckFailed extends Error {}

/** Runs every check in order and reports each; a failed check does not stop the independent ones. */
export async function runSmoke(options: SmokeOptions): Promise<SmokeReport> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const base = options.apiUrl.replace(/\/+$/, '');
  const checks: SmokeCheck[] = [];
  const check = async (name: string, body: () => Promise<string>) => {
    try {
      checks.push({ name, ok: true, detail: await body() });
    } catch (error) {
      checks.push({ name, ok: false, detail: error instanceof Error ? error.message : String(error) });
    }
  };
  const get = (path: string, init: RequestInit = {}) => doFetch(`${base}${path}`, init);

  await check('GET /health answers 200', async () => {
    const response = await get('/health');
    const text = await response.text();
    expectStatus(response, 200, text);
    return text.slice(0, 200);
  });
  await check('GET /v1/openapi.json is the OpenAPI 3.1 contract', async () => {
    const response = await get('/v1/openapi.json');
    const text = await response.text();
    expectStatus(response, 200, text);
    const document = JSON.parse(text) as { openapi?: string; paths?: Record<string, unknown> };
    if (!document.openapi?.startsWith('3.1') || !document.paths?.['/v1/claims']) {
      throw new CheckFailed(`not the service's contract: openapi=${document.openapi}`);
    }
    return `OpenAPI ${document.openapi}, ${Object.keys(document.paths).length} paths`;
  });
  await check(`CORS allows ${options.portalOrigin}, and not a stranger`, async () => {
    const preflight = (origin: string) =>
      get('/v1/claims', {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type,idempotency-key',
        },
      });
    const allowed = await preflight(options.portalOrigin);
    await allowed.arrayBuffer();
    const allowOrigin = allowed.headers.get('access-control-allow-origin');
    if (allowOrigin !== options.portalOrigin) {
      throw new CheckFailed(
        `preflight from ${options.portalOrigin}: status ${allowed.status}, access-control-allow-origin ${allowOrigin}`,
      );
    }
    const stranger = await preflight(STRANGER_ORIGIN);
    await stranger.arrayBuffer();
    const strangerAllowed = stranger.headers.get('access-control-allow-origin');
    if (strangerAllowed) throw new CheckFailed(`a stranger's origin is allowed too: ${strangerAllowed}`);
    return `preflight ${allowed.status}, methods ${allowed.headers.get('access-control-allow-methods')}`;
  });
  await check('GET /v1/claims without a token is a 401', async () => {
    const response = await get('/v1/claims');
    const text = await response.text();
    expectStatus(response, 401, text);
    return '401';
  });

  if (!options.identity) {
    checks.push({
      name: 'claim walk',
      ok: true,
      detail: 'skipped: no smoke identity (the stage has no Cognito pool)',
    });
  } else {
    await check('a smoke partner creates, reads and withdraws a claim', () =>
      walkClaim(get, options.identity as SmokeIdentity, options.partnerId ?? 'cpor-smoke'),
    );
  }
  return { ok: checks.every((c) => c.ok), checks };
}

type Get = (path: string, init?: RequestInit) => Promise<Response>;

async function walkClaim(get: Get, identity: SmokeIdentity, partnerId: string): Promise<string> {
  const user = await identity.createUser(partnerId);
  try {
    const headers = { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json' };
    const created = await get('/v1/claims', {
      method: 'POST',
      headers: { ...headers, 'idempotency-key': `smoke-${randomUUID()}` },
      body: JSON.stringify(smokeClaim()),
    });
    const claim = (await jsonOf(created, 201)) as { id: string; partnerId: string; version: number };
    if (claim.partnerId !== partnerId) {
      throw new CheckFailed(`the claim belongs to ${claim.partnerId}, not the smoke partner ${partnerId}`);
    }
    const read = (await jsonOf(await get(`/v1/claims/${claim.id}`, { headers }), 200)) as { id: string };
    if (read.id !== claim.id) throw new CheckFailed(`read ${read.id} instead of ${claim.id}`);
    const withdrawn = await get(`/v1/claims/${claim.id}/withdraw`, {
      method: 'POST',
      headers: { ...headers, 'if-match': `"${claim.version}"` },
      body: JSON.stringify({ comment: 'Smoke test: created and withdrawn after a deploy.' }),
    });
    // A withdrawn claim is closed as rejected at the partner's request (never disputable).
    const after = (await jsonOf(withdrawn, 200)) as { status: string; rejection?: { reason: string } };
    if (after.status !== 'rejected' || after.rejection?.reason !== 'partnerRequest') {
      throw new CheckFailed(
        `withdraw left the claim ${after.status} (${after.rejection?.reason ?? 'no reason'})`,
      );
    }
    return `claim ${claim.id} of ${partnerId}: created, read, withdrawn`;
  } finally {
    await user.remove();
  }
}

/** A valid draft that reaches no real customer or partner (SES simulator contacts, a fresh tenant). */
function smokeClaim() {
  return {
    name: `Smoke test ${new Date().toISOString()}`,
    customer: {
      tenantId: randomUUID(),
      domain: 'simulator.amazonses.com',
      contact: { name: 'Smoke Test', email: SIMULATOR_ADDRESS },
    },
    partner: { mpnId: '1234567', contact: { name: 'Smoke Test', email: SIMULATOR_ADDRESS } },
    activity: 'preSales',
    products: [{ family: 'businessApplications', workload: 'Dynamics 365 Sales' }],
  };
}

function expectStatus(response: Response, status: number, text: string): void {
  if (response.status !== status) {
    throw new CheckFailed(`${response.url}: ${response.status} instead of ${status}: ${text.slice(0, 300)}`);
  }
}

async function jsonOf(response: Response, status: number): Promise<unknown> {
  const text = await response.text();
  expectStatus(response, status, text);
  return JSON.parse(text);
}
