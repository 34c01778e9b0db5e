/**
 * The local API Gateway: a `node:http` server built from the shared route table that turns
 * each request into an HTTP API payload 2.0 event (`api-gateway-event.ts`), does what the JWT
 * authorizer does, invokes the route's Lambda handler in process and writes its structured
 * result back. Routes are matched as API Gateway does (`route-matching.ts`).
 *
 * Faithful where handlers can tell the difference (event shape, claim flattening, body
 * encoding); the adapter's own refusals (401, 404, 405, 413, 500, 503) are problem+json where
 * the cloud answers `{"message": "…"}`, so local clients get one error format.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  APIGatewayEventRequestContextJWTAuthorizer,
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyResultV2,
  Context,
} from 'aws-lambda';
import { PROBLEM_TYPE_BASE } from '../../functions/http/problem.js';
import { ROUTES, type RouteDefinition, type RouteFunction } from '../../functions/http/routes.js';
import { buildEvent, headersOf, jwtAuthorizerContext } from './api-gateway-event.js';
import { corsPolicy } from './cors-policy.js';
import { lambdaContext } from './lambda-context.js';
import { compileRoute, matchRoute } from './route-matching.js';

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

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

type Target = { kind: 'api'; route: RouteDefinition } | { kind: 'local'; route: LocalRoute };

/** Builds the server; call `listen` yourself or use `startLocalHttpServer`. */
export function createLocalHttpServer(options: LocalHttpAdapterOptions): Server {
  const compiled = [
    ...(options.localRoutes ?? []).map((route) => compileRoute<Target>({ kind: 'local', route }, route)),
    ...(options.routes ?? ROUTES).map((route) => compileRoute<Target>({ kind: 'api', route }, route)),
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
      authorizer = jwtAuthorizerContext(claims);
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
