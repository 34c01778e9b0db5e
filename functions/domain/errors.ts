import type { ClaimStatus, DeadlineKind } from './claim.js';

/**
 * Typed domain errors. Each carries its `kind`, and the HTTP layer maps a kind to a status,
 * problem type and title in one table (`functions/http/problem.ts`); the domain never knows
 * about status codes.
 */
export type DomainErrorKind =
  | 'invalid'
  | 'forbidden'
  | 'notFound'
  | 'conflict'
  | 'preconditionFailed'
  | 'documentTooLarge'
  | 'idempotencyKeyReused';

export abstract class DomainError extends Error {
  abstract readonly kind: DomainErrorKind;
  /**
   * The particular refusal within its kind, in camelCase (`statusConflict`, a lifecycle rule's
   * name…), when callers need to tell it apart from the kind's other refusals.
   */
  readonly code: string | undefined;

  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.code = options.code;
  }

  /** What a caller may act on (the claim's status, the fields at fault…), as plain JSON values. */
  get facts(): Record<string, unknown> {
    return {};
  }
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
    super(detail ?? `Action '${action}' is not allowed while the claim is '${status}'.`, {
      code: 'statusConflict',
    });
  }

  override get facts() {
    return { claimStatus: this.status, action: this.action };
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

  override get facts() {
    return { claimStatus: this.status, fields: this.fields };
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
    super(message, { code: rule });
  }

  override get facts(): Record<string, unknown> {
    return { claimStatus: this.status };
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

  /** Which deadline ended the right to act, and when (the message says it in words). */
  override get facts() {
    return { ...super.facts, deadline: this.deadline, dueAt: this.dueAt };
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

  override get facts() {
    return { errors: [{ field: this.field, reason: this.message }] };
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

/**
 * Another writer changed the claim first (optimistic concurrency). The message is meant for
 * the caller: it names the claim's current status when known.
 */
export class VersionConflictError extends DomainError {
  override readonly name = 'VersionConflictError';
  readonly kind = 'conflict';
  constructor(
    readonly claimId: string,
    readonly expectedVersion: number,
    /**
     * `false` when the conflict was seen on a fresh read (the claim really changed under the
     * caller), so trying again cannot help; `true` when a conditional write lost a race.
     */
    readonly retryable = true,
    /** The claim's status as last read, when known: a 409 names it. */
    readonly currentStatus?: ClaimStatus,
    options?: { cause?: unknown },
  ) {
    super(
      currentStatus === undefined
        ? 'The claim was changed by another request; read it again and retry.'
        : `The claim was changed by another request; it is now '${currentStatus}': read it again and retry.`,
      { code: 'concurrentModification', ...options },
    );
  }

  override get facts(): Record<string, unknown> {
    return this.currentStatus === undefined ? {} : { claimStatus: this.currentStatus };
  }
}

/** The caller's `If-Match` did not match the claim's current version. */
export class PreconditionFailedError extends DomainError {
  override readonly name = 'PreconditionFailedError';
  readonly kind = 'preconditionFailed';
  constructor(
    readonly claimId: string,
    readonly currentVersion: number,
  ) {
    super(`The claim is at version ${currentVersion}; the request's If-Match names another version.`);
  }

  override get facts() {
    return { currentVersion: this.currentVersion };
  }
}

/** The claim already holds the maximum number of documents. */
export class DocumentLimitError extends DomainError {
  override readonly name = 'DocumentLimitError';
  readonly kind = 'conflict';
  constructor(readonly limit: number) {
    super(`A claim can hold at most ${limit} documents.`, { code: 'documentLimitReached' });
  }

  override get facts() {
    return {
      limit: this.limit,
      errors: [{ field: 'documents', reason: `the claim already holds ${this.limit} documents` }],
    };
  }
}

/** The `Idempotency-Key` of a request was already used with another request body. */
export class IdempotencyKeyReusedError extends DomainError {
  override readonly name = 'IdempotencyKeyReusedError';
  readonly kind = 'idempotencyKeyReused';
  constructor() {
    super('This Idempotency-Key was already used with a different request body.');
  }
}
