/**
 * The claim routes: one record each (method, path, contract, operation). Operations are thin:
 * who is calling, parse and validate, one use case, map the result to JSON with the claim's
 * ETag.
 */

import { z } from 'zod';
import { assertActorMay } from '../domain/actors.js';
import type { Claim } from '../domain/claim.js';
import { type HistoryEvent, verifyHistoryChain } from '../domain/history.js';
import type { ClaimAction } from '../domain/lifecycle.js';
import type { HistoryPosition, KeyedRequest } from '../domain/ports/claim-store.js';
import { createNewClaim, getVisibleClaim, listVisibleClaims } from '../use-cases/claims.js';
import { addComment, readHistoryPage } from '../use-cases/conversation.js';
import { disputeClaim } from '../use-cases/dispute.js';
import { submitClaim } from '../use-cases/submit.js';
import { transitionClaim } from '../use-cases/transitions.js';
import type { ApiEvent, ApiResult } from './api-event.js';
import type { ApiRoute, ApiRouteDeps } from './api-route.js';
import { actorOf, type CallerActor } from './auth.js';
import {
  addCommentSchema,
  CLAIM_DRAFT_EXAMPLE,
  claimDraftSchema,
  claimPatchSchema,
  claimViewSchema,
  commentOnlySchema,
  commentSchema,
  disputeSchema,
  historyEventSchema,
  historyPageQuerySchema,
  historyVerificationSchema,
  listClaimsQuerySchema,
  pageCursorSchema,
  rejectSchema,
  requestInfoSchema,
  resolveDisputeSchema,
} from './claim.schema.js';
import { type IdempotencyScope, idempotencyScopeOf, idFromScope } from './idempotency.js';
import { preconditionOf } from './preconditions.js';
import { parseBody, parseQuery, pathParameter } from './request.js';
import { etagOf, json } from './responses.js';

/**
 * A page's items stop before their JSON passes this many bytes, whatever `limit` asks: Lambda
 * refuses responses over 6 MB, and 500 of the longest comments would pass it.
 */
export const MAX_PAGE_BYTES = 4 * 1024 * 1024;

/**
 * The claim as this actor may see it: reviewers get the ids of competing claims, partners
 * only learn that a conflict exists (other partners' claims are never revealed).
 */
export function claimResource(claim: Claim, actor: CallerActor) {
  const { createdBy: _createdBy, timerVersions: _timerVersions, conflictingClaimIds, ...resource } = claim;
  const conflicts = conflictingClaimIds ?? [];
  return {
    ...resource,
    conflict:
      actor.kind === 'reviewer'
        ? { exists: conflicts.length > 0, claimIds: conflicts }
        : { exists: conflicts.length > 0 },
  };
}

/**
 * A history event as this actor may see it. The ids of other partners' competing claims are
 * recorded in the (hashed) submit event for reviewers; a partner sees only whether a conflict
 * exists, and the item says it was redacted, since its hash covers what the partner cannot see.
 */
export function historyView(event: HistoryEvent, actor: CallerActor): HistoryEvent & { redacted?: true } {
  if (actor.kind === 'reviewer' || !event.changes?.some((c) => c.field === 'conflictingClaimIds'))
    return event;
  const exists = (ids: unknown) => Array.isArray(ids) && ids.length > 0;
  return {
    ...event,
    changes: event.changes.map((c) =>
      c.field === 'conflictingClaimIds'
        ? { field: 'conflict.exists', from: exists(c.from), to: exists(c.to) }
        : c,
    ),
    redacted: true,
  };
}

const claimResponse = (
  status: number,
  claim: Claim,
  actor: CallerActor,
  headers: Record<string, string> = {},
) => json(status, claimResource(claim, actor), { etag: etagOf(claim.version), ...headers });

/** The claim with its ETag: the success of every route that answers a claim. */
const CLAIM_RESPONSE = { status: 200, schema: claimViewSchema, headers: ['ETag'] } as const;

/** A lifecycle action from a request: who, which claim, which version they saw, what they ask. */
async function act(
  deps: ApiRouteDeps,
  event: ApiEvent,
  toAction: (event: ApiEvent) => ClaimAction,
): Promise<ApiResult> {
  const actor = actorOf(event);
  const action = toAction(event);
  const { claim } = await transitionClaim(
    deps,
    actor,
    pathParameter(event, 'id'),
    action,
    preconditionOf(event),
  );
  return claimResponse(200, claim, actor);
}

/** An action whose body is an optional comment, recorded with it in the history. */
const withComment =
  (type: 'withdraw' | 'approve') =>
  (event: ApiEvent): ClaimAction => {
    const { comment } = parseBody(event, commentOnlySchema);
    return { type, ...(comment && { comment }) };
  };

/** A `POST /v1/claims/{id}/<verb>` route: If-Match and Idempotency-Key honoured, the claim answered. */
function claimAction(
  record: Pick<ApiRoute, 'path' | 'operationId' | 'summary' | 'body' | 'handle'>,
): ApiRoute {
  return {
    method: 'POST',
    auth: 'jwt',
    function: 'api',
    response: CLAIM_RESPONSE,
    ifMatch: true,
    idempotent: true,
    ...record,
  };
}

/** One page of a claim's history or comments, oldest first, within `MAX_PAGE_BYTES`. */
async function historyPageOf(deps: ApiRouteDeps, event: ApiEvent, kind: 'history' | 'comments') {
  const actor = actorOf(event);
  const claimId = pathParameter(event, 'id');
  const { limit, cursor } = parseQuery(event, historyPageQuerySchema);
  // A cursor is only valid for the claim, the kind of page and the partner scope it was issued for.
  const scope = { page: kind, claimId, partnerId: actor.kind === 'partner' ? actor.partnerId : null };
  const after = cursor ? deps.cursors.decode<HistoryPosition>(cursor, scope) : undefined;
  const read = await readHistoryPage(deps, actor, claimId, {
    limit,
    ...(after && { after }),
    ...(kind === 'comments' && { type: 'comment' as const }),
  });
  const page = withinBytes(read.events, (e) =>
    kind === 'comments' ? commentItem(e) : historyView(e, actor),
  );
  const last = page.at(-1);
  const more = read.more || page.length < read.events.length;
  return {
    actor,
    after,
    page,
    nextCursor: more && last ? deps.cursors.encode({ seq: last.seq, hash: last.hash }, scope) : null,
  };
}

export const CLAIM_ROUTES: readonly ApiRoute[] = [
  {
    method: 'POST',
    path: '/v1/claims',
    operationId: 'createClaim',
    auth: 'jwt',
    function: 'api',
    summary: 'Create a claim (status editing)',
    body: claimDraftSchema,
    bodyExample: CLAIM_DRAFT_EXAMPLE,
    response: { status: 201, schema: claimViewSchema, headers: ['ETag', 'Location'] },
    idempotent: true,
    handle: async (event, deps) => {
      const actor = actorOf(event);
      assertActorMay(actor, 'createClaim');
      const draft = parseBody(event, claimDraftSchema);
      // With an Idempotency-Key the claim's id follows from the key, so a retry finds its claim
      // even when the first attempt's response (and Powertools' record of it) was lost.
      const { claim } = await createNewClaim(deps, actor, draft, keyedRequest(event, 'claim'));
      return claimResponse(201, claim, actor, { location: `/v1/claims/${claim.id}` });
    },
  },
  {
    method: 'GET',
    path: '/v1/claims',
    operationId: 'listClaims',
    auth: 'jwt',
    function: 'api',
    summary: 'List claims, newest first (partners: their own; reviewers: all)',
    query: listClaimsQuerySchema,
    response: {
      status: 200,
      schema: z.object({ items: z.array(claimViewSchema), nextCursor: z.string().nullable() }),
    },
    handle: async (event, deps) => {
      const actor = actorOf(event);
      const { cursor, ...query } = parseQuery(event, listClaimsQuerySchema);
      // A cursor is only valid for the caller scope and filters it was issued for.
      const scope = {
        partnerId: actor.kind === 'partner' ? actor.partnerId : null,
        status: query.status ?? null,
        customerTenantId: query.customerTenantId ?? null,
        order: query.order,
      };
      const after = cursor ? deps.cursors.decode(cursor, scope) : undefined;
      const page = await listVisibleClaims(deps, actor, { ...query, ...(after && { after }) });
      return json(200, {
        items: page.items.map((claim) => claimResource(claim, actor)),
        nextCursor: page.next ? deps.cursors.encode(page.next, scope) : null,
      });
    },
  },
  {
    method: 'GET',
    path: '/v1/claims/{id}',
    operationId: 'getClaim',
    auth: 'jwt',
    function: 'api',
    summary: 'Read one claim',
    response: CLAIM_RESPONSE,
    handle: async (event, deps) => {
      const actor = actorOf(event);
      const { claim } = await getVisibleClaim(deps, actor, pathParameter(event, 'id'));
      return claimResponse(200, claim, actor);
    },
  },
  {
    method: 'PATCH',
    path: '/v1/claims/{id}',
    operationId: 'updateClaim',
    auth: 'jwt',
    function: 'api',
    summary: 'Edit the fields the current status allows (JSON merge patch)',
    body: claimPatchSchema,
    response: CLAIM_RESPONSE,
    ifMatch: true,
    handle: (event, deps) =>
      act(deps, event, (e) => ({ type: 'edit', patch: parseBody(e, claimPatchSchema) })),
  },
  claimAction({
    path: '/v1/claims/{id}/submit',
    operationId: 'submitClaim',
    summary: 'Submit (editing → submitted) or resubmit (partnerActionRequired → underReview)',
    body: commentOnlySchema,
    handle: async (event, deps) => {
      const actor = actorOf(event);
      parseBody(event, commentOnlySchema);
      const { claim } = await submitClaim(deps, actor, pathParameter(event, 'id'), preconditionOf(event));
      return claimResponse(200, claim, actor);
    },
  }),
  claimAction({
    path: '/v1/claims/{id}/withdraw',
    operationId: 'withdrawClaim',
    summary: 'Withdraw: the claim is rejected with reason partnerRequest',
    body: commentOnlySchema,
    handle: (event, deps) => act(deps, event, withComment('withdraw')),
  }),
  {
    method: 'POST',
    path: '/v1/claims/{id}/comments',
    operationId: 'addComment',
    auth: 'jwt',
    function: 'api',
    summary: 'Comment on a claim',
    body: addCommentSchema,
    response: { status: 201, schema: commentSchema },
    ifMatch: true,
    idempotent: true,
    handle: async (event, deps) => {
      const actor = actorOf(event);
      const { text } = parseBody(event, addCommentSchema);
      // Keyed, the comment's id follows from the key too: a retry after a lost answer finds it.
      const comment = await addComment(deps, actor, pathParameter(event, 'id'), text, {
        precondition: preconditionOf(event),
        request: keyedRequest(event, 'comment'),
      });
      return json(201, commentItem(comment));
    },
  },
  {
    method: 'GET',
    path: '/v1/claims/{id}/comments',
    operationId: 'listComments',
    auth: 'jwt',
    function: 'api',
    summary: 'Comments, oldest first',
    query: historyPageQuerySchema,
    response: {
      status: 200,
      schema: z.object({ items: z.array(commentSchema), nextCursor: pageCursorSchema }),
    },
    handle: async (event, deps) => {
      const { page, nextCursor } = await historyPageOf(deps, event, 'comments');
      return json(200, { items: page.map(commentItem), nextCursor });
    },
  },
  {
    method: 'GET',
    path: '/v1/claims/{id}/history',
    operationId: 'getHistory',
    auth: 'jwt',
    function: 'api',
    summary: 'Every change, comment and action, oldest first, hash-chained',
    query: historyPageQuerySchema,
    response: {
      status: 200,
      schema: z.object({
        items: z.array(historyEventSchema),
        nextCursor: pageCursorSchema,
        verification: historyVerificationSchema,
      }),
    },
    handle: async (event, deps) => {
      const { actor, after, page, nextCursor } = await historyPageOf(deps, event, 'history');
      // Items go out as hashed (claimId included) so a client can re-verify the chain itself;
      // `verification` is the service's own check of this page, linked to the previous page's
      // last event through the (signed) cursor.
      return json(200, {
        items: page.map((e) => historyView(e, actor)),
        nextCursor,
        verification: verifyHistoryChain(page, after),
      });
    },
  },
  claimAction({
    path: '/v1/claims/{id}/dispute',
    operationId: 'disputeClaim',
    summary: 'Dispute a rejection within 30 days',
    body: disputeSchema,
    handle: async (event, deps) => {
      const actor = actorOf(event);
      const { justification, documentIds } = parseBody(event, disputeSchema);
      // The use case checks that every cited document is an available one of this claim.
      const { claim } = await disputeClaim(
        deps,
        actor,
        pathParameter(event, 'id'),
        { ...(justification !== undefined && { justification }), documentIds: documentIds ?? [] },
        preconditionOf(event),
      );
      return claimResponse(200, claim, actor);
    },
  }),
  claimAction({
    path: '/v1/claims/{id}/start-review',
    operationId: 'startReview',
    summary: 'Reviewer: submitted → underReview',
    body: commentOnlySchema,
    handle: (event, deps) =>
      act(deps, event, (e) => {
        parseBody(e, commentOnlySchema);
        return { type: 'startReview' };
      }),
  }),
  claimAction({
    path: '/v1/claims/{id}/request-info',
    operationId: 'requestInfo',
    summary: 'Reviewer: ask the partner for more (underReview → partnerActionRequired)',
    body: requestInfoSchema,
    handle: (event, deps) =>
      act(deps, event, (e) => ({ type: 'requestInfo', ...parseBody(e, requestInfoSchema) })),
  }),
  claimAction({
    path: '/v1/claims/{id}/approve',
    operationId: 'approveClaim',
    summary: 'Reviewer: approve (consent window starts)',
    body: commentOnlySchema,
    handle: (event, deps) => act(deps, event, withComment('approve')),
  }),
  claimAction({
    path: '/v1/claims/{id}/reject',
    operationId: 'rejectClaim',
    summary: 'Reviewer: reject with a reason',
    body: rejectSchema,
    handle: (event, deps) => act(deps, event, (e) => ({ type: 'reject', ...parseBody(e, rejectSchema) })),
  }),
  claimAction({
    path: '/v1/claims/{id}/resolve-dispute',
    operationId: 'resolveDispute',
    summary: 'Reviewer: overturn or uphold a disputed rejection',
    body: resolveDisputeSchema,
    handle: (event, deps) =>
      act(deps, event, (e) => ({ type: 'resolveDispute', ...parseBody(e, resolveDisputeSchema) })),
  }),
];

/** The longest prefix of `events` whose items, as sent, fit in `MAX_PAGE_BYTES` (at least one). */
function withinBytes(events: HistoryEvent[], itemOf: (event: HistoryEvent) => unknown): HistoryEvent[] {
  let bytes = 0;
  for (const [index, event] of events.entries()) {
    bytes += Buffer.byteLength(JSON.stringify(itemOf(event))) + 1;
    if (bytes > MAX_PAGE_BYTES && index > 0) return events.slice(0, index);
  }
  return events;
}

function commentItem(event: HistoryEvent) {
  return {
    id: event.id,
    text: event.comment ?? '',
    author: event.actor,
    at: event.at,
    claimStatus: event.toStatus,
  };
}

/** The id and body hash of a request sent with an `Idempotency-Key`, or `undefined` without one. */
function keyedRequest(event: ApiEvent, made: Parameters<typeof idFromScope>[1]): KeyedRequest | undefined {
  const scope: IdempotencyScope | undefined = idempotencyScopeOf(event);
  return scope && { id: idFromScope(scope, made), hash: scope.fingerprint };
}
