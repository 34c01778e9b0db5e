/**
 * The claim operations of the route table. Each is thin: who is calling, parse and validate,
 * one use case, map the result to JSON with the claim's ETag.
 */
import { assertActorMay } from '../domain/actors.js';
import type { Claim } from '../domain/claim.js';
import { type HistoryEvent, verifyHistoryChain } from '../domain/history.js';
import type { ClaimAction } from '../domain/lifecycle.js';
import type { DocumentStore, HistoryPosition } from '../domain/ports.js';
import { type ClaimsDeps, createNewClaim, getVisibleClaim, listVisibleClaims } from '../use-cases/claims.js';
import { addComment, readHistoryPage } from '../use-cases/conversation.js';
import { disputeClaim } from '../use-cases/dispute.js';
import { submitClaim } from '../use-cases/submit.js';
import { transitionClaim } from '../use-cases/transitions.js';
import type { ApiEvent, ApiResult } from './api-handler.js';
import { actorOf, type CallerActor } from './auth.js';
import {
  addCommentSchema,
  claimDraftSchema,
  claimPatchSchema,
  commentOnlySchema,
  disputeSchema,
  historyPageQuerySchema,
  listClaimsQuerySchema,
  rejectSchema,
  requestInfoSchema,
  resolveDisputeSchema,
} from './claim.schema.js';
import type { CursorCodec } from './cursor.js';
import { claimIdFor, idempotencyScopeOf } from './idempotency.js';
import { preconditionOf } from './preconditions.js';
import { parseBody, parseQuery, pathParameter } from './request.js';
import { etagOf, json } from './responses.js';

export type Operation = (event: ApiEvent) => Promise<ApiResult>;

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
  const { createdBy: _createdBy, conflictingClaimIds, ...resource } = claim;
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

export function claimOperations(deps: ClaimsDeps & { cursors: CursorCodec; documents: DocumentStore }) {
  /** A lifecycle action from a request: who, which claim, which version they saw, what they ask. */
  const act =
    (toAction: (event: ApiEvent) => ClaimAction): Operation =>
    async (event) => {
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
    };

  /** One page of a claim's history or comments, oldest first, within `MAX_PAGE_BYTES`. */
  const historyPageOf = async (event: ApiEvent, kind: 'history' | 'comments') => {
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
  };

  return {
    createClaim: async (event) => {
      const actor = actorOf(event);
      assertActorMay(actor, 'createClaim');
      const draft = parseBody(event, claimDraftSchema);
      // With an Idempotency-Key the claim's id follows from the key, so a retry finds its claim
      // even when the first attempt's response (and Powertools' record of it) was lost.
      const scope = idempotencyScopeOf(event);
      const request = scope && { id: claimIdFor(scope), hash: scope.fingerprint };
      const { claim } = await createNewClaim(deps, actor, draft, request);
      return claimResponse(201, claim, actor, { location: `/v1/claims/${claim.id}` });
    },

    getClaim: async (event) => {
      const actor = actorOf(event);
      const { claim } = await getVisibleClaim(deps, actor, pathParameter(event, 'id'));
      return claimResponse(200, claim, actor);
    },

    listClaims: async (event) => {
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

    updateClaim: act((event) => ({ type: 'edit', patch: parseBody(event, claimPatchSchema) })),

    submitClaim: async (event) => {
      const actor = actorOf(event);
      parseBody(event, commentOnlySchema);
      const { claim } = await submitClaim(deps, actor, pathParameter(event, 'id'), preconditionOf(event));
      return claimResponse(200, claim, actor);
    },

    withdrawClaim: act((event) => {
      const { comment } = parseBody(event, commentOnlySchema);
      return { type: 'withdraw', ...(comment && { comment }) };
    }),

    startReview: act((event) => {
      parseBody(event, commentOnlySchema);
      return { type: 'startReview' };
    }),

    requestInfo: act((event) => ({ type: 'requestInfo', ...parseBody(event, requestInfoSchema) })),

    approveClaim: act((event) => {
      const { comment } = parseBody(event, commentOnlySchema);
      return { type: 'approve', ...(comment && { comment }) };
    }),

    rejectClaim: act((event) => ({ type: 'reject', ...parseBody(event, rejectSchema) })),

    disputeClaim: async (event) => {
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

    resolveDispute: act((event) => ({ type: 'resolveDispute', ...parseBody(event, resolveDisputeSchema) })),

    addComment: async (event) => {
      const actor = actorOf(event);
      const { text } = parseBody(event, addCommentSchema);
      const comment = await addComment(deps, actor, pathParameter(event, 'id'), text, preconditionOf(event));
      return json(201, commentItem(comment));
    },

    listComments: async (event) => {
      const { page, nextCursor } = await historyPageOf(event, 'comments');
      return json(200, { items: page.map(commentItem), nextCursor });
    },

    getHistory: async (event) => {
      const { actor, after, page, nextCursor } = await historyPageOf(event, 'history');
      // Items go out as hashed (claimId included) so a client can re-verify the chain itself;
      // `verification` is the service's own check of this page, linked to the previous page's
      // last event through the (signed) cursor.
      return json(200, {
        items: page.map((e) => historyView(e, actor)),
        nextCursor,
        verification: verifyHistoryChain(page, after),
      });
    },
  } satisfies Record<string, Operation>;
}

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
