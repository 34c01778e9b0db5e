/** Disputing a rejection: the justification and/or PoE documents the partner points to. */
import type { Actor } from '../domain/claim.js';
import type { DocumentStore } from '../domain/ports/documents.js';
import type { ClaimsDeps } from './claims.js';
import { assertAvailableDocuments } from './documents.js';
import { type Precondition, transitionClaim } from './transitions.js';

export interface DisputeInput {
  justification?: string;
  /** Available documents of this claim that support the dispute. */
  documentIds: string[];
}

export async function disputeClaim(
  deps: Omit<ClaimsDeps, 'newId'> & { documents: DocumentStore },
  actor: Actor,
  claimId: string,
  input: DisputeInput,
  precondition: Precondition,
) {
  return transitionClaim(
    deps,
    actor,
    claimId,
    async (record) => {
      await assertAvailableDocuments(deps, record.claim.id, input.documentIds);
      return {
        type: 'dispute',
        justification: input.justification ?? '',
        documentIds: [...input.documentIds],
      };
    },
    precondition,
  );
}
