/**
 * The claim operations of the route table. Each is thin: who is calling, parse and validate,
 * one use case, map the result to JSON with the claim's ETag.
 */
import type { Claim } from '../domain/claim.js';
import { type HistoryEvent, verifyHistoryChain } from '../domain/history.js';
import type { ClaimAction } from '../domain/lifecycle.js';
import type { DocumentStore } from '../domain/ports.js';
import { type ClaimsDeps, createNewClaim, getVisibleClaim, listVisibleClaims } from '../use-cases/claims.js';
import { addComment, readHistory } from '../use-cases/conversation.js';
import { disputeClaim } from '../use-cases/dispute.js';
import { submitClaim } from '../use-cases/submit.js';
import { transitionClaim } from '../use-cases/transitions.js';
import type { ApiEvent, ApiResult } from './api-handler.js';
import { actorOf, type CallerActor, requirePartner } from './auth.js';
import {
  addCommentSchema,
  claimDraftSchema,
  claimPatchSchema,
  commentOnlySchema,
  disputeSchema,
  listClaimsQuerySchema,
  rejectSchema,
  requestInfoSchema,
  resolveDisputeSchema,
} from './claim.schema.js';
import type { CursorCodec } from './cursor.js';
import { preconditionOf } from './preconditions.js';
import { parseBody, parseQuery, pathParameter } from './request.js';
import { etagOf, json } from './responses.js';

export type Operation = (event: ApiEvent) => Promise<ApiResult>;

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

  return {
    createClaim: async (event) => {
      const actor = requirePartner(actorOf(event));
      const { claim } = await createNewClaim(deps, actor, parseBody(event, claimDraftSchema));
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
      const actor = actorOf(event);
      const events = await readHistory(deps, actor, pathParameter(event, 'id'));
      return json(200, { items: events.filter((e) => e.type === 'comment').map(commentItem) });
    },

    getHistory: async (event) => {
      const actor = actorOf(event);
      const events = await readHistory(deps, actor, pathParameter(event, 'id'));
      // Items go out as hashed (claimId included) so a client can re-verify the chain itself;
      // `verification` is the service's own check over the stored events.
      return json(200, {
        items: events.map((e) => historyView(e, actor)),
        verification: verifyHistoryChain(events),
      });
    },
  } satisfies Record<string, Operation>;
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
