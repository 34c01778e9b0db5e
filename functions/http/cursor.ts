/**
 * Tamper-proof pagination cursors: the store's position, bound to the query it belongs to
 * (caller's partner scope and filters) and signed with HMAC-SHA256. A cursor edited,
 * forged, or replayed against another query or partner is refused with 400.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { HistoryPosition, ListPosition } from '../domain/ports/claim-store.js';
import { validationProblem } from './problem.js';

/** The positions cursors carry: a list page's (per index partition) or a history page's. */
type Position = ListPosition | HistoryPosition;

export interface CursorCodec {
  /** `scope` names the query (route, caller scope, filters): the cursor is valid for it only. */
  encode<P extends Position>(position: P, scope: unknown): string;
  decode<P extends Position = ListPosition>(cursor: string, scope: unknown): P;
}

export function createCursorCodec(secret: string): CursorCodec {
  if (secret.length < 32) throw new Error('The cursor secret must be at least 32 characters.');
  const sign = (payload: string, scope: unknown) =>
    createHmac('sha256', secret).update(JSON.stringify(scope)).update('\n').update(payload).digest();
  const invalid = () => validationProblem([{ field: 'cursor', reason: 'is not a cursor this query issued' }]);
  return {
    encode(position, scope) {
      const payload = Buffer.from(JSON.stringify(position)).toString('base64url');
      return `${payload}.${sign(payload, scope).toString('base64url')}`;
    },
    decode<P extends Position>(cursor: string, scope: unknown): P {
      const [payload, signature, ...rest] = cursor.split('.');
      if (!payload || !signature || rest.length > 0) throw invalid();
      const expected = sign(payload, scope);
      const given = Buffer.from(signature, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
      try {
        return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as P;
      } catch {
        throw invalid();
      }
    },
  };
}
