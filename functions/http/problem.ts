/**
 * RFC 9457 problem details: the one place errors become HTTP responses. Domain errors map
 * by their kind; anything unexpected becomes a generic 500 without internals.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ZodError } from 'zod';
import { DomainError, type DomainErrorKind } from '../domain/errors.js';
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

/**
 * The one table from an error's kind to its HTTP shape: status, problem type (the slug after
 * `PROBLEM_TYPE_BASE`) and title. Domain errors carry a `DomainErrorKind`; the rest are the
 * HTTP layer's own refusals. A domain error's `code` (e.g. a lifecycle rule) names a more
 * particular type within its kind.
 */
const PROBLEM_KINDS = {
  invalid: { status: 400, type: 'validation', title: 'Bad Request' },
  unauthorized: { status: 401, type: 'unauthorized', title: 'Unauthorized' },
  forbidden: { status: 403, type: 'forbidden', title: 'Forbidden' },
  notFound: { status: 404, type: 'not-found', title: 'Not Found' },
  conflict: { status: 409, type: 'conflict', title: 'Conflict' },
  preconditionFailed: { status: 412, type: 'precondition-failed', title: 'Precondition Failed' },
  payloadTooLarge: { status: 413, type: 'payload-too-large', title: 'Payload Too Large' },
  documentTooLarge: { status: 413, type: 'document-too-large', title: 'Content Too Large' },
  unsupportedMediaType: { status: 415, type: 'unsupported-media-type', title: 'Unsupported Media Type' },
  idempotencyKeyReused: { status: 422, type: 'idempotency-key-reused', title: 'Unprocessable Content' },
  internal: { status: 500, type: 'internal', title: 'Internal Server Error' },
  unavailable: { status: 503, type: 'service-unavailable', title: 'Service Unavailable' },
} as const satisfies Record<DomainErrorKind, unknown> &
  Record<string, { status: number; type: string; title: string }>;

export type ProblemKind = keyof typeof PROBLEM_KINDS;

/** Every problem the API can answer, for the OpenAPI document's problem type list. */
export const PROBLEM_TABLE: Readonly<Record<ProblemKind, { status: number; type: string; title: string }>> =
  PROBLEM_KINDS;

/** `disputeWindowClosed` → `dispute-window-closed`: a domain error's `code` as a problem type. */
const typeOfCode = (code: string) => code.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

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

  /** The problem of `kind` from the table; `code` names a more particular type. */
  static of(
    kind: ProblemKind,
    detail: string,
    options: { code?: string; extensions?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ): HttpProblemError {
    const { status, type, title } = PROBLEM_KINDS[kind];
    const slug = options.code ? typeOfCode(options.code) : type;
    return new HttpProblemError(status, slug, title, detail, options.extensions, options.headers);
  }
}

export const unauthorized = (detail = 'A valid bearer token is required.') =>
  HttpProblemError.of('unauthorized', detail, { headers: { 'www-authenticate': 'Bearer' } });
export const notFound = (detail = 'No such resource.') => HttpProblemError.of('notFound', detail);

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
  return HttpProblemError.of('invalid', detail, { extensions: { errors } });
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

/** The HTTP shape of any thrown value. Unknown errors never leak their message. */
function asProblemError(error: unknown): HttpProblemError {
  if (error instanceof HttpProblemError) return error;
  if (error instanceof ZodError) {
    return validationProblem(fieldErrorsFromZod(error));
  }
  if (error instanceof DomainError) {
    return HttpProblemError.of(error.kind, error.message, {
      ...(error.code && { code: error.code }),
      extensions: error.facts,
    });
  }
  if (isThrottling(error)) {
    return HttpProblemError.of(
      'unavailable',
      'The service is over its capacity right now; retry after the time in Retry-After.',
      { headers: { 'retry-after': String(THROTTLED_RETRY_AFTER_SECONDS) } },
    );
  }
  return HttpProblemError.of('internal', 'Something went wrong on our side. Try again later.');
}

/** Builds the problem for any thrown value. Unknown errors never leak their message. */
export function problemFor(error: unknown): { problem: Problem; headers: Record<string, string> } {
  const { status, slug, title, message, extensions, headers } = asProblemError(error);
  return {
    problem: { type: `${PROBLEM_TYPE_BASE}${slug}`, title, status, detail: message, ...extensions },
    headers,
  };
}

export function problemResponse(error: unknown): APIGatewayProxyStructuredResultV2 {
  const { problem, headers } = problemFor(error);
  return {
    statusCode: problem.status,
    headers: { 'content-type': 'application/problem+json', ...API_RESPONSE_HEADERS, ...headers },
    body: JSON.stringify(problem),
  };
}
