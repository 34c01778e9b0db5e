import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { createLocalAuth, signingKeyPath, type TokenRequest } from '../../infra/local/local-auth.js';
import { tokenRoute } from '../../infra/local/local-routes.js';

describe('local auth (dev tokens signed by a local ES256 key)', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'cpor-auth-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('issues a 1 h ES256 token for cpor-api that it verifies back to its claims', async () => {
    const auth = await createLocalAuth({ dataDir });
    const token = await auth.issueToken({
      sub: 'alice',
      partnerId: 'partner-a',
      roles: ['Partner.GlobalAdmin'],
    });
    const header = decodeProtectedHeader(token);
    expect(header).toMatchObject({ alg: 'ES256', typ: 'JWT', kid: auth.publicJwk.kid });
    const claims = await auth.verifyToken(token);
    expect(claims).toMatchObject({
      sub: 'alice',
      partnerId: 'partner-a',
      roles: ['Partner.GlobalAdmin'],
      iss: 'cpor-local',
      aud: 'cpor-api',
    });
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(3600);
    expect(Math.abs((claims.iat ?? 0) * 1000 - Date.now())).toBeLessThan(10_000);
    expect(auth.publicJwk).not.toHaveProperty('d');
  });

  it('keeps its key in the data folder (0600), so tokens survive a restart', async () => {
    const first = await createLocalAuth({ dataDir });
    const token = await first.issueToken({ sub: 'rita', roles: ['Reviewer'] });
    expect(statSync(signingKeyPath(dataDir)).mode & 0o777).toBe(0o600);
    const restarted = await createLocalAuth({ dataDir });
    expect(restarted.publicJwk).toEqual(first.publicJwk);
    expect(await restarted.verifyToken(token)).toMatchObject({ sub: 'rita' });

    const elsewhere = await createLocalAuth();
    await expect(elsewhere.verifyToken(token)).rejects.toThrow();
  });

  it('refuses to start on an unreadable key file instead of replacing it', async () => {
    writeFileSync(signingKeyPath(dataDir), '{"kty":"oct"}');
    await expect(createLocalAuth({ dataDir })).rejects.toThrow(/unreadable.*--fresh/);
    expect(readFileSync(signingKeyPath(dataDir), 'utf8')).toBe('{"kty":"oct"}');
  });

  it.each<[string, unknown, string]>([
    ['a partner role without partnerId', { sub: 'a', roles: ['Partner.BillingAdmin'] }, 'partnerId'],
    ['an unknown role', { sub: 'a', roles: ['Admin'] }, 'roles.0'],
    ['an unknown field', { sub: 'a', roles: ['Reviewer'], admin: true }, ''],
    ['an empty sub', { sub: ' ', roles: ['Reviewer'] }, 'sub'],
    ['no roles field', { sub: 'a' }, 'roles'],
  ])('refuses a token request with %s', async (_name, request, path) => {
    const auth = await createLocalAuth();
    const attempt = auth.issueToken(request as TokenRequest);
    await expect(attempt).rejects.toBeInstanceOf(ZodError);
    const error = (await attempt.catch((e: unknown) => e)) as ZodError;
    expect(error.issues.map((issue) => issue.path.join('.'))).toContain(path);
  });

  it('issues a token without roles (to try out 403s) and drops duplicate roles', async () => {
    const auth = await createLocalAuth();
    expect(decodeJwt(await auth.issueToken({ sub: 'nobody', roles: [] })).roles).toEqual([]);
    const token = await auth.issueToken({ sub: 'rita', roles: ['Reviewer', 'Reviewer'] });
    expect(decodeJwt(token).roles).toEqual(['Reviewer']);
  });

  it('serves POST /_local/token: 200 with the token, 400 problem naming each bad field', async () => {
    const auth = await createLocalAuth();
    const route = tokenRoute(auth);
    const call = (body: string) =>
      route.handle({
        method: 'POST',
        path: '/_local/token',
        query: new URLSearchParams(),
        headers: {},
        body: Buffer.from(body),
      });

    const ok = await call(
      JSON.stringify({ sub: 'alice', partnerId: 'p-1', roles: ['Partner.IncentivesAdmin'] }),
    );
    expect(ok.statusCode).toBe(200);
    const issued = JSON.parse(ok.body ?? '') as { token: string; expiresAt: string };
    expect(await auth.verifyToken(issued.token)).toMatchObject({ partnerId: 'p-1' });
    expect(Date.parse(issued.expiresAt)).toBe((decodeJwt(issued.token).exp ?? 0) * 1000);

    const bad = await call(JSON.stringify({ sub: '', roles: ['Partner.GlobalAdmin', 'Root'], extra: 1 }));
    expect(bad.statusCode).toBe(400);
    expect(bad.headers?.['content-type']).toBe('application/problem+json');
    const problem = JSON.parse(bad.body ?? '') as { status: number; errors: { field: string }[] };
    expect(problem.status).toBe(400);
    expect(problem.errors.map((e) => e.field).sort()).toEqual(['extra', 'roles.1', 'sub']);

    const notJson = await call('{"sub":');
    expect(notJson.statusCode).toBe(400);
  });
});
