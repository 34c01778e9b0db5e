/**
 * Who a caller is, from the roles its token carries, and the conflict-of-interest rule
 * between the reviewer and partner roles. Pure: the HTTP layer passes the verified claims.
 */
import { type Actor, type Claim, PARTNER_ROLES, ROLES, type Role } from './claim.js';
import { ActionForbiddenError } from './errors.js';

/** A caller of the API: a partner user or a reviewer (customers and timers come other ways). */
export type CallerActor = Extract<Actor, { kind: 'partner' } | { kind: 'reviewer' }>;

/**
 * The actor of a verified token. `Reviewer` wins over partner roles (a reviewer sees every
 * claim), but a reviewer who also holds a partner role keeps that partner as `ownPartnerId`,
 * so `assertMayDecide` can keep them from deciding their own partner's claims.
 *
 * @throws ActionForbiddenError without a known role, or for a partner role without `partnerId`.
 */
export function callerActor(
  token: { sub: string; roles: readonly string[]; partnerId: unknown },
  /** The token claims the roles and partner id came from, named in refusals. */
  source: { partnerIdClaim: string; roleClaims: readonly string[] } = {
    partnerIdClaim: 'partnerId',
    roleClaims: ['roles'],
  },
): CallerActor {
  const roles = token.roles.filter((r): r is Role => (ROLES as readonly string[]).includes(r));
  const isPartner = roles.some((r) => (PARTNER_ROLES as readonly string[]).includes(r));
  const partnerId =
    typeof token.partnerId === 'string' && token.partnerId !== '' ? token.partnerId : undefined;
  if (roles.includes('Reviewer')) {
    return { kind: 'reviewer', sub: token.sub, ...(isPartner && partnerId && { ownPartnerId: partnerId }) };
  }
  if (isPartner) {
    if (!partnerId) {
      throw new ActionForbiddenError(
        `A partner token must carry exactly one partner id in the claim "${source.partnerIdClaim}"; this one does not. Ask your administrator to assign your partner id.`,
      );
    }
    return { kind: 'partner', sub: token.sub, partnerId };
  }
  throw new ActionForbiddenError(
    `The token carries none of the roles this API knows (${ROLES.join(', ')}) in ${source.roleClaims.map((c) => `"${c}"`).join(', ')}.`,
  );
}

/**
 * Who may do what besides the lifecycle actions (whose actor each `ACTION_RULES` entry names):
 * the API's other role rules, in one place.
 */
const ACTOR_RULES = {
  createClaim: { actors: ['partner'], refusal: 'Only partner users may do this.' },
  addDocument: { actors: ['partner'], refusal: 'Only the partner may add documents.' },
  comment: { actors: ['partner', 'reviewer'], refusal: 'Only partners and reviewers may comment.' },
} as const satisfies Record<string, { actors: readonly Actor['kind'][]; refusal: string }>;

/** A role rule of `ACTOR_RULES`. */
export type ActorRule = keyof typeof ACTOR_RULES;

/**
 * Narrows `actor` to the kinds `rule` allows.
 *
 * @throws ActionForbiddenError for any other actor.
 */
export function assertActorMay<R extends ActorRule>(
  actor: Actor,
  rule: R,
): asserts actor is Extract<Actor, { kind: (typeof ACTOR_RULES)[R]['actors'][number] }> {
  const { actors, refusal } = ACTOR_RULES[rule];
  if (!(actors as readonly Actor['kind'][]).includes(actor.kind)) throw new ActionForbiddenError(refusal);
}

/**
 * A reviewer may not decide (start the review, request information, approve, reject, resolve
 * a dispute, take an assignment) a claim of the partner they also work for.
 *
 * @throws ActionForbiddenError for such a reviewer.
 */
export function assertMayDecide(actor: Actor, claim: Pick<Claim, 'partnerId'>): void {
  if (
    actor.kind === 'reviewer' &&
    actor.ownPartnerId !== undefined &&
    actor.ownPartnerId === claim.partnerId
  ) {
    throw new ActionForbiddenError(
      `Reviewer ${actor.sub} also works for partner ${claim.partnerId} and may not decide its claims.`,
    );
  }
}
