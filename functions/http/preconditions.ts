/**
 * `If-Match` (RFC 9110 §13.1.1): the claim's version is its strong ETag (`"7"`). The header is
 * `*` or a list of entity tags; it matches when any listed tag matches by strong comparison,
 * so a weak tag (`W/"7"`) never matches and a well-formed tag this API never issued
 * (`"abc"`) simply doesn't match (412). Only a malformed header is a 400.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { Precondition } from '../use-cases/transitions.js';
import { validationProblem } from './problem.js';

/** One list element: optional `W/`, then a quoted opaque tag of `etagc` (visible ASCII except `"`, or obs-text). */
const ENTITY_TAG = /^(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"$/;
/** The opaque tags this API issues: a version in decimal, without leading zeros. */
const VERSION_TAG = /^(?:0|[1-9]\d{0,14})$/;

/**
 * The precondition `If-Match` expresses: absent or `*` adds none (beyond the claim existing);
 * otherwise the versions its strong tags name (possibly none, which nothing matches).
 */
export function preconditionOf(event: Pick<APIGatewayProxyEventV2, 'headers'>): Precondition {
  const header = event.headers?.['if-match']?.trim();
  if (header === undefined || header === '') return {};
  if (header === '*') return {};
  const tags = entityTags(header);
  if (!tags) {
    throw validationProblem([
      {
        field: 'If-Match',
        reason: 'must be * or a comma-separated list of entity tags such as "3" (the ETag of the claim)',
      },
    ]);
  }
  const versions = tags
    .filter((tag) => !tag.weak && VERSION_TAG.test(tag.opaque))
    .map((tag) => Number(tag.opaque));
  return { ifMatch: versions };
}

/** The entity tags of a list (empty elements ignored, RFC 9110 §5.6.1), or `undefined` if malformed. */
function entityTags(list: string): { weak: boolean; opaque: string }[] | undefined {
  const tags: { weak: boolean; opaque: string }[] = [];
  // A quoted tag may itself hold commas, so the list is read tag by tag, not split on commas.
  const element = /\s*((?:W\/)?"[^"]*")?\s*(,|$)/y;
  let at = 0;
  while (at < list.length) {
    element.lastIndex = at;
    const match = element.exec(list);
    if (!match || match[0] === '') return undefined;
    if (match[1] !== undefined) {
      const tag = ENTITY_TAG.exec(match[1]);
      if (!tag) return undefined;
      tags.push({ weak: tag[1] !== undefined, opaque: tag[2] ?? '' });
    }
    at = element.lastIndex;
  }
  return tags.length > 0 ? tags : undefined;
}
