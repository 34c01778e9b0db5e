/**
 * The error table (`functions/http/problem.ts`): every domain error becomes its problem by its
 * kind (status, type, title) and code, with its facts as members, and nothing else decides.
 */
import { describe, expect, it } from 'vitest';
import { assertActorMay } from '../../functions/domain/actors.js';
import { DocumentNotAvailableError, DocumentTooLargeError } from '../../functions/domain/document.js';
import {
  ActionForbiddenError,
  ClaimNotFoundError,
  ClaimStatusConflictError,
  DeadlinePassedError,
  DocumentLimitError,
  type DomainError,
  FieldNotEditableError,
  IdempotencyKeyReusedError,
  InvalidClaimInputError,
  PreconditionFailedError,
  VersionConflictError,
} from '../../functions/domain/errors.js';
import { problemFor } from '../../functions/http/problem.js';

const BASE = 'https://cpor-claims.example/problems/';

const cases: [DomainError, Record<string, unknown>][] = [
  [
    new ClaimStatusConflictError('approved', 'submit'),
    {
      status: 409,
      type: `${BASE}status-conflict`,
      title: 'Conflict',
      claimStatus: 'approved',
      action: 'submit',
    },
  ],
  [
    new FieldNotEditableError('submitted', ['name']),
    { status: 409, type: `${BASE}conflict`, claimStatus: 'submitted', fields: ['name'] },
  ],
  [
    new DeadlinePassedError(
      'rejected',
      'disputeWindowClosed',
      'disputeBy',
      '2026-01-01T00:00:00.000Z',
      'Too late.',
    ),
    {
      status: 409,
      type: `${BASE}dispute-window-closed`,
      claimStatus: 'rejected',
      deadline: 'disputeBy',
      dueAt: '2026-01-01T00:00:00.000Z',
      detail: 'Too late.',
    },
  ],
  [
    new VersionConflictError('c-1', 3, false, 'underReview'),
    { status: 409, type: `${BASE}concurrent-modification`, claimStatus: 'underReview' },
  ],
  [
    new PreconditionFailedError('c-1', 4),
    { status: 412, type: `${BASE}precondition-failed`, currentVersion: 4 },
  ],
  [
    new DocumentLimitError(20),
    {
      status: 409,
      type: `${BASE}document-limit-reached`,
      limit: 20,
      errors: [{ field: 'documents', reason: 'the claim already holds 20 documents' }],
    },
  ],
  [
    new DocumentTooLargeError(11, 10),
    {
      status: 413,
      type: `${BASE}document-too-large`,
      title: 'Content Too Large',
      maxBytes: 10,
      errors: [{ field: 'size', reason: 'must be at most 10 bytes' }],
    },
  ],
  [
    new DocumentNotAvailableError('d-1', 'pendingUpload'),
    { status: 409, type: `${BASE}document-not-available`, documentStatus: 'pendingUpload' },
  ],
  [
    new InvalidClaimInputError('customer.domain', 'is not a domain'),
    {
      status: 400,
      type: `${BASE}validation`,
      errors: [{ field: 'customer.domain', reason: 'is not a domain' }],
    },
  ],
  [new ActionForbiddenError('No.'), { status: 403, type: `${BASE}forbidden`, title: 'Forbidden' }],
  [new ClaimNotFoundError('c-9'), { status: 404, type: `${BASE}not-found`, title: 'Not Found' }],
  [
    new IdempotencyKeyReusedError(),
    {
      status: 422,
      type: `${BASE}idempotency-key-reused`,
      title: 'Unprocessable Content',
      detail: 'This Idempotency-Key was already used with a different request body.',
    },
  ],
];

describe('the error table', () => {
  it.each(cases.map(([error, problem]) => [error.name, error, problem] as const))(
    '%s becomes its problem by kind and code',
    (_name, error, expected) => {
      const { problem } = problemFor(error);
      expect(problem).toMatchObject({ detail: error.message, ...expected });
    },
  );

  it('keeps the cause of a domain error without showing it', () => {
    const cause = new Error('ConditionalCheckFailed on CLAIM#c-1');
    const error = new VersionConflictError('c-1', 2, true, undefined, { cause });
    expect(error.cause).toBe(cause);
    expect(JSON.stringify(problemFor(error).problem)).not.toContain('ConditionalCheckFailed');
  });

  it('refuses by the domain role rules, with the refusal the API shows', () => {
    const reviewer = { kind: 'reviewer', sub: 'rita' } as const;
    expect(() => assertActorMay(reviewer, 'createClaim')).toThrow(ActionForbiddenError);
    expect(() => assertActorMay(reviewer, 'addDocument')).toThrow('Only the partner may add documents.');
    expect(() => assertActorMay(reviewer, 'comment')).not.toThrow();
  });

  it('answers 500 without internals for anything unexpected', () => {
    const { problem } = problemFor(new TypeError('secret stack detail'));
    expect(problem).toMatchObject({ status: 500, type: `${BASE}internal`, title: 'Internal Server Error' });
    expect(problem.detail).not.toContain('secret');
  });
});
