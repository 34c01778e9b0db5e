/**
 * Hostile input (issue 7, item 3): property-based fuzzing of every JSON-body route of the
 * route table, with arbitrary JSON and with mutations of a valid body, plus a table of
 * targeted cases. Expected every time: a 4xx problem+json (never a 5xx), and no change —
 * each target claim keeps its version and history length, and no claim is created.
 *
 * The API runs here on its own local adapter with a local auth whose signing key is in a
 * temporary folder, so the test can sign expired and wrong-audience tokens with the real key.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import fc from 'fast-check';
import { generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { ManualClock } from '../../functions/domain/clock.js';
import { buildApiHandler } from '../../functions/http/api-handler.js';
import {
  addCommentSchema,
  claimDraftSchema,
  claimPatchSchema,
  commentOnlySchema,
  disputeSchema,
  rejectSchema,
  requestInfoSchema,
  resolveDisputeSchema,
} from '../../functions/http/claim.schema.js';
import { createDocumentSchema } from '../../functions/http/document.schema.js';
import { MAX_BODY_BYTES } from '../../functions/http/request.js';
import { ROUTES } from '../../functions/http/routes.js';
import { createApiDeps } from '../../functions/wiring.js';
import { type RunningHttpServer, startLocalHttpServer } from '../../infra/local/http-adapter.js';
import {
  createLocalAuth,
  LOCAL_AUDIENCE,
  LOCAL_ISSUER,
  signingKeyPath,
} from '../../infra/local/local-auth.js';
import { tokenRoute } from '../../infra/local/local-routes.js';
import { claimDraft } from '../support/claim-draft.js';
import { createTestTable, type TestTable } from '../support/dynamodb.js';
import { type TestApi, type TestResponse, testClient } from '../support/test-api.js';
import {
  ACTION_BODIES,
  type Cast,
  type ClaimView,
  castOf,
  claimIn,
  footprint,
  type Status,
} from '../support/workflow.js';

type Api = Pick<TestApi, 'request' | 'table' | 'clock' | 'token'>;
type Who = keyof Cast;

/** Every JSON-body route, its schema, a valid body, and the claim status where that body would be accepted. */
const BODY_ROUTES: {
  operationId: string;
  method: 'POST' | 'PATCH';
  action: string;
  schema: z.ZodType;
  valid: unknown;
  status: Status | 'none';
  who: Who;
  contentType?: string;
}[] = [
  {
    operationId: 'createClaim',
    method: 'POST',
    action: '',
    schema: claimDraftSchema,
    valid: claimDraft(),
    status: 'none',
    who: 'bob',
  },
  {
    operationId: 'updateClaim',
    method: 'PATCH',
    action: '',
    schema: claimPatchSchema,
    valid: {
      name: 'Renamed',
      customer: { contact: { email: 'dana@contoso.com' } },
      activity: 'revenueAssociation',
    },
    status: 'editing',
    who: 'alice',
    contentType: 'application/merge-patch+json',
  },
  {
    operationId: 'createDocument',
    method: 'POST',
    action: 'documents',
    schema: createDocumentSchema,
    valid: { fileName: 'sow.pdf', contentType: 'application/pdf', size: 2048 },
    status: 'editing',
    who: 'alice',
  },
  {
    operationId: 'submitClaim',
    method: 'POST',
    action: 'submit',
    schema: commentOnlySchema,
    valid: { comment: 'Ready.' },
    status: 'editing',
    who: 'alice',
  },
  {
    operationId: 'withdrawClaim',
    method: 'POST',
    action: 'withdraw',
    schema: commentOnlySchema,
    valid: ACTION_BODIES.withdraw,
    status: 'editing',
    who: 'alice',
  },
  {
    operationId: 'addComment',
    method: 'POST',
    action: 'comments',
    schema: addCommentSchema,
    valid: { text: 'See page 2.' },
    status: 'editing',
    who: 'alice',
  },
  {
    operationId: 'disputeClaim',
    method: 'POST',
    action: 'dispute',
    schema: disputeSchema,
    valid: { justification: 'Page 2 shows it.', documentIds: [] },
    status: 'rejected',
    who: 'alice',
  },
  {
    operationId: 'startReview',
    method: 'POST',
    action: 'start-review',
    schema: commentOnlySchema,
    valid: { comment: 'Mine.' },
    status: 'submitted',
    who: 'rita',
  },
  {
    operationId: 'requestInfo',
    method: 'POST',
    action: 'request-info',
    schema: requestInfoSchema,
    valid: ACTION_BODIES['request-info'],
    status: 'underReview',
    who: 'rita',
  },
  {
    operationId: 'approveClaim',
    method: 'POST',
    action: 'approve',
    schema: commentOnlySchema,
    valid: ACTION_BODIES.approve,
    status: 'underReview',
    who: 'rita',
  },
  {
    operationId: 'rejectClaim',
    method: 'POST',
    action: 'reject',
    schema: rejectSchema,
    valid: ACTION_BODIES.reject,
    status: 'underReview',
    who: 'rita',
  },
  {
    operationId: 'resolveDispute',
    method: 'POST',
    action: 'resolve-dispute',
    schema: resolveDisputeSchema,
    valid: ACTION_BODIES['resolve-dispute'],
    status: 'disputed',
    who: 'rita',
  },
];

/** Every path to a node of `value` (not the root), as key lists. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return entries.flatMap(([key, child]) => [[...prefix, key], ...pathsOf(child, [...prefix, key])]);
}

type Mutation =
  | { kind: 'replace'; path: (string | number)[]; value: unknown }
  | { kind: 'delete'; path: (string | number)[] }
  | { kind: 'add'; path: (string | number)[]; key: string; value: unknown };

function mutate(valid: unknown, mutation: Mutation): unknown {
  const body = structuredClone(valid) as Record<string | number, unknown>;
  const parentPath = mutation.kind === 'add' ? mutation.path : mutation.path.slice(0, -1);
  let parent: Record<string | number, unknown> = body;
  for (const key of parentPath) parent = parent[key] as Record<string | number, unknown>;
  if (mutation.kind === 'add') {
    Object.defineProperty(parent, mutation.key, { value: mutation.value, enumerable: true, writable: true });
    return body;
  }
  const last = mutation.path.at(-1) as string | number;
  if (mutation.kind === 'replace') parent[last] = mutation.value;
  else if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else delete parent[last];
  return body;
}

function mutations(valid: unknown): fc.Arbitrary<Mutation> {
  const paths = pathsOf(valid);
  const containers = [[], ...paths].filter((p) => {
    let node: unknown = valid;
    for (const key of p) node = (node as Record<string | number, unknown>)[key];
    return node !== null && typeof node === 'object' && !Array.isArray(node);
  });
  const value = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.constantFrom(
      '',
      ' ',
      '\u0000',
      'a\r\nBcc: x@evil.example',
      '\ud800',
      'x'.repeat(9000),
      -1,
      1.5,
      1e308,
    ),
  );
  const add = fc.record({
    kind: fc.constant('add' as const),
    path: fc.constantFrom(...containers),
    key: fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom('__proto__', 'constructor', 'status', 'version', 'partnerId', 'id'),
    ),
    value,
  });
  if (paths.length === 0) return add;
  return fc.oneof(
    fc.record({ kind: fc.constant('replace' as const), path: fc.constantFrom(...paths), value }),
    fc.record({ kind: fc.constant('delete' as const), path: fc.constantFrom(...paths) }),
    add,
  );
}

/** Invalid for the route's schema, judged on what the server will parse. */
const invalidFor = (schema: z.ZodType) => (body: unknown) => {
  const text = JSON.stringify(body);
  return text === undefined || !schema.safeParse(JSON.parse(text)).success;
};

function expectRefusal(response: TestResponse, statuses: number[] = [400]) {
  expect(response.status, response.text).toBeLessThan(500);
  expect(statuses, response.text).toContain(response.status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const problem = response.json as { status: number; title: string; detail: string; errors?: unknown };
  expect(problem).toMatchObject({
    status: response.status,
    title: expect.any(String),
    detail: expect.any(String),
  });
  expect(response.text).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
  return problem;
}

function expectFieldErrors(response: TestResponse) {
  const problem = expectRefusal(response, [400]) as { errors?: { field: string; reason: string }[] };
  expect(problem.errors?.length, response.text).toBeGreaterThan(0);
  for (const error of problem.errors ?? []) {
    expect(error.field).toEqual(expect.any(String));
    expect(error.field.length).toBeGreaterThan(0);
    expect(error.reason).toEqual(expect.any(String));
  }
}

describe('hostile input: never a 5xx, always a 4xx problem+json, never a change', () => {
  let table: TestTable;
  let server: RunningHttpServer;
  let api: Api;
  let cast: Cast;
  let privateJwk: JWK;
  let dataDir: string;
  const claims = new Map<string, ClaimView>();

  beforeAll(async () => {
    table = await createTestTable('hostile');
    dataDir = mkdtempSync(join(tmpdir(), 'hostile-'));
    const auth = await createLocalAuth({ dataDir });
    privateJwk = JSON.parse(readFileSync(signingKeyPath(dataDir), 'utf8')) as JWK;
    const clock = new ManualClock(new Date());
    server = await startLocalHttpServer({
      handlers: {
        api: buildApiHandler(
          createApiDeps({
            tableName: table.tableName,
            dynamoDbEndpoint: table.endpoint,
            region: 'us-east-1',
            cursorSecret: randomBytes(32).toString('base64url'),
            clock,
            documentsBucketName: 'hostile-documents',
            s3Endpoint: 'http://127.0.0.1:9',
            logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
          }),
        ),
      },
      auth,
      localRoutes: [tokenRoute(auth)],
      maxBodyBytes: 1024 * 1024,
      logError: () => {},
    });
    api = { ...testClient(server.url), table, clock };
    cast = await castOf(api);
    for (const status of ['editing', 'submitted', 'underReview', 'rejected', 'disputed'] as const) {
      claims.set(status, await claimIn(api, { partner: cast.alice, rita: cast.rita }, status));
    }
  });
  afterAll(async () => {
    await server?.close();
    await table?.destroy();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** What must not change: every target claim's version and history, and bob's claim count. */
  async function snapshot() {
    const states = await Promise.all([...claims.values()].map((c) => footprint(api, cast.alice, c.id)));
    const bobs = await api.request('GET', '/v1/claims?limit=100', { token: cast.bob });
    const aliceList = await api.request('GET', '/v1/claims?limit=100', { token: cast.alice });
    return {
      states,
      bobClaims: (bobs.json as { items: unknown[] }).items.length,
      aliceClaims: (aliceList.json as { items: unknown[] }).items.length,
    };
  }

  it('fuzzes every JSON-body route of the route table', () => {
    const bodyRoutes = ROUTES.filter(
      (r) => r.function === 'api' && (r.method === 'POST' || r.method === 'PATCH'),
    ).map((r) => r.operationId);
    expect(BODY_ROUTES.map((r) => r.operationId).sort()).toEqual([...bodyRoutes].sort());
    for (const route of BODY_ROUTES)
      expect(route.schema.safeParse(route.valid).success, route.operationId).toBe(true);
  });

  describe.each(BODY_ROUTES)('$method $operationId', (route) => {
    const send = (body: unknown) => {
      const claim = route.status === 'none' ? undefined : claims.get(route.status);
      const path = claim ? `/v1/claims/${claim.id}${route.action ? `/${route.action}` : ''}` : '/v1/claims';
      return api.request(route.method, path, {
        token: cast[route.who],
        rawBody: JSON.stringify(body),
        headers: {
          ...(route.contentType && { 'content-type': route.contentType }),
          ...(claim && { 'if-match': `"${claim.version}"` }),
        },
      });
    };

    it('arbitrary JSON → 400 naming a field; nothing written', async () => {
      const before = await snapshot();
      await fc.assert(
        fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }).filter(invalidFor(route.schema)), async (body) => {
          expectFieldErrors(await send(body));
        }),
        { numRuns: 40 },
      );
      expect(await snapshot()).toEqual(before);
    });

    it('mutations of a valid body → 400 naming a field; nothing written', async () => {
      const before = await snapshot();
      await fc.assert(
        fc.asyncProperty(
          mutations(route.valid)
            .map((m) => mutate(route.valid, m))
            .filter(invalidFor(route.schema)),
          async (body) => {
            expectFieldErrors(await send(body));
          },
        ),
        { numRuns: 40 },
      );
      expect(await snapshot()).toEqual(before);
    });
  });

  describe('targeted cases', () => {
    let before: Awaited<ReturnType<typeof snapshot>>;
    beforeAll(async () => {
      before = await snapshot();
    });
    afterAll(async () => {
      expect(await snapshot()).toEqual(before);
    });

    const editing = () => claims.get('editing') as ClaimView;
    const patch = (body: unknown, token = cast.alice) =>
      api.request('PATCH', `/v1/claims/${editing().id}`, {
        token,
        body,
        headers: { 'content-type': 'application/merge-patch+json' },
      });
    const create = (body: unknown, token = cast.bob) => api.request('POST', '/v1/claims', { token, body });

    it('oversized bodies → 413 (over 64 KiB at the handler, over 1 MiB at the adapter)', async () => {
      const big = claimDraft({ name: 'x'.repeat(MAX_BODY_BYTES) });
      expectRefusal(await create(big), [413]);
      expectRefusal(await patch({ name: 'y'.repeat(MAX_BODY_BYTES + 1) }), [413]);
      expectRefusal(
        await api.request('POST', `/v1/claims/${editing().id}/comments`, {
          token: cast.alice,
          rawBody: JSON.stringify({ text: 'z'.repeat(2 * 1024 * 1024) }),
        }),
        [413],
      );
    });

    it('deeply nested JSON → 400 (or 413 when it is also too large)', async () => {
      const deepObject = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
      expectFieldErrors(await api.request('POST', '/v1/claims', { token: cast.bob, rawBody: deepObject }));
      const deepArray = `${'['.repeat(30_000)}${']'.repeat(30_000)}`;
      expectFieldErrors(
        await api.request('POST', `/v1/claims/${editing().id}/comments`, {
          token: cast.alice,
          rawBody: deepArray,
        }),
      );
      expectRefusal(
        await api.request('POST', '/v1/claims', {
          token: cast.bob,
          rawBody: `${'['.repeat(200_000)}${']'.repeat(200_000)}`,
        }),
        [413],
      );
      expectFieldErrors(
        await patch({ name: { a: { b: { c: JSON.parse(`${'['.repeat(25)}1${']'.repeat(25)}`) } } } }),
      );
    });

    it.each([
      ['a number for a name', { name: 123 }],
      ['a string for products', { products: 'teams' }],
      ['an object for the MPN id', { partner: { mpnId: { $gt: '' } } }],
      ['null for a required field', { name: null }],
      ['an array for customer', { customer: [] }],
      ['a boolean for activity', { activity: true }],
      ['a number for an email', { customer: { contact: { email: 42 } } }],
    ])('wrong types (%s) → 400 naming the field', async (_, body) => {
      const response = await patch(body);
      expectFieldErrors(response);
      const field = Object.keys(body)[0] as string;
      expect(
        (response.json as { errors: { field: string }[] }).errors.map((e) => e.field).join(' '),
      ).toContain(field);
    });

    it.each([
      ['size as a string', '{"fileName":"a.pdf","contentType":"application/pdf","size":"1024"}', 'size'],
      ['size beyond a double', '{"fileName":"a.pdf","contentType":"application/pdf","size":1e400}', 'size'],
      ['a negative size', '{"fileName":"a.pdf","contentType":"application/pdf","size":-1}', 'size'],
      ['fileName as an array', '{"fileName":["a.pdf"],"contentType":"application/pdf","size":1}', 'fileName'],
      [
        'a path in fileName',
        '{"fileName":"../../etc/passwd","contentType":"application/pdf","size":1}',
        'fileName',
      ],
    ])('documents: %s → 400 naming the field', async (_, rawBody, field) => {
      const response = await api.request('POST', `/v1/claims/${editing().id}/documents`, {
        token: cast.alice,
        rawBody,
      });
      expectFieldErrors(response);
      expect((response.json as { errors: { field: string }[] }).errors.map((e) => e.field)).toContain(field);
    });

    it.each([
      ['a lone high surrogate', 'Contoso \ud800 rollout'],
      ['a lone low surrogate', '\udc00Contoso'],
      ['an RTL override', 'Contoso \u202Efdp.exe'],
      ['an isolate', 'Contoso \u2067rollout\u2069'],
      ['a NUL', 'Contoso\u0000rollout'],
      ['only zero-width spaces and whitespace', '\u200b \u200b'],
      ['a BOM-only name', '\ufeff'],
      ['a line separator', 'Contoso\u2028rollout'],
    ])('unicode: a name with %s → 400 naming the field', async (_, name) => {
      const response = await patch({ name });
      expectFieldErrors(response);
      expect((response.json as { errors: { field: string }[] }).errors.map((e) => e.field)).toContain('name');
      expectFieldErrors(await create(claimDraft({ name })));
    });

    it.each([
      ['a zero-width space in the domain', { customer: { domain: 'con\u200btoso.com' } }, 'customer.domain'],
      [
        'a zero-width space in an email',
        { customer: { contact: { email: 'chris\u200b@contoso.com' } } },
        'customer.contact.email',
      ],
      ['a fullwidth digit in the MPN id', { partner: { mpnId: '123456\uff17' } }, 'partner.mpnId'],
      [
        'a lone surrogate in a comment-like field of a workload',
        { products: [{ family: 'microsoft365', workload: 'Teams\udfff' }] },
        'products.0.workload',
      ],
    ])('unicode: %s → 400', async (_, body, field) => {
      const response = await patch(body);
      expectFieldErrors(response);
      expect((response.json as { errors: { field: string }[] }).errors.map((e) => e.field)).toContain(field);
    });

    it('unicode: a comment with an RTL override or lone surrogate → 400', async () => {
      for (const text of ['Looks fine \u202Etxt.exe', 'broken \ud83d']) {
        const response = await api.request('POST', `/v1/claims/${editing().id}/comments`, {
          token: cast.alice,
          body: { text },
        });
        expectFieldErrors(response);
      }
    });

    it.each([
      [
        'contact name',
        { customer: { contact: { name: 'Chris\r\nBcc: victim@evil.example' } } },
        'customer.contact.name',
      ],
      [
        'contact name (LF only)',
        { partner: { contact: { name: 'Pat\nX-Injected: 1' } } },
        'partner.contact.name',
      ],
      [
        'contact email',
        { customer: { contact: { email: 'chris@contoso.com\r\nBcc: victim@evil.example' } } },
        'customer.contact.email',
      ],
      [
        'contact email (encoded header)',
        { partner: { contact: { email: 'pat@fabrikam.com%0d%0aBcc:x@evil.example' } } },
        'partner.contact.email',
      ],
      ['claim name', { name: 'Rollout\r\nSubject: approved' }, 'name'],
    ])('header injection in %s → 400 naming the field', async (_, body, field) => {
      const response = await patch(body);
      expectFieldErrors(response);
      expect((response.json as { errors: { field: string }[] }).errors.map((e) => e.field)).toContain(field);
    });

    it('header injection in a document file name → 400', async () => {
      const response = await api.request('POST', `/v1/claims/${editing().id}/documents`, {
        token: cast.alice,
        body: { fileName: 'sow.pdf\r\nContent-Type: text/html', contentType: 'application/pdf', size: 10 },
      });
      expectFieldErrors(response);
    });

    it('forged, tampered and replayed cursors → 400 naming cursor', async () => {
      const page = await api.request('GET', '/v1/claims?limit=1', { token: cast.alice });
      const cursor = (page.json as { nextCursor: string }).nextCursor;
      expect(cursor).toEqual(expect.any(String));
      const [payload = '', signature = ''] = cursor.split('.');
      const flip = (s: string) => `${s.slice(0, -2)}${s.at(-2) === 'A' ? 'B' : 'A'}${s.at(-1)}`;
      const forgedPayload = Buffer.from(
        JSON.stringify({ createdAt: '9999-01-01T00:00:00.000Z', id: 'x' }),
      ).toString('base64url');
      const cases: [string, string][] = [
        ['tampered payload', `${flip(payload)}.${signature}`],
        ['tampered signature', `${payload}.${flip(signature)}`],
        ['forged payload, old signature', `${forgedPayload}.${signature}`],
        ['no signature', payload],
        ['three parts', `${cursor}.x`],
        ['empty parts', '.'],
        ['not base64', '%%%.%%%'],
        ['too long', 'a'.repeat(5000)],
        ['JSON injection', '{"partnerId":"partner-b"}'],
      ];
      for (const [name, forged] of cases) {
        const response = await api.request('GET', `/v1/claims?limit=1&cursor=${encodeURIComponent(forged)}`, {
          token: cast.alice,
        });
        expectFieldErrors(response);
        expect(
          (response.json as { errors: { field: string }[] }).errors.map((e) => e.field),
          name,
        ).toContain('cursor');
      }
      // A genuine cursor replayed by another partner or against another query.
      for (const [token, query] of [
        [cast.bob, 'limit=1'],
        [cast.alice, 'limit=1&status=editing'],
        [cast.alice, 'limit=1&order=oldest'],
      ] as const) {
        const response = await api.request(
          'GET',
          `/v1/claims?${query}&cursor=${encodeURIComponent(cursor)}`,
          { token },
        );
        expectFieldErrors(response);
      }
    });

    it.each([
      ['a huge limit', 'limit=1000000000', 'limit'],
      ['a limit past the safe integers', 'limit=99999999999999999999999', 'limit'],
      ['a negative limit', 'limit=-1', 'limit'],
      ['a fractional limit', 'limit=1.5', 'limit'],
      ['a non-numeric limit', 'limit=abc', 'limit'],
      ['an unknown status', 'status=deleted', 'status'],
      ['an unknown parameter', 'partnerId=partner-b', 'partnerId'],
      ['a bad tenant id', 'customerTenantId=%27%20OR%201%3D1', 'customerTenantId'],
    ])('list query: %s → 400 naming the parameter', async (_, query, field) => {
      const response = await api.request('GET', `/v1/claims?${query}`, { token: cast.alice });
      expectFieldErrors(response);
      expect((response.json as { errors: { field: string }[] }).errors.map((e) => e.field)).toContain(field);
    });

    describe('tokens', () => {
      const sign = async (
        claims: Record<string, unknown>,
        options: {
          key?: 'service' | 'other';
          audience?: string;
          issuer?: string;
          expiresAt?: number;
          alg?: string;
        } = {},
      ) => {
        const key =
          options.key === 'other'
            ? (await generateKeyPair('ES256')).privateKey
            : await importJWK(privateJwk, 'ES256');
        return new SignJWT({ roles: ['Partner.GlobalAdmin'], partnerId: 'partner-a', ...claims })
          .setProtectedHeader({ alg: 'ES256', kid: privateJwk.kid as string, typ: 'JWT' })
          .setSubject('mallory')
          .setIssuer(options.issuer ?? LOCAL_ISSUER)
          .setAudience(options.audience ?? LOCAL_AUDIENCE)
          .setIssuedAt()
          .setExpirationTime(options.expiresAt ?? Math.floor(Date.now() / 1000) + 600)
          .sign(key);
      };
      const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const unsigned = () => {
        const now = Math.floor(Date.now() / 1000);
        const payload = {
          sub: 'mallory',
          roles: ['Reviewer'],
          iss: LOCAL_ISSUER,
          aud: LOCAL_AUDIENCE,
          iat: now,
          exp: now + 600,
        };
        return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
      };

      const cases: [string, () => Promise<string>][] = [
        ['alg none', async () => unsigned()],
        [
          'alg none with the service kid',
          async () => `${b64({ alg: 'none', kid: privateJwk.kid })}.${unsigned().split('.')[1]}.`,
        ],
        [
          'HS256 keyed with the public key',
          async () => {
            const { d: _d, ...publicJwk } = privateJwk;
            return new SignJWT({ roles: ['Reviewer'] })
              .setProtectedHeader({ alg: 'HS256', kid: privateJwk.kid as string })
              .setSubject('mallory')
              .setIssuer(LOCAL_ISSUER)
              .setAudience(LOCAL_AUDIENCE)
              .setExpirationTime('10m')
              .sign(new TextEncoder().encode(JSON.stringify(publicJwk)));
          },
        ],
        ['a wrong key (same kid)', () => sign({}, { key: 'other' })],
        ['expired', () => sign({}, { expiresAt: Math.floor(Date.now() / 1000) - 60 })],
        ['a wrong audience', () => sign({}, { audience: 'another-api' })],
        ['a wrong issuer', () => sign({}, { issuer: 'https://evil.example' })],
        [
          'a tampered payload',
          async () => {
            const [h, p, s] = (await sign({})).split('.');
            const payload = JSON.parse(Buffer.from(p as string, 'base64url').toString()) as Record<
              string,
              unknown
            >;
            return `${h}.${b64({ ...payload, partnerId: 'partner-b' })}.${s}`;
          },
        ],
        ['garbage', async () => 'not.a.jwt'],
        ['empty', async () => ''],
      ];

      it.each(cases)('%s → 401 on reads and writes; nothing written', async (_, make) => {
        const token = await make();
        const headers = { authorization: `Bearer ${token}` };
        for (const [method, path, body] of [
          ['GET', '/v1/claims', undefined],
          ['GET', `/v1/claims/${editing().id}`, undefined],
          ['POST', '/v1/claims', claimDraft()],
          ['PATCH', `/v1/claims/${editing().id}`, { name: 'Owned' }],
          ['POST', `/v1/claims/${claims.get('underReview')?.id}/approve`, {}],
        ] as const) {
          const response = await api.request(method, path, { headers, ...(body && { body }) });
          expectRefusal(response, [401]);
        }
      });

      it('a validly signed token without a usable role or partner → 403', async () => {
        for (const token of [
          await sign({ roles: ['Admin'] }),
          await sign({ partnerId: '' }),
          await sign({ roles: 'Partner.GlobalAdmin Reviewer', partnerId: undefined }),
        ]) {
          expectRefusal(await create(claimDraft(), token), [403]);
        }
      });
    });

    it("another partner's claim on every /v1/claims/{id} route → 404, like a missing one", async () => {
      const idRoutes = ROUTES.filter((r) => r.path.startsWith('/v1/claims/{id}'));
      expect(idRoutes.length).toBeGreaterThan(10);
      for (const route of idRoutes) {
        for (const claim of claims.values()) {
          const path = route.path.replace('{id}', claim.id).replace('{docId}', randomUUID());
          const body = BODY_ROUTES.find((r) => r.operationId === route.operationId)?.valid;
          const response = await api.request(route.method, path, {
            token: cast.bob,
            ...(body !== undefined && { body }),
          });
          expectRefusal(response, [404]);
        }
      }
    });

    it.each(
      [
        '..%2F..%2Fetc%2Fpasswd',
        '%2e%2e',
        '..',
        '%00',
        'claim%0d%0aX-Injected:%201',
        'a'.repeat(3000),
        '%F0%9F%92%A9',
        '%ED%A0%80',
        "1'%20OR%20'1'%3D'1",
        'CLAIM%23history',
      ].map((id) => [id.length > 40 ? `${id.slice(0, 8)}… (${id.length} characters)` : id, id]),
    )('path traversal-ish id %s → 4xx on read, edit and action', async (_, id) => {
      for (const [method, path, body] of [
        ['GET', `/v1/claims/${id}`, undefined],
        ['GET', `/v1/claims/${id}/history`, undefined],
        ['PATCH', `/v1/claims/${id}`, { name: 'Owned' }],
        ['POST', `/v1/claims/${id}/approve`, {}],
        ['GET', `/v1/claims/${editing().id}/documents/${id}/download`, undefined],
      ] as const) {
        for (const token of [cast.alice, cast.rita]) {
          const response = await api.request(method, path, { token, ...(body && { body }) });
          expectRefusal(response, [400, 404]);
        }
      }
    });

    it.each([
      ['text/plain', 'name=Owned'],
      ['application/x-www-form-urlencoded', 'name=Owned'],
      [
        'multipart/form-data; boundary=x',
        '--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nOwned\r\n--x--',
      ],
      ['application/xml', '<name>Owned</name>'],
      ['text/plain', JSON.stringify(claimDraft())],
    ])('a non-JSON content type (%s) → 415', async (contentType, body) => {
      for (const path of ['/v1/claims', `/v1/claims/${editing().id}/comments`]) {
        const response = await api.request('POST', path, {
          token: path === '/v1/claims' ? cast.bob : cast.alice,
          rawBody: body,
          headers: { 'content-type': contentType },
        });
        expectRefusal(response, [415]);
      }
    });

    it('invalid JSON text → 400 naming (body)', async () => {
      for (const raw of ['{', '{"name":', "{'name':'x'}", 'NaN', '{"a":1,}', '\u0000', '\ufeff{}']) {
        expectFieldErrors(await api.request('POST', '/v1/claims', { token: cast.bob, rawBody: raw }));
      }
    });
  });
});
