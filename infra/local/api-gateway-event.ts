/**
 * What API Gateway hands a Lambda for an HTTP API request: the payload format 2.0 event, with
 * the JWT authorizer's claims as the integration sees them.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type {
  APIGatewayEventRequestContextJWTAuthorizer,
  APIGatewayProxyEventV2WithJWTAuthorizer,
} from 'aws-lambda';
import { type RouteDefinition, routeKey } from '../../functions/http/routes.js';

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

/** The `authorizer` of a request whose token carried `claims`, as the JWT authorizer sets it. */
export function jwtAuthorizerContext(
  claims: Record<string, unknown>,
): APIGatewayEventRequestContextJWTAuthorizer {
  return { jwt: { claims: flattenClaims(claims), scopes: scopesOf(claims) } };
}

/** Lowercase header names, repeated headers joined with `,` (payload 2.0); cookies go apart. */
export function headersOf(req: IncomingMessage): Record<string, string> {
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

export interface EventInput {
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
export function buildEvent(input: EventInput): APIGatewayProxyEventV2WithJWTAuthorizer {
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
