/**
 * RFC 9457 problem details: the one place errors become HTTP responses. Domain errors map
 * by their kind; anything unexpected becomes a generic 500 without internals.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ZodError } from 'zod';
import { DocumentNotAvailableError, DocumentTooLargeError } from '../domain/document.js';
import {
  ClaimRuleViolationError,
  ClaimStatusConflictError,
  DeadlinePassedError,
  DomainError,
  InvalidClaimInputError,
} from '../domain/errors.js';
import { DocumentLimitError, VersionConflictError } from '../domain/ports.js';
import { IdempotencyKeyReusedError } from '../use-cases/claims.js';
import { PreconditionFailedError } from '../use-cases/transitions.js';
import { API_RESPONSE_HEADERS } from './responses.js';

export interface FieldError {
  /** Dotted path of the offending field, e.g. `customer.contact.email`, or a query/header name. */
  field: string;
  reason: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/** Where each problem `type` lives: the base of every problem type URI, the local adapter's too. */
export const PROBLEM_TYPE_BASE = 'https://cpor-claims.example/problems/';

/** An error that already knows its HTTP shape. Thrown by handlers, auth and validation. */
export class HttpProblemError extends Error {
  override readonly name = 'HttpProblemError';
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    detail: string,
    readonly extensions: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

export const unauthorized = (detail = 'A valid bearer token is required.') =>
  new HttpProblemError(401, 'unauthorized', 'Unauthorized', detail, {}, { 'www-authenticate': 'Bearer' });
export const forbidden = (detail: string) => new HttpProblemError(403, 'forbidden', 'Forbidden', detail);
export const notFound = (detail = 'No such resource.') =>
  new HttpProblemError(404, 'not-found', 'Not Found', detail);
export const preconditionFailed = (detail: string) =>
  new HttpProblemError(412, 'precondition-failed', 'Precondition Failed', detail);

/** 422: an `Idempotency-Key` sent again with another request body. */
export const idempotencyKeyReused = () =>
  new HttpProblemError(
    422,
    'idempotency-key-reused',
    'Unprocessable Content',
    'This Idempotency-Key was already used with a different request body.',
  );

/**
 * DynamoDB's throttling errors, as the SDK names them once its own retries are spent (a
 * transaction reports throttling of one of its items as a cancellation reason instead).
 */
const THROTTLING_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
]);
/** Seconds a throttled caller is asked to wait: DynamoDB's capacity adapts within seconds. */
const THROTTLED_RETRY_AFTER_SECONDS = 2;

/** Whether `error`, or an error it wraps (e.g. Powertools' persistence errors), is DynamoDB throttling. */
function isThrottling(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > 5) return false;
  if (THROTTLING_ERRORS.has(error.name)) return true;
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
  if (error.name === 'TransactionCanceledException' && reasons?.some((r) => r.Code === 'ThrottlingError'))
    return true;
  return isThrottling(error.cause, depth + 1);
}

/** 400 with every offending field listed. */
export function validationProblem(
  errors: FieldError[],
  detail = 'The request is not valid.',
): HttpProblemError {
  return new HttpProblemError(400, 'validation', 'Bad Request', detail, { errors });
}

/** Zod issues → field errors, with `prefix` naming where the value came from (body, query…). */
export function fieldErrorsFromZod(error: ZodError, prefix = ''): FieldError[] {
  return error.issues.map((issue) => {
    const path = [...(prefix ? [prefix] : []), ...issue.path.map(String)];
    const unknownKeys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    if (unknownKeys.length > 0) {
      return {
        field: [...path, ...unknownKeys].join('.') || '(body)',
        reason: `unknown field${unknownKeys.length > 1 ? 's' : ''}: ${unknownKeys.join(', ')}`,
      };
    }
    return { field: path.join('.') || '(body)', reason: issue.message };
  });
}

/** Builds the problem for any thrown value. Unknown errors never leak their message. */
export function problemFor(error: unknown): { problem: Problem; headers: Record<string, string> } {
  const make = (
    status: number,
    slug: string,
    title: string,
    detail: string,
    ext: Record<string, unknown> = {},
  ) => ({
    problem: { type: `${PROBLEM_TYPE_BASE}${slug}`, title, status, detail, ...ext },
    headers: {},
  });
  if (error instanceof HttpProblemError) {
    return {
      ...make(error.status, error.slug, error.title, error.message, error.extensions),
      headers: error.headers,
    };
  }
  if (error instanceof ZodError) {
    return make(400, 'validation', 'Bad Request', 'The request is not valid.', {
      errors: fieldErrorsFromZod(error),
    });
  }
  if (error instanceof PreconditionFailedError) {
    return make(412, 'precondition-failed', 'Precondition Failed', error.message, {
      currentVersion: error.currentVersion,
    });
  }
  if (error instanceof VersionConflictError) {
    return make(
      409,
      'concurrent-modification',
      'Conflict',
      error.currentStatus === undefined
        ? 'The claim was changed by another request; read it again and retry.'
        : `The claim was changed by another request; it is now '${error.currentStatus}': read it again and retry.`,
      error.currentStatus === undefined ? {} : { claimStatus: error.currentStatus },
    );
  }
  if (error instanceof IdempotencyKeyReusedError) return problemFor(idempotencyKeyReused());
  if (isThrottling(error)) {
    return {
      ...make(
        503,
        'service-unavailable',
        'Service Unavailable',
        'The service is over its capacity right now; retry after the time in Retry-After.',
      ),
      headers: { 'retry-after': String(THROTTLED_RETRY_AFTER_SECONDS) },
    };
  }
  if (error instanceof ClaimStatusConflictError) {
    return make(409, 'status-conflict', 'Conflict', error.message, {
      claimStatus: error.status,
      action: error.action,
    });
  }
  if (error instanceof ClaimRuleViolationError) {
    return make(
      409,
      error.rule.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`),
      'Conflict',
      error.message,
      {
        claimStatus: error.status,
        // Which deadline ended the right to act, and when (the detail says it in words).
        ...(error instanceof DeadlinePassedError && { deadline: error.deadline, dueAt: error.dueAt }),
      },
    );
  }
  if (error instanceof InvalidClaimInputError) {
    return make(400, 'validation', 'Bad Request', error.message, {
      errors: [{ field: error.field, reason: error.message }],
    });
  }
  if (error instanceof DocumentTooLargeError) {
    return make(413, 'document-too-large', 'Content Too Large', error.message, {
      maxBytes: error.maxBytes,
      errors: [{ field: 'size', reason: `must be at most ${error.maxBytes} bytes` }],
    });
  }
  if (error instanceof DocumentLimitError) {
    return make(409, 'document-limit-reached', 'Conflict', error.message, {
      limit: error.limit,
      errors: [{ field: 'documents', reason: `the claim already holds ${error.limit} documents` }],
    });
  }
  if (error instanceof DocumentNotAvailableError) {
    return make(409, 'document-not-available', 'Conflict', error.message, {
      documentStatus: error.documentStatus,
    });
  }
  if (error instanceof DomainError) {
    const byKind = {
      conflict: [409, 'conflict', 'Conflict'],
      forbidden: [403, 'forbidden', 'Forbidden'],
      notFound: [404, 'not-found', 'Not Found'],
      invalid: [400, 'validation', 'Bad Request'],
      gone: [410, 'gone', 'Gone'],
    } as const;
    const [status, slug, title] = byKind[error.kind];
    const ext =
      'status' in error && 'fields' in error ? { claimStatus: error.status, fields: error.fields } : {};
    return make(status, slug, title, error.message, ext);
  }
  return make(500, 'internal', 'Internal Server Error', 'Something went wrong on our side. Try again later.');
}

export function problemResponse(error: unknown): APIGatewayProxyStructuredResultV2 {
  const { problem, headers } = problemFor(error);
  return {
    statusCode: problem.status,
    headers: { 'content-type': 'application/problem+json', ...API_RESPONSE_HEADERS, ...headers },
    body: JSON.stringify(problem),
  };
}
