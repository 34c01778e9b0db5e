/** Reading an API Gateway v2 request: body, query and path, validated with zod into problem+json errors. */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { z } from 'zod';
import { fieldErrorsFromZod, HttpProblemError, notFound, validationProblem } from './problem.js';

/** Request bodies beyond this are refused before parsing (API Gateway allows up to 10 MB). */
export const MAX_BODY_BYTES = 64 * 1024;
/** Deeper JSON than this is refused: no legitimate body of this API nests that far. */
const MAX_JSON_DEPTH = 20;

const JSON_MEDIA_TYPES = ['application/json', 'application/merge-patch+json'];

export function parseBody<S extends z.ZodType>(event: APIGatewayProxyEventV2, schema: S): z.output<S> {
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) {
    throw HttpProblemError.of('payloadTooLarge', `The body must be at most ${MAX_BODY_BYTES} bytes.`);
  }
  const mediaType = (event.headers?.['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (text.length > 0 && mediaType && !JSON_MEDIA_TYPES.includes(mediaType)) {
    throw HttpProblemError.of('unsupportedMediaType', 'Send the body as application/json.');
  }
  let value: unknown;
  try {
    value = text.length === 0 ? {} : JSON.parse(text);
  } catch {
    throw validationProblem([{ field: '(body)', reason: 'is not valid JSON' }]);
  }
  if (depthOf(value) > MAX_JSON_DEPTH) {
    throw validationProblem([{ field: '(body)', reason: `nests deeper than ${MAX_JSON_DEPTH} levels` }]);
  }
  return validate(schema, value, '');
}

export function parseQuery<S extends z.ZodType>(event: APIGatewayProxyEventV2, schema: S): z.output<S> {
  return validate(schema, { ...(event.queryStringParameters ?? {}) }, '');
}

/** Longer ids name nothing this API issued (ids are UUIDs), and would break DynamoDB's key size limit. */
const MAX_PATH_PARAMETER_LENGTH = 256;

export function pathParameter(event: APIGatewayProxyEventV2, name: string): string {
  const value = event.pathParameters?.[name];
  if (!value) throw validationProblem([{ field: name, reason: 'is required' }]);
  if (value.length > MAX_PATH_PARAMETER_LENGTH) throw notFound();
  return value;
}

function validate<S extends z.ZodType>(schema: S, value: unknown, prefix: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationProblem(fieldErrorsFromZod(result.error, prefix));
  return result.data;
}

function depthOf(value: unknown, depth = 0): number {
  if (depth > MAX_JSON_DEPTH || value === null || typeof value !== 'object') return depth;
  let max = depth + 1;
  for (const child of Object.values(value)) max = Math.max(max, depthOf(child, depth + 1));
  return max;
}
