/**
 * `Idempotency-Key` on POST routes, with Powertools idempotency on DynamoDB: a retry with the
 * same key returns the first response; the key is scoped to the caller (another partner's
 * identical key is another request); the same key with a different body is a 422.
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
import type { ApiEvent, ApiResult } from './api-handler.js';
import { HttpProblemError, validationProblem } from './problem.js';

/** How long a key is remembered: long enough for any client retry policy. */
const KEY_RETENTION_SECONDS = 24 * 3600;
const KEY_FORMAT = /^[\x21-\x7e]{1,128}$/;

interface IdempotentRequest {
  /** What identifies "the same request": caller, route, path and the client's key. */
  key: { caller: string; route: string; path: string; idempotencyKey: string };
  /** The body's hash: the same key with a different body is refused. */
  fingerprint: string;
  event: ApiEvent;
}

/** The caller identity the key is scoped to; the JWT was verified before the handler ran. */
function callerOf(event: ApiEvent): string {
  const claims = event.requestContext.authorizer?.jwt?.claims ?? {};
  return `${String(claims.partnerId ?? '-')}/${String(claims.sub ?? '-')}`;
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
    const idempotencyKey = event.headers?.['idempotency-key'];
    if (idempotencyKey === undefined) return operation(event);
    if (!KEY_FORMAT.test(idempotencyKey)) {
      throw validationProblem([
        { field: 'Idempotency-Key', reason: 'must be 1 to 128 visible ASCII characters' },
      ]);
    }
    config.registerLambdaContext(context);
    const request: IdempotentRequest = {
      key: { caller: callerOf(event), route: event.routeKey, path: event.rawPath, idempotencyKey },
      fingerprint: createHash('sha256')
        .update(event.body ?? '')
        .digest('hex'),
      event,
    };
    try {
      return await idempotent(request);
    } catch (error) {
      if (error instanceof IdempotencyValidationError) {
        throw new HttpProblemError(
          422,
          'idempotency-key-reused',
          'Unprocessable Content',
          'This Idempotency-Key was already used with a different request body.',
        );
      }
      if (error instanceof IdempotencyAlreadyInProgressError) {
        throw new HttpProblemError(
          409,
          'idempotency-key-in-progress',
          'Conflict',
          'A request with this Idempotency-Key is still in progress; retry shortly.',
          {},
          { 'retry-after': '1' },
        );
      }
      throw error;
    }
  };
}
