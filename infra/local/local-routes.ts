/** The routes that exist only in local mode (`/_local/*`, api.md "Local mode only"). */
import { decodeJwt } from 'jose';
import { type ZodError, z } from 'zod';
import type { LocalRoute, LocalRouteRequest, LocalRouteResponse } from './http-adapter.js';
import { problemBody } from './http-adapter.js';
import { type LocalAuth, tokenRequestSchema } from './local-auth.js';

export function json(statusCode: number, value: unknown): LocalRouteResponse {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) };
}

/** A 503 problem: the local service cannot do this now, and `detail` says why. */
export function unavailable(detail: string): LocalRouteResponse {
  return {
    statusCode: 503,
    headers: { 'content-type': 'application/problem+json' },
    body: problemBody(503, 'service-unavailable', 'Service Unavailable', detail),
  };
}

/**
 * `GET /health` in local mode: the API's `{ "status": "ok" }` plus the state of what runs
 * beside it (outbox relay, timers); `degraded` with the reason, and 503, when one of them
 * fails, so a script or `curl -f` notices a stalled lifecycle.
 */
export function healthRoute(health: () => { status: 'ok' | 'degraded' }): LocalRoute {
  return {
    method: 'GET',
    path: '/health',
    async handle() {
      const current = health();
      return json(current.status === 'ok' ? 200 : 503, current);
    },
  };
}

function badRequest(detail: string, errors: { field: string; reason: string }[] = []): LocalRouteResponse {
  const problem = JSON.parse(problemBody(400, 'validation-error', 'Bad Request', detail)) as Record<
    string,
    unknown
  >;
  return {
    statusCode: 400,
    headers: { 'content-type': 'application/problem+json' },
    body: JSON.stringify({ ...problem, ...(errors.length > 0 && { errors }) }),
  };
}

/** `POST /_local/token` body `{ sub, partnerId?, roles }` → `{ token, expiresAt }`. */
export function tokenRoute(auth: LocalAuth): LocalRoute {
  return {
    method: 'POST',
    path: '/_local/token',
    async handle(request) {
      const parsed = parseBody(request, tokenRequestSchema, 'The token request is not valid.', 'null');
      if ('response' in parsed) return parsed.response;
      const token = await auth.issueToken(parsed.data);
      const { exp } = decodeJwt(token);
      const expiresAt = new Date((exp ?? 0) * 1000).toISOString();
      return json(200, { token, tokenType: 'Bearer', expiresAt });
    },
  };
}

/**
 * `GET /_local/clock` → `{ now }`, the time the service sees. `POST /_local/clock` (advance)
 * is added with the local timer runner, since advancing must fire the timers that fall due.
 */
export function clockRoute(now: () => Date): LocalRoute {
  return {
    method: 'GET',
    path: '/_local/clock',
    async handle() {
      return json(200, { now: now().toISOString() });
    },
  };
}

const clockAdvanceSchema = z
  .strictObject({
    advanceDays: z.number().min(0).max(3650).optional(),
    advanceHours: z
      .number()
      .min(0)
      .max(3650 * 24)
      .optional(),
  })
  .refine((b) => (b.advanceDays ?? 0) + (b.advanceHours ?? 0) > 0, {
    message: 'move the clock forward by a positive number of days and/or hours',
    path: ['advanceDays'],
  });

/**
 * `POST /_local/clock` body `{ advanceDays?, advanceHours? }`: moves the virtual clock; `advance`
 * returns only after the timers that fell due have fired (api.md "Local mode only").
 */
export function clockAdvanceRoute(
  advance: (ms: number) => Promise<Record<string, unknown>>,
  onFailure: (error: unknown) => LocalRouteResponse,
): LocalRoute {
  return {
    method: 'POST',
    path: '/_local/clock',
    async handle(request) {
      const parsed = parseBody(
        request,
        clockAdvanceSchema,
        'Send { "advanceDays": n } and/or { "advanceHours": n }.',
        '{}',
      );
      if ('response' in parsed) return parsed.response;
      const { advanceDays = 0, advanceHours = 0 } = parsed.data;
      try {
        return json(200, await advance((advanceDays * 24 + advanceHours) * 3600_000));
      } catch (error) {
        return onFailure(error);
      }
    },
  };
}

/** A local route's JSON body, validated; or the 400 problem that says what is wrong. */
function parseBody<S extends z.ZodType>(
  request: LocalRouteRequest,
  schema: S,
  detail: string,
  empty: string,
): { data: z.output<S> } | { response: LocalRouteResponse } {
  let body: unknown;
  try {
    body = JSON.parse(request.body.toString('utf8') || empty);
  } catch {
    return {
      response: badRequest('The body is not valid JSON.', [{ field: '(body)', reason: 'is not valid JSON' }]),
    };
  }
  const parsed = schema.safeParse(body);
  return parsed.success ? { data: parsed.data } : { response: badRequest(detail, fieldErrors(parsed.error)) };
}

function fieldErrors(error: ZodError): { field: string; reason: string }[] {
  return error.issues.flatMap((issue) => {
    const prefix = issue.path.map(String).join('.');
    // Each unknown field is named, as the API's own validation does.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        field: prefix ? `${prefix}.${key}` : key,
        reason: 'is not a known field',
      }));
    }
    return [{ field: prefix || '(body)', reason: issue.message }];
  });
}
