/**
 * `npm run smoke`'s checks against the local stack, as they run against a deployed stage: the
 * stack outputs are replaced by the local API's URL and Cognito by the local token route (the
 * `SmokeIdentity` port), everything else is the same code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../infra/local/local-cloud.js';
import { runSmoke, type SmokeIdentity } from '../../infra/smoke/smoke-checks.js';
import { createTestTable, type TestTable } from '../support/dynamodb.js';

const PORTAL = 'https://partners.smoke-portal.net';

let table: TestTable;
let cloud: LocalCloud;

beforeAll(async () => {
  table = await createTestTable('smoke');
  cloud = await startLocalCloud({
    dynamoDbEndpoint: table.endpoint,
    tableName: table.tableName,
    lifecycle: false,
    corsOrigins: [PORTAL],
  });
});

afterAll(async () => {
  await cloud?.stop();
  await table?.destroy();
});

/** Local stand-in for Cognito: tokens from `POST /_local/token`, and a record of removals. */
function localIdentity(claims: (partnerId: string) => Record<string, unknown>) {
  const removed: string[] = [];
  const created: string[] = [];
  const identity: SmokeIdentity = {
    async createUser(partnerId) {
      const sub = `smoke-${created.length + 1}`;
      created.push(sub);
      const response = await fetch(`${cloud.url}/_local/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sub, ...claims(partnerId) }),
      });
      const { token } = (await response.json()) as { token: string };
      return {
        accessToken: token,
        remove: async () => {
          removed.push(sub);
        },
      };
    },
  };
  return { identity, created, removed };
}

describe('the smoke test against the local stack', () => {
  it('passes every check and walks a smoke claim to withdrawn, removing its user', async () => {
    const local = localIdentity((partnerId) => ({ partnerId, roles: ['Partner.GlobalAdmin'] }));
    const report = await runSmoke({ apiUrl: cloud.url, portalOrigin: PORTAL, identity: local.identity });
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.name)).toEqual([
      'GET /health answers 200',
      'GET /v1/openapi.json is the OpenAPI 3.1 contract',
      `CORS allows ${PORTAL}, and not a stranger`,
      'GET /v1/claims without a token is a 401',
      'a smoke partner creates, reads and withdraws a claim',
    ]);
    expect(local.removed).toEqual(local.created);
    // The claim is the smoke partner's and withdrawn (closed at its request), as the service shows.
    const detail = report.checks.at(-1)?.detail ?? '';
    const claimId = /claim (\S+) of cpor-smoke/.exec(detail)?.[1];
    const admin = await cloud.auth.issueToken({
      sub: 'ops',
      partnerId: 'cpor-smoke',
      roles: ['Partner.GlobalAdmin'],
    });
    const claim = await fetch(`${cloud.url}/v1/claims/${claimId}`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(await claim.json()).toMatchObject({
      partnerId: 'cpor-smoke',
      status: 'rejected',
      rejection: { reason: 'partnerRequest' },
    });
  });

  it('fails the CORS check for an origin the stage does not allow, and still runs the others', async () => {
    const report = await runSmoke({
      apiUrl: cloud.url,
      portalOrigin: 'https://not-a-portal.smoke-portal.net',
    });
    expect(report.ok).toBe(false);
    expect(report.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual([
      'CORS allows https://not-a-portal.smoke-portal.net, and not a stranger',
    ]);
    expect(report.checks.at(-1)).toMatchObject({
      name: 'claim walk',
      ok: true,
      detail: expect.stringMatching(/^skipped/),
    });
  });

  it('removes the smoke user when the walk fails (a reviewer may not create claims: 403)', async () => {
    const local = localIdentity(() => ({ roles: ['Reviewer'] }));
    const report = await runSmoke({ apiUrl: cloud.url, portalOrigin: PORTAL, identity: local.identity });
    const walk = report.checks.at(-1);
    expect(walk).toMatchObject({ ok: false, detail: expect.stringContaining('403') });
    expect(local.created).toHaveLength(1);
    expect(local.removed).toEqual(local.created);
  });
});
