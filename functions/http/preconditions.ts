/** `If-Match` handling: the claim's version is its strong ETag (`"7"`). */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { Precondition } from '../use-cases/transitions.js';
import { validationProblem } from './problem.js';

const ETAG = /^(?:W\/)?"(\d{1,15})"$/;

/**
 * The version named by `If-Match`, if any. `*` (any current representation) adds no
 * constraint beyond the claim existing. A malformed value is a 400, not a silent ignore.
 */
export function preconditionOf(event: Pick<APIGatewayProxyEventV2, 'headers'>): Precondition {
  const header = event.headers?.['if-match']?.trim();
  if (!header || header === '*') return {};
  const match = ETAG.exec(header);
  if (!match?.[1]) {
    throw validationProblem([
      { field: 'If-Match', reason: 'must be one entity tag such as "3" (the ETag of the claim)' },
    ]);
  }
  return { ifMatchVersion: Number(match[1]) };
}
