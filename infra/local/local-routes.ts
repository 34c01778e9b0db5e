/** The routes that exist only in local mode (`/_local/*`, api.md "Local mode only"). */
import { decodeJwt } from 'jose';
import type { ZodError } from 'zod';
import type { LocalRoute, LocalRouteResponse } from './http-adapter.js';
import { problemBody } from './http-adapter.js';
import { type LocalAuth, tokenRequestSchema } from './local-auth.js';

function json(statusCode: number, value: unknown): LocalRouteResponse {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) };
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
      let body: unknown;
      try {
        body = JSON.parse(request.body.toString('utf8') || 'null');
      } catch {
        return badRequest('The body is not valid JSON.', [{ field: '(body)', reason: 'is not valid JSON' }]);
      }
      const parsed = tokenRequestSchema.safeParse(body);
      if (!parsed.success) return badRequest('The token request is not valid.', fieldErrors(parsed.error));
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
