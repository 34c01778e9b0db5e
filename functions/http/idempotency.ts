/**
 * `Idempotency-Key` on POST routes, with Powertools idempotency on DynamoDB: a retry with the
 * same key returns the first response; the key is scoped to the caller (another partner's
 * identical key is another request); the same key with a different body is a 422.
 *
 * Powertools serves the common retry. It cannot serve a retry whose first attempt died after
 * committing and before its record was completed (the in-progress record then expires and the
 * retry runs again), nor one after the record's retention: creates therefore also derive the
 * new claim's id from the key (`idFromScope`), so such a retry meets the claim it made before.
 */
import { createHash } from 'node:crypto';
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyValidationError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Context } from 'aws-lambda';
import { IdempotencyKeyReusedError } from '../domain/errors.js';
import { canonicalJson } from '../domain/history.js';
import type { ApiEvent, ApiResult } from './api-event.js';
import { HttpProblemError, validationProblem } from './problem.js';

/** How long a key is remembered: long enough for any client retry policy. */
const KEY_RETENTION_SECONDS = 24 * 3600;
const KEY_FORMAT = /^[\x21-\x7e]{1,128}$/;

/** What makes two requests "the same" under `Idempotency-Key`. */
export interface IdempotencyScope {
  /**
   * Caller (partner id, user), route, path and the client's key, as a JSON array: each
   * component is encoded on its own, so no two different tuples give the same scope (joined
   * with `/`, partner `X/y` with user `z` and partner `X` with user `y/z` were one scope).
   */
  scope: string;
  /**
   * SHA-256 of the body in canonical form (parsed, keys sorted, no insignificant whitespace):
   * the same JSON sent with other spacing or key order is the same request.
   */
  fingerprint: string;
}

/** The request's idempotency scope, or `undefined` without the header; a malformed key is a 400. */
export function idempotencyScopeOf(event: ApiEvent): IdempotencyScope | undefined {
  const idempotencyKey = event.headers?.['idempotency-key'];
  if (idempotencyKey === undefined) return undefined;
  if (!KEY_FORMAT.test(idempotencyKey)) {
    throw validationProblem([
      { field: 'Idempotency-Key', reason: 'must be 1 to 128 visible ASCII characters' },
    ]);
  }
  const claims = event.requestContext.authorizer?.jwt?.claims ?? {};
  const caller = [claims.partnerId ?? null, claims.sub ?? null].map((v) => (v === null ? null : String(v)));
  return {
    scope: JSON.stringify([...caller, event.routeKey, event.rawPath, idempotencyKey]),
    fingerprint: bodyFingerprint(event),
  };
}

function bodyFingerprint(event: ApiEvent): string {
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  let canonical: string;
  try {
    canonical = text.trim() === '' ? '' : `json:${canonicalJson(JSON.parse(text))}`;
  } catch {
    canonical = `raw:${text}`;
  }
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * The id of what a keyed request makes (a create's claim, a comment's history event): a UUID
 * (version 8, RFC 9562) from the SHA-256 of the scope, so a retry of the request, however late
 * and whatever happened to its first response, names the same thing.
 */
export function idFromScope(scope: IdempotencyScope, made: 'claim' | 'comment'): string {
  const bytes = createHash('sha256').update(`cpor-claims/${made}-id\n`).update(scope.scope).digest();
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x80;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

interface IdempotentRequest {
  /** What identifies "the same request" (the scope's JSON array). */
  key: string;
  /** The body's hash: the same key with a different body is refused. */
  fingerprint: string;
  event: ApiEvent;
}

export function makeIdempotentOperation(
  operation: (event: ApiEvent) => Promise<ApiResult>,
  persistenceStore: BasePersistenceLayer,
): (event: ApiEvent, context: Context) => Promise<ApiResult> {
  const config = new IdempotencyConfig({
    eventKeyJmesPath: 'key',
    payloadValidationJmesPath: 'fingerprint',
    expiresAfterSeconds: KEY_RETENTION_SECONDS,
    throwOnNoIdempotencyKey: true,
  });
  const idempotent = makeIdempotent(async (request: IdempotentRequest) => operation(request.event), {
    persistenceStore,
    config,
  });
  return async (event, context) => {
    const scope = idempotencyScopeOf(event);
    if (scope === undefined) return operation(event);
    config.registerLambdaContext(context);
    try {
      return await idempotent({ key: scope.scope, fingerprint: scope.fingerprint, event });
    } catch (error) {
      if (error instanceof IdempotencyValidationError) throw new IdempotencyKeyReusedError();
      if (error instanceof IdempotencyAlreadyInProgressError) {
        throw HttpProblemError.of(
          'conflict',
          'A request with this Idempotency-Key is still in progress; retry shortly.',
          { code: 'idempotencyKeyInProgress', headers: { 'retry-after': '1' } },
        );
      }
      throw error;
    }
  };
}
