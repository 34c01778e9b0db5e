import type { ClaimStatus, DeadlineKind } from './claim.js';

/**
 * Typed domain errors. Handlers map them to HTTP in one place (`functions/http/problem.ts`);
 * the domain never knows about status codes.
 */
export abstract class DomainError extends Error {
  abstract readonly kind: 'conflict' | 'forbidden' | 'notFound' | 'invalid' | 'gone';
}

/** The action is not allowed in the claim's current status. */
export class ClaimStatusConflictError extends DomainError {
  override readonly name = 'ClaimStatusConflictError';
  readonly kind = 'conflict';
  constructor(
    readonly status: ClaimStatus,
    readonly action: string,
    detail?: string,
  ) {
    super(detail ?? `Action '${action}' is not allowed while the claim is '${status}'.`);
  }
}

/** A field may not be edited in the claim's current status. */
export class FieldNotEditableError extends DomainError {
  override readonly name = 'FieldNotEditableError';
  readonly kind = 'conflict';
  constructor(
    readonly status: ClaimStatus,
    readonly fields: readonly string[],
  ) {
    super(
      `Field${fields.length > 1 ? 's' : ''} ${fields.map((f) => `'${f}'`).join(', ')} cannot be edited while the claim is '${status}'.`,
    );
  }
}

/** A rule of the lifecycle refuses the action although the status would allow the action in general. */
export class ClaimRuleViolationError extends DomainError {
  override readonly name: string = 'ClaimRuleViolationError';
  readonly kind = 'conflict';
  constructor(
    readonly status: ClaimStatus,
    readonly rule:
      | 'noAvailableDocument'
      | 'disputeWindowClosed'
      | 'rejectionNotDisputable'
      | 'rejectionFinal'
      | 'consentWindowClosed'
      | 'partnerResponseWindowClosed'
      | 'documentLimitReached',
    message: string,
  ) {
    super(message);
  }
}

/**
 * A deadline that ends an actor's right to act has passed, whether or not its timer has fired
 * yet: the action is refused at the deadline itself, so a late timer never widens a window.
 */
export class DeadlinePassedError extends ClaimRuleViolationError {
  override readonly name = 'DeadlinePassedError';
  constructor(
    status: ClaimStatus,
    override readonly rule: 'disputeWindowClosed' | 'consentWindowClosed' | 'partnerResponseWindowClosed',
    /** Which deadline ended the right to act. */
    readonly deadline: DeadlineKind,
    /** When it passed (ISO 8601). */
    readonly dueAt: string,
    message: string,
  ) {
    super(status, rule, message);
  }
}

/** The actor's role may not perform this action at all. */
export class ActionForbiddenError extends DomainError {
  override readonly name = 'ActionForbiddenError';
  readonly kind = 'forbidden';
}

/** The input is well-formed but violates a domain rule about its content. */
export class InvalidClaimInputError extends DomainError {
  override readonly name = 'InvalidClaimInputError';
  readonly kind = 'invalid';
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(reason);
  }
}

/** No such claim, or one the actor may not see (the two are indistinguishable by design). */
export class ClaimNotFoundError extends DomainError {
  override readonly name = 'ClaimNotFoundError';
  readonly kind = 'notFound';
  constructor(readonly claimId: string) {
    super(`Claim ${claimId} was not found.`);
  }
}
