import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ROUTES, type RouteDefinition } from '../../functions/http/routes.js';
import { flattenClaims } from '../../infra/local/api-gateway-event.js';
import { type RunningHttpServer, startLocalHttpServer } from '../../infra/local/http-adapter.js';
import { createLocalAuth, type LocalAuth, signingKeyPath } from '../../infra/local/local-auth.js';
import { tokenRoute } from '../../infra/local/local-routes.js';

// The adapter is the unit under test, so the Lambda behind it is a fake that records its event.
type Respond = (
  event: APIGatewayProxyEventV2WithJWTAuthorizer,
  context: Context,
) => Promise<APIGatewayProxyResultV2>;
const echo: Respond = async () => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ ok: true }),
});

const consentRoute: RouteDefinition = {
  method: 'POST',
  path: '/consent/{token}',
  operationId: 'denyConsent',
  auth: 'none',
  function: 'consent',
  summary: 'test route served by the consent function',
};

describe('local HTTP adapter (API Gateway HTTP API, payload 2.0)', () => {
  let dataDir: string;
  let auth: LocalAuth;
  let server: RunningHttpServer;
  let events: { fn: string; event: APIGatewayProxyEventV2WithJWTAuthorizer; context: Context }[];
  let respond: Respond;
  let logged: unknown[];
  let partnerToken: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'cpor-adapter-'));
    auth = await createLocalAuth({ dataDir });
    server = await startLocalHttpServer({
      handlers: {
        api: async (event, context) => {
          events.push({ fn: 'api', event, context });
          return respond(event, context);
        },
        consent: async (event, context) => {
          events.push({ fn: 'consent', event, context });
          return respond(event, context);
        },
      },
      auth,
      routes: [...ROUTES, consentRoute],
      localRoutes: [tokenRoute(auth)],
      maxBodyBytes: 1024,
      integrationTimeoutMs: 300,
      logError: (_message, error) => logged.push(error),
    });
    partnerToken = await auth.issueToken({
      sub: 'alice',
      partnerId: 'partner-a',
      roles: ['Partner.GlobalAdmin', 'Partner.BillingAdmin'],
    });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    events = [];
    logged = [];
    respond = echo;
  });

  /** node:http rather than fetch, to send repeated headers and bodies of any shape. */
  function send(
    method: string,
    path: string,
    options: { headers?: Record<string, string | string[]>; body?: Buffer | string; chunked?: boolean } = {},
  ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(`${server.url}${path}`, { method, headers: options.headers ?? {} }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      });
      req.on('error', reject);
      if (options.body !== undefined && !options.chunked && !options.headers?.['content-length']) {
        req.setHeader('content-length', Buffer.byteLength(options.body));
      }
      req.end(options.body);
    });
  }

  function onlyEvent(): APIGatewayProxyEventV2WithJWTAuthorizer {
    expect(events).toHaveLength(1);
    return (events[0] as (typeof events)[number]).event;
  }

  it('turns a request into a payload 2.0 event for the matched route', async () => {
    const response = await send('GET', '/v1/claims/abc%20d%C3%A9f?status=editing&tag=1&tag=2&q=a%2Bb', {
      headers: {
        authorization: `Bearer ${partnerToken}`,
        'X-Custom-Header': 'Mixed',
        'x-multi': ['one', 'two'],
        cookie: 'session=abc; theme=dark',
        'user-agent': 'adapter-test/1.0',
      },
    });
    expect(response.status).toBe(200);
    const event = onlyEvent();
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'GET /v1/claims/{id}',
      rawPath: '/v1/claims/abc%20d%C3%A9f',
      rawQueryString: 'status=editing&tag=1&tag=2&q=a%2Bb',
      pathParameters: { id: 'abc déf' },
      queryStringParameters: { status: 'editing', tag: '1,2', q: 'a+b' },
      cookies: ['session=abc', 'theme=dark'],
      isBase64Encoded: false,
      requestContext: {
        routeKey: 'GET /v1/claims/{id}',
        stage: '$default',
        http: {
          method: 'GET',
          path: '/v1/claims/abc%20d%C3%A9f',
          sourceIp: '127.0.0.1',
          userAgent: 'adapter-test/1.0',
        },
      },
    });
    expect(event.body).toBeUndefined();
    expect(event.headers['x-custom-header']).toBe('Mixed');
    expect(event.headers['x-multi']).toBe('one,two');
    expect(event.headers).not.toHaveProperty('X-Custom-Header');
    expect(event.headers).not.toHaveProperty('cookie');
    expect(event.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(event.requestContext.requestId).toBe(response.headers['apigw-requestid']);
    expect(event.requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(Math.abs(event.requestContext.timeEpoch - Date.now())).toBeLessThan(10_000);
    expect(event.requestContext.domainName).toBe('127.0.0.1');
    const { context } = events[0] as (typeof events)[number];
    expect(context.functionName).toBe('cpor-local-api');
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
  });

  it('passes verified claims flattened the way API Gateway does', async () => {
    await send('GET', '/v1/claims', { headers: { authorization: `Bearer ${partnerToken}` } });
    const { authorizer } = onlyEvent().requestContext;
    expect(authorizer.jwt.claims).toMatchObject({
      sub: 'alice',
      partnerId: 'partner-a',
      roles: '[Partner.GlobalAdmin Partner.BillingAdmin]',
      iss: 'cpor-local',
      aud: 'cpor-api',
    });
    expect(authorizer.jwt.claims.exp).toMatch(/^\d+$/);
    expect(authorizer.jwt.scopes).toBeNull();
  });

  it('flattens numbers, booleans, arrays and objects to strings', () => {
    expect(
      flattenClaims({
        n: 42,
        b: false,
        list: ['a', 'b c', 3],
        empty: [],
        obj: { k: 'v' },
        none: null,
        s: 'x',
      }),
    ).toEqual({ n: '42', b: 'false', list: '[a b c 3]', empty: '[]', obj: '{"k":"v"}', s: 'x' });
  });

  it('leaves public routes without an authorizer and needs no token', async () => {
    const response = await send('GET', '/health');
    expect(response.status).toBe(200);
    const event = onlyEvent();
    expect(event.routeKey).toBe('GET /health');
    expect(event.requestContext).not.toHaveProperty('authorizer');
    expect(event).not.toHaveProperty('pathParameters');
    expect(event).not.toHaveProperty('queryStringParameters');
  });

  it('delivers JSON and text bodies as text, other types base64-encoded, to the route’s function', async () => {
    const json = '{"name":"Zoë"}';
    await send('POST', '/v1/claims', {
      headers: { authorization: `Bearer ${partnerToken}`, 'content-type': 'application/json; charset=utf-8' },
      body: json,
    });
    expect(onlyEvent()).toMatchObject({ body: json, isBase64Encoded: false });

    events = [];
    const form = 'decision=deny&note=a+b';
    await send('POST', '/consent/t0k%2Fen', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
    });
    expect(events[0]?.fn).toBe('consent');
    const formEvent = onlyEvent();
    expect(formEvent.pathParameters).toEqual({ token: 't0k/en' });
    expect(formEvent.isBase64Encoded).toBe(true);
    expect(Buffer.from(formEvent.body ?? '', 'base64').toString('utf8')).toBe(form);

    events = [];
    const binary = Buffer.from([0, 255, 1, 254]);
    await send('POST', '/consent/x', { body: binary });
    expect(onlyEvent()).toMatchObject({ body: binary.toString('base64'), isBase64Encoded: true });
  });

  it.each([
    ['no Authorization header', () => ({})],
    ['another scheme', () => ({ authorization: `Basic ${Buffer.from('a:b').toString('base64')}` })],
    ['a garbled token', () => ({ authorization: 'Bearer not.a.jwt' })],
    ['a tampered token', () => ({ authorization: `Bearer ${tamper(partnerToken)}` })],
    ['an empty bearer', () => ({ authorization: 'Bearer ' })],
  ])('answers 401 problem+json for %s, without calling the handler', async (_name, headers) => {
    const response = await send('GET', '/v1/claims', { headers: headers() });
    expectUnauthorized(response);
  });

  it('answers 401 for expired, wrong-audience, wrong-issuer, foreign-key and alg-none tokens', async () => {
    const ownKey = await importJWK(JSON.parse(readFileSync(signingKeyPath(dataDir), 'utf8')) as JWK, 'ES256');
    const kid = auth.publicJwk.kid as string;
    const now = Math.floor(Date.now() / 1000);
    const base = { sub: 'alice', partnerId: 'partner-a', roles: ['Partner.GlobalAdmin'] };
    const sign = (
      claims: Record<string, unknown>,
      key: Parameters<SignJWT['sign']>[0] = ownKey,
      alg = 'ES256',
    ) => new SignJWT({ ...base, ...claims }).setProtectedHeader({ alg, kid }).sign(key);

    const valid = await sign({ iss: 'cpor-local', aud: 'cpor-api', iat: now, exp: now + 600 });
    expect((await send('GET', '/v1/claims', { headers: { authorization: `Bearer ${valid}` } })).status).toBe(
      200,
    );
    events = [];

    const { privateKey: foreignKey } = await generateKeyPair('ES256');
    const unsignedHeader = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const unsignedPayload = Buffer.from(
      JSON.stringify({ ...base, iss: 'cpor-local', aud: 'cpor-api', iat: now, exp: now + 600 }),
    ).toString('base64url');
    const refused = [
      await sign({ iss: 'cpor-local', aud: 'cpor-api', iat: now - 7200, exp: now - 3600 }),
      await sign({ iss: 'cpor-local', aud: 'someone-else', iat: now, exp: now + 600 }),
      await sign({ iss: 'https://login.example', aud: 'cpor-api', iat: now, exp: now + 600 }),
      await sign({ iss: 'cpor-local', aud: 'cpor-api', iat: now }),
      await sign({ iss: 'cpor-local', aud: 'cpor-api', iat: now, exp: now + 600 }, foreignKey),
      await sign(
        { iss: 'cpor-local', aud: 'cpor-api', iat: now, exp: now + 600 },
        new TextEncoder().encode('x'.repeat(32)),
        'HS256',
      ),
      `${unsignedHeader}.${unsignedPayload}.`,
    ];
    for (const token of refused) {
      expectUnauthorized(await send('GET', '/v1/claims', { headers: { authorization: `Bearer ${token}` } }));
    }
  });

  function expectUnauthorized(response: { status: number; headers: Record<string, unknown>; text: string }) {
    expect(response.status).toBe(401);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.headers['www-authenticate']).toBe('Bearer');
    expect(JSON.parse(response.text)).toEqual({
      type: 'https://cpor-claims.example/problems/unauthorized',
      title: 'Unauthorized',
      status: 401,
      detail: expect.any(String),
    });
    expect(events).toEqual([]);
  }

  it('answers 404 for unknown paths and 405 with Allow for a known path and wrong method', async () => {
    for (const path of ['/nope', '/v1/claims/', '/v1/claims/a/b', '/v1/claims//']) {
      const response = await send('GET', path);
      expect(response.status, path).toBe(404);
      expect(response.headers['content-type']).toBe('application/problem+json');
      expect(JSON.parse(response.text)).toMatchObject({ status: 404, title: 'Not Found' });
    }
    const response = await send('DELETE', '/v1/claims');
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe('GET, POST');
    expect(JSON.parse(response.text)).toMatchObject({ status: 405, title: 'Method Not Allowed' });
    expect((await send('GET', '/_local/token')).headers.allow).toBe('POST');
    expect(events).toEqual([]);
  });

  it('answers 413 for a body over the limit, declared or streamed', async () => {
    const big = Buffer.alloc(4096, 'a');
    const declared = await send('POST', '/v1/claims', {
      headers: { authorization: `Bearer ${partnerToken}`, 'content-type': 'application/json' },
      body: big,
    });
    expect(declared.status).toBe(413);
    expect(declared.headers['content-type']).toBe('application/problem+json');
    const streamed = await send('POST', '/v1/claims', {
      headers: { authorization: `Bearer ${partnerToken}`, 'content-type': 'application/json' },
      body: big,
      chunked: true,
    });
    expect(streamed.status).toBe(413);
    const atLimit = await send('POST', '/v1/claims', {
      headers: { authorization: `Bearer ${partnerToken}`, 'content-type': 'application/json' },
      body: Buffer.alloc(1024, 'a'),
    });
    expect(atLimit.status).toBe(200);
    expect(events).toHaveLength(1);
  });

  it('answers 413 to a 10 MB body sent whole (fetch), instead of dropping the connection', async () => {
    // A client that sends its body before reading the answer (as fetch does) must get to read
    // the 413: the adapter reads the body to its end before answering.
    const response = await fetch(`${server.url}/v1/claims`, {
      method: 'POST',
      headers: { authorization: `Bearer ${partnerToken}`, 'content-type': 'application/json' },
      body: Buffer.alloc(10 * 1024 * 1024, 'a'),
    });
    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({ status: 413, title: 'Payload Too Large' });
    // …and streamed without a declared length (chunked), in 64 KiB pieces.
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let sent = 0;
    const streamed = await fetch(`${server.url}/v1/claims`, {
      method: 'POST',
      headers: { authorization: `Bearer ${partnerToken}`, 'content-type': 'application/json' },
      duplex: 'half',
      body: new ReadableStream({
        pull(controller) {
          if (sent >= 10 * 1024 * 1024) return controller.close();
          sent += chunk.length;
          controller.enqueue(chunk);
        },
      }),
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(await streamed.json()).toMatchObject({ status: 413 });
    expect(events).toEqual([]);
  });

  it('answers a crash with a generic 500 problem, logging the error but never sending it', async () => {
    respond = async () => {
      throw new Error('secret table name cpor-claims-prod leaked');
    };
    const response = await send('GET', '/health');
    expect(response.status).toBe(500);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(response.text)).toEqual({
      type: 'https://cpor-claims.example/problems/internal-error',
      title: 'Internal Server Error',
      status: 500,
      detail: 'The server failed to handle the request.',
    });
    expect(response.text).not.toMatch(/secret|leaked|at |\.ts/);
    expect(logged).toHaveLength(1);
    expect((logged[0] as Error).message).toContain('leaked');

    respond = async () => ({ statusCode: 9000 });
    expect((await send('GET', '/health')).status).toBe(500);
  });

  it('answers 503 when the handler outlives the integration timeout', async () => {
    respond = () => new Promise((resolve) => setTimeout(() => resolve({ statusCode: 200 }), 1000));
    const response = await send('GET', '/health');
    expect(response.status).toBe(503);
    expect(JSON.parse(response.text)).toMatchObject({ status: 503, title: 'Service Unavailable' });
  });

  it('writes structured results: status, headers, cookies, base64 bodies; strings as JSON 200', async () => {
    respond = async () => ({
      statusCode: 201,
      headers: { 'content-type': 'image/png', 'x-count': 3 },
      cookies: ['a=1; HttpOnly', 'b=2'],
      body: Buffer.from([137, 80, 78, 71]).toString('base64'),
      isBase64Encoded: true,
    });
    const response = await new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>(
      (resolve, reject) => {
        httpRequest(`${server.url}/health`, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
          );
        })
          .on('error', reject)
          .end();
      },
    );
    expect(response.status).toBe(201);
    expect(response.headers['x-count']).toBe('3');
    expect(response.headers['set-cookie']).toEqual(['a=1; HttpOnly', 'b=2']);
    expect([...response.body]).toEqual([137, 80, 78, 71]);

    respond = async () => '{"plain":true}';
    const plain = await send('GET', '/health');
    expect(plain.status).toBe(200);
    expect(plain.headers['content-type']).toBe('application/json');
    expect(JSON.parse(plain.text)).toEqual({ plain: true });
  });

  it('serves local-only routes itself, without the authorizer', async () => {
    const response = await send('POST', '/_local/token', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sub: 'rita', roles: ['Reviewer'] }),
    });
    expect(response.status).toBe(200);
    const { token } = JSON.parse(response.text) as { token: string };
    expect(await auth.verifyToken(token)).toMatchObject({ sub: 'rita', roles: ['Reviewer'] });
    expect(events).toEqual([]);
  });
});

function tamper(token: string): string {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
  claims.partnerId = 'partner-b';
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}
