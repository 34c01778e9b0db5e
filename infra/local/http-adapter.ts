/**
 * The local API Gateway: a `node:http` server built from the shared route table that turns
 * each request into an HTTP API payload 2.0 event, does what the JWT authorizer does, invokes
 * the route's Lambda handler in process and writes its structured result back.
 *
 * Faithful where handlers can tell the difference (event shape, claim flattening, body
 * encoding); the adapter's own refusals (401, 404, 405, 413, 500, 503) are problem+json where
 * the cloud answers `{"message": "…"}`, so local clients get one error format.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  APIGatewayEventRequestContextJWTAuthorizer,
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyResultV2,
  Context,
} from 'aws-lambda';
import { ROUTES, type RouteDefinition, type RouteFunction, routeKey } from '../../functions/http/routes.js';
import {
  CORS_ALLOW_HEADERS,
  CORS_DEFAULT_MAX_AGE_SECONDS,
  CORS_EXPOSE_HEADERS,
  corsAllowMethods,
} from '../cors.js';

/** A Lambda handler for HTTP API events, as the function entry points export it. */
export type HttpHandler = (
  event: APIGatewayProxyEventV2WithJWTAuthorizer,
  context: Context,
) => Promise<APIGatewayProxyResultV2>;

/** The handler of each Lambda entry point named in the route table. */
export type FunctionHandlers = { api: HttpHandler } & Partial<Record<RouteFunction, HttpHandler>>;

/** Verifies a bearer token and returns its claims; throws when the token is not acceptable. */
export interface TokenVerifier {
  verifyToken(token: string): Promise<Record<string, unknown>>;
}

export interface LocalRouteRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** Lowercase names, repeated headers joined with `,`. */
  headers: Record<string, string>;
  body: Buffer;
}

export interface LocalRouteResponse {
  statusCode: number;
  headers?: Record<string, string>;
  body?: string;
}

/** A route that exists only in local mode (`/_local/*`); served directly, no authorizer. */
export interface LocalRoute {
  method: RouteDefinition['method'];
  path: string;
  handle(request: LocalRouteRequest): Promise<LocalRouteResponse>;
}

export interface LocalHttpAdapterOptions {
  handlers: FunctionHandlers;
  auth: TokenVerifier;
  /** @default ROUTES */
  routes?: readonly RouteDefinition[];
  /** Local-only routes, matched before the route table. */
  localRoutes?: readonly LocalRoute[];
  /** Larger request bodies get 413. @default 1 MiB */
  maxBodyBytes?: number;
  /** API Gateway's integration timeout: a slower handler gets 503. @default 30000 */
  integrationTimeoutMs?: number;
  /** Where crashes are reported (with stack). @default console.error */
  logError?: (message: string, error: unknown) => void;
  /**
   * Browser origins allowed by CORS (`*`: any), answered as the cloud stage's API Gateway
   * `corsPreflight` does with the same settings (infra/cors.ts). Empty or unset: no CORS.
   */
  corsOrigins?: readonly string[];
}

const PROBLEM_TYPE_BASE = 'https://cpor-claims.example/problems/';
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * API Gateway HTTP APIs deliver a request body as text only for these media types; every
 * other type, including `application/x-www-form-urlencoded` and a missing content type, is
 * base64-encoded with `isBase64Encoded: true` (measured against AWS, see
 * https://github.com/ministackorg/ministack/pull/766).
 */
const TEXT_MEDIA_TYPES = new Set(['application/json', 'application/xml', 'application/javascript']);

/**
 * API Gateway hands JWT claims to the integration as strings: numbers and booleans are
 * stringified and an array becomes its items joined by spaces in brackets, e.g.
 * `["Reviewer","Partner.GlobalAdmin"]` → `"[Reviewer Partner.GlobalAdmin]"` (reported from
 * real HTTP APIs in https://github.com/aws-solutions-library-samples/guidance-for-claude-code-with-amazon-bedrock/pull/803
 * and mirrored by emulators, e.g. https://github.com/floci-io/floci/pull/2011). Object
 * claims are rendered as JSON here; their cloud rendering is unverified, and this API uses none.
 */
export function flattenClaims(claims: Record<string, unknown>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(claims)) {
    if (value === undefined || value === null) continue;
    flat[name] = renderClaim(value);
  }
  return flat;
}

function renderClaim(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(renderClaim).join(' ')}]`;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Scopes as API Gateway reads them: the space-separated `scope` claim, or an `scp` array. */
function scopesOf(claims: Record<string, unknown>): string[] | null {
  if (typeof claims.scope === 'string') return claims.scope.split(' ').filter(Boolean);
  if (Array.isArray(claims.scp)) return claims.scp.map(String);
  return null;
}

type Target = { kind: 'api'; route: RouteDefinition } | { kind: 'local'; route: LocalRoute };

interface CompiledRoute {
  target: Target;
  method: string;
  segments: string[];
  /** More literal segments win, as in API Gateway (`/claims/search` over `/claims/{id}`). */
  literals: number;
}

type RouteMatch =
  | { kind: 'found'; target: Target; pathParameters: Record<string, string> }
  | { kind: 'methodNotAllowed'; allow: string[] }
  | { kind: 'notFound' }
  | { kind: 'badPath' };

function compile(target: Target): CompiledRoute {
  const segments = target.route.path.split('/').slice(1);
  return {
    target,
    method: target.route.method,
    segments,
    literals: segments.filter((s) => !isParameter(s)).length,
  };
}

function isParameter(segment: string): boolean {
  return segment.startsWith('{') && segment.endsWith('}');
}

/** Matches a raw (still percent-encoded) path against the compiled routes. */
function matchRoute(compiled: readonly CompiledRoute[], method: string, rawPath: string): RouteMatch {
  const parts = rawPath.split('/').slice(1);
  let best: { route: CompiledRoute; params: Record<string, string> } | undefined;
  const allow = new Set<string>();
  for (const candidate of compiled) {
    if (candidate.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let matches = true;
    for (const [i, segment] of candidate.segments.entries()) {
      const part = parts[i] ?? '';
      if (isParameter(segment)) {
        if (part === '') {
          matches = false;
          break;
        }
        try {
          params[segment.slice(1, -1)] = decodeURIComponent(part);
        } catch {
          return { kind: 'badPath' };
        }
      } else if (segment !== part) {
        matches = false;
        break;
      }
    }
    if (!matches) continue;
    allow.add(candidate.method);
    if (candidate.method === method && (!best || candidate.literals > best.route.literals)) {
      best = { route: candidate, params };
    }
  }
  if (best) return { kind: 'found', target: best.route.target, pathParameters: best.params };
  if (allow.size > 0) return { kind: 'methodNotAllowed', allow: [...allow].sort() };
  return { kind: 'notFound' };
}

/** Builds the server; call `listen` yourself or use `startLocalHttpServer`. */
export function createLocalHttpServer(options: LocalHttpAdapterOptions): Server {
  const compiled = [
    ...(options.localRoutes ?? []).map((route) => compile({ kind: 'local', route })),
    ...(options.routes ?? ROUTES).map((route) => compile({ kind: 'api', route })),
  ];
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const integrationTimeoutMs = options.integrationTimeoutMs ?? 30_000;
  const logError = options.logError ?? ((message, error) => console.error(message, error));
  const cors = corsPolicy(options.corsOrigins ?? [], [
    ...(options.routes ?? ROUTES).map((r) => r.method),
    ...(options.localRoutes ?? []).map((r) => r.method),
  ]);

  return createServer((req, res) => {
    const requestId = `${randomBytes(11).toString('base64').slice(0, 15)}=`;
    res.setHeader('apigw-requestid', requestId);
    // On every answer, the adapter's own problems included (the handlers set it too).
    res.setHeader('x-content-type-options', 'nosniff');
    if (cors?.answer(req, res) === 'preflight') return;
    handle(req, res, requestId).catch((error: unknown) => {
      logError(`[local-api] ${req.method} ${req.url} (${requestId}) failed:`, error);
      if (!res.headersSent) {
        sendProblem(
          res,
          500,
          'internal-error',
          'Internal Server Error',
          'The server failed to handle the request.',
        );
      } else {
        res.destroy();
      }
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const url = req.url ?? '/';
    if (!url.startsWith('/')) {
      return sendProblem(
        res,
        400,
        'bad-request',
        'Bad Request',
        'The request target must be an absolute path.',
      );
    }
    const queryAt = url.indexOf('?');
    const rawPath = queryAt === -1 ? url : url.slice(0, queryAt);
    const rawQueryString = queryAt === -1 ? '' : url.slice(queryAt + 1);
    const method = (req.method ?? 'GET').toUpperCase();

    const match = matchRoute(compiled, method, rawPath);
    if (match.kind === 'badPath') {
      return sendProblem(res, 400, 'bad-request', 'Bad Request', 'The path is not validly percent-encoded.');
    }
    if (match.kind === 'notFound') {
      return sendProblem(res, 404, 'not-found', 'Not Found', `No route serves ${rawPath}.`);
    }
    if (match.kind === 'methodNotAllowed') {
      res.setHeader('allow', match.allow.join(', '));
      return sendProblem(
        res,
        405,
        'method-not-allowed',
        'Method Not Allowed',
        `${rawPath} does not accept ${method}; it accepts ${match.allow.join(', ')}.`,
      );
    }

    const body = await readBody(req, maxBodyBytes);
    if (body === 'tooLarge') {
      res.setHeader('connection', 'close');
      return sendProblem(
        res,
        413,
        'payload-too-large',
        'Payload Too Large',
        `The request body must be at most ${maxBodyBytes} bytes.`,
      );
    }
    const headers = headersOf(req);

    if (match.target.kind === 'local') {
      const result = await match.target.route.handle({
        method,
        path: rawPath,
        query: new URLSearchParams(rawQueryString),
        headers,
        body,
      });
      res.writeHead(result.statusCode, result.headers);
      res.end(result.body);
      return;
    }

    const route = match.target.route;
    let authorizer: APIGatewayEventRequestContextJWTAuthorizer | undefined;
    if (route.auth === 'jwt') {
      const claims = await authorize(headers.authorization);
      if (!claims) {
        // The cloud authorizer answers 401 with its own body `{"message":"Unauthorized"}`.
        res.setHeader('www-authenticate', 'Bearer');
        return sendProblem(res, 401, 'unauthorized', 'Unauthorized', 'A valid bearer token is required.');
      }
      authorizer = { jwt: { claims: flattenClaims(claims), scopes: scopesOf(claims) } };
    }

    const handler = options.handlers[route.function];
    if (!handler) throw new Error(`No handler for the Lambda function '${route.function}'.`);

    const event = buildEvent({
      req,
      route,
      rawPath,
      rawQueryString,
      headers,
      body,
      pathParameters: match.pathParameters,
      requestId,
      authorizer,
    });
    const deadline = Date.now() + integrationTimeoutMs;
    const context = lambdaContext(`cpor-local-${route.function}`, deadline);

    let timer: NodeJS.Timeout | undefined;
    const invocation = Promise.resolve().then(() => handler(event, context));
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), integrationTimeoutMs);
    });
    let result: APIGatewayProxyResultV2 | 'timeout';
    try {
      result = await Promise.race([invocation, timedOut]);
    } finally {
      clearTimeout(timer);
    }
    if (result === 'timeout') {
      invocation.catch((error: unknown) => logError(`[local-api] late failure of ${requestId}:`, error));
      // The cloud answers 503 `{"message":"Service Unavailable"}` after its integration timeout.
      return sendProblem(
        res,
        503,
        'service-unavailable',
        'Service Unavailable',
        `The handler did not answer within ${integrationTimeoutMs} ms.`,
      );
    }
    writeResult(res, result, cors !== undefined);
  }

  async function authorize(header: string | undefined): Promise<Record<string, unknown> | undefined> {
    const match = /^Bearer +([^\s]+)\s*$/i.exec(header ?? '');
    if (!match?.[1]) return undefined;
    try {
      return await options.auth.verifyToken(match[1]);
    } catch {
      return undefined;
    }
  }
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'tooLarge'> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    // Drain what the client still sends, so it gets to read the 413 instead of a reset.
    req.resume();
    return 'tooLarge';
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      req.resume();
      return 'tooLarge';
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Lowercase header names, repeated headers joined with `,` (payload 2.0); cookies go apart. */
function headersOf(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    if (name === 'cookie' || values === undefined) continue;
    headers[name] = values.join(',');
  }
  return headers;
}

function isTextMediaType(contentType: string | undefined): boolean {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return mediaType.startsWith('text/') || TEXT_MEDIA_TYPES.has(mediaType);
}

interface EventInput {
  req: IncomingMessage;
  route: RouteDefinition;
  rawPath: string;
  rawQueryString: string;
  headers: Record<string, string>;
  body: Buffer;
  pathParameters: Record<string, string>;
  requestId: string;
  authorizer: APIGatewayEventRequestContextJWTAuthorizer | undefined;
}

/** An API Gateway HTTP API payload format 2.0 event, as the `$default` stage sends it. */
function buildEvent(input: EventInput): APIGatewayProxyEventV2WithJWTAuthorizer {
  const { req, rawPath, rawQueryString, body } = input;
  const now = new Date();
  const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  const host = input.headers.host ?? 'localhost';
  const domainName = host.replace(/:\d+$/, '');
  const headers: Record<string, string> = {
    ...input.headers,
    'x-forwarded-for': input.headers['x-forwarded-for']
      ? `${input.headers['x-forwarded-for']},${sourceIp}`
      : sourceIp,
    'x-forwarded-port': String(req.socket.localPort ?? ''),
    'x-forwarded-proto': 'http',
    'x-amzn-trace-id': `Root=1-${Math.floor(now.getTime() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`,
  };
  const query = new URLSearchParams(rawQueryString);
  const queryStringParameters: Record<string, string> = {};
  for (const name of new Set(query.keys())) queryStringParameters[name] = query.getAll(name).join(',');
  const cookies = (req.headersDistinct.cookie ?? [])
    .flatMap((line) => line.split(';'))
    .map((cookie) => cookie.trim())
    .filter(Boolean);
  const text = isTextMediaType(input.headers['content-type']);
  const key = routeKey(input.route);

  const event = {
    version: '2.0',
    routeKey: key,
    rawPath,
    rawQueryString,
    ...(cookies.length > 0 && { cookies }),
    headers,
    ...(Object.keys(queryStringParameters).length > 0 && { queryStringParameters }),
    ...(Object.keys(input.pathParameters).length > 0 && { pathParameters: input.pathParameters }),
    ...(body.length > 0 && { body: text ? body.toString('utf8') : body.toString('base64') }),
    isBase64Encoded: body.length > 0 && !text,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method: (req.method ?? 'GET').toUpperCase(),
        path: rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp,
        userAgent: input.headers['user-agent'] ?? '',
      },
      requestId: input.requestId,
      routeKey: key,
      stage: '$default',
      time: apiGatewayTime(now),
      timeEpoch: now.getTime(),
      ...(input.authorizer && { authorizer: input.authorizer }),
    },
  };
  // Public routes carry no `authorizer`, as in the cloud; the handler type shared by all
  // routes declares it, so handlers of public routes must not read it.
  return event as APIGatewayProxyEventV2WithJWTAuthorizer;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `12/Mar/2020:19:03:58 +0000`, the format of `requestContext.time`. */
function apiGatewayTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

/** A Lambda `Context` for a local invocation that must finish by `deadline` (epoch ms). */
export function lambdaContext(functionName: string, deadline: number): Context {
  const awsRequestId = randomUUID();
  const unsupported = () => {
    throw new Error('Callback-style completion is not supported; return a promise.');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${awsRequestId.replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

/**
 * Writes a payload 2.0 result. As API Gateway does, a string or an object without
 * `statusCode` is a 200 JSON body; a malformed result is a 500.
 */
function writeResult(res: ServerResponse, result: APIGatewayProxyResultV2, corsConfigured: boolean): void {
  if (
    typeof result === 'string' ||
    typeof result !== 'object' ||
    result === null ||
    !('statusCode' in result)
  ) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(typeof result === 'string' ? result : JSON.stringify(result));
    return;
  }
  const status = result.statusCode;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
    throw new Error(`The handler returned an invalid statusCode: ${String(status)}.`);
  }
  for (const [name, value] of Object.entries(result.headers ?? {})) {
    // With CORS configured, API Gateway ignores the integration's own CORS headers.
    if (corsConfigured && /^access-control-/i.test(name)) continue;
    res.setHeader(name, String(value));
  }
  if (result.cookies && result.cookies.length > 0) {
    const existing = res.getHeader('set-cookie');
    const previous = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
    res.setHeader('set-cookie', [...previous, ...result.cookies]);
  }
  const body =
    result.body === undefined
      ? undefined
      : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  res.statusCode = status;
  res.end(body);
}

interface CorsPolicy {
  /**
   * Adds the CORS headers of an allowed origin to the response (every response, the
   * adapter's own refusals too) and answers a preflight by itself.
   */
  answer(req: IncomingMessage, res: ServerResponse): 'preflight' | 'request';
}

/**
 * CORS as API Gateway HTTP APIs do it: headers only for a request with an allowed `Origin`;
 * a preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) is answered 204
 * by the gateway whatever the routes, its CORS headers only for an allowed origin.
 */
function corsPolicy(
  origins: readonly string[],
  methods: readonly RouteDefinition['method'][],
): CorsPolicy | undefined {
  if (origins.length === 0) return undefined;
  const anyOrigin = origins.includes('*');
  const allowed = new Set(origins);
  const allowMethods = corsAllowMethods(methods).join(',');
  return {
    answer(req, res) {
      const origin = req.headers.origin;
      const preflight =
        req.method === 'OPTIONS' &&
        origin !== undefined &&
        req.headers['access-control-request-method'] !== undefined;
      if (origin !== undefined && (anyOrigin || allowed.has(origin))) {
        res.setHeader('access-control-allow-origin', anyOrigin ? '*' : origin);
        if (!anyOrigin) res.setHeader('vary', 'origin');
        if (preflight) {
          res.setHeader('access-control-allow-methods', allowMethods);
          res.setHeader('access-control-allow-headers', CORS_ALLOW_HEADERS.join(','));
          res.setHeader('access-control-max-age', String(CORS_DEFAULT_MAX_AGE_SECONDS));
        } else {
          res.setHeader('access-control-expose-headers', CORS_EXPOSE_HEADERS.join(','));
        }
      }
      if (!preflight) return 'request';
      req.resume();
      res.writeHead(204);
      res.end();
      return 'preflight';
    },
  };
}

/** An RFC 9457 problem with the same `type` base as the service's own problems. */
export function problemBody(status: number, slug: string, title: string, detail: string): string {
  return JSON.stringify({ type: `${PROBLEM_TYPE_BASE}${slug}`, title, status, detail });
}

function sendProblem(res: ServerResponse, status: number, slug: string, title: string, detail: string): void {
  res.writeHead(status, { 'content-type': 'application/problem+json' });
  res.end(problemBody(status, slug, title, detail));
}

export interface RunningHttpServer {
  server: Server;
  /** `http://127.0.0.1:<port>` (or the given host). */
  url: string;
  port: number;
  /**
   * Stops accepting, ends idle keep-alive connections and waits for requests in flight;
   * connections still open after `graceMs` (default 5000) are cut.
   */
  close(graceMs?: number): Promise<void>;
}

/** Creates the server and listens on `port` (0: the OS picks one). */
export async function startLocalHttpServer(
  options: LocalHttpAdapterOptions & { port?: number; host?: string },
): Promise<RunningHttpServer> {
  const server = createLocalHttpServer(options);
  const host = options.host ?? '127.0.0.1';
  server.listen(options.port ?? 0, host);
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([error]) => {
      throw error;
    }),
  ]);
  const { port } = server.address() as AddressInfo;
  const displayHost =
    host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return {
    server,
    port,
    url: `http://${displayHost}:${port}`,
    close: (graceMs = 5000) =>
      new Promise<void>((resolve, reject) => {
        const cut = setTimeout(() => server.closeAllConnections(), graceMs);
        server.close((error) => {
          clearTimeout(cut);
          if (error) reject(error);
          else resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
