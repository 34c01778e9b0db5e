/**
 * The local API answers CORS as the cloud stage's API Gateway does with the same settings
 * (infra/cors.ts, used by `ServiceHttpApi`'s `corsPreflight` too), so a browser portal can be
 * developed against `npm start` with `CORS_ORIGINS`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/http/routes.js';
import { CORS_ALLOW_HEADERS, CORS_EXPOSE_HEADERS } from '../../infra/cors.js';
import { type RunningHttpServer, startLocalHttpServer } from '../../infra/local/http-adapter.js';
import { createLocalAuth, type LocalAuth } from '../../infra/local/local-auth.js';
import { tokenRoute } from '../../infra/local/local-routes.js';

const PORTAL = 'http://localhost:5173';

describe('CORS of the local API', () => {
  let dataDir: string;
  let auth: LocalAuth;
  let withCors: RunningHttpServer;
  let withoutCors: RunningHttpServer;
  let token: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'cpor-cors-'));
    auth = await createLocalAuth({ dataDir });
    const options = {
      // The handler returns its own CORS header: API Gateway ignores those once CORS is configured.
      handlers: {
        api: async () => ({
          statusCode: 201,
          headers: {
            'content-type': 'application/json',
            etag: '"3"',
            location: '/v1/claims/x',
            'access-control-allow-origin': 'https://evil.example',
          },
          body: '{}',
        }),
      },
      auth,
      localRoutes: [tokenRoute(auth)],
    };
    withCors = await startLocalHttpServer({ ...options, corsOrigins: [PORTAL] });
    withoutCors = await startLocalHttpServer(options);
    token = await auth.issueToken({ sub: 'alice', partnerId: 'P-1', roles: ['Partner.GlobalAdmin'] });
  });
  afterAll(async () => {
    await withCors?.close();
    await withoutCors?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const preflight = (base: string, origin: string) =>
    fetch(`${base}/v1/claims`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type,idempotency-key',
      },
    });

  it('answers the preflight of an allowed origin with the cloud settings', async () => {
    const response = await preflight(withCors.url, PORTAL);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(PORTAL);
    expect(response.headers.get('access-control-allow-headers')?.split(',')).toEqual([...CORS_ALLOW_HEADERS]);
    const methods = response.headers.get('access-control-allow-methods')?.split(',') ?? [];
    expect(methods).toEqual(expect.arrayContaining([...new Set(ROUTES.map((r) => r.method)), 'OPTIONS']));
    expect(response.headers.get('access-control-max-age')).toBe('3600');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('lets the allowed origin read the response and its ETag and Location, the handler cannot widen it', async () => {
    const response = await fetch(`${withCors.url}/v1/claims`, {
      method: 'POST',
      headers: { origin: PORTAL, authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('access-control-allow-origin')).toBe(PORTAL);
    expect(response.headers.get('access-control-expose-headers')?.split(',')).toEqual([
      ...CORS_EXPOSE_HEADERS,
    ]);
    expect(response.headers.get('vary')).toContain('origin');
  });

  it("puts CORS headers on the gateway's own refusals too (a 401 must be readable by the portal)", async () => {
    const response = await fetch(`${withCors.url}/v1/claims`, { headers: { origin: PORTAL } });
    expect(response.status).toBe(401);
    expect(response.headers.get('access-control-allow-origin')).toBe(PORTAL);
  });

  it('gives another origin no CORS header, in the preflight or the request', async () => {
    const refused = await preflight(withCors.url, 'http://localhost:6666');
    expect(refused.status).toBe(204);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    const request = await fetch(`${withCors.url}/v1/claims`, {
      method: 'POST',
      headers: { origin: 'https://evil.example', authorization: `Bearer ${token}` },
      body: '{}',
    });
    expect(request.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('without configured origins, answers no CORS at all (as before)', async () => {
    const response = await preflight(withoutCors.url, PORTAL);
    expect(response.status).toBe(405);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});
