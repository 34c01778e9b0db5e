/**
 * PoE documents: declare one and get a presigned upload, list a claim's documents, get a
 * download link for a verified one, and check the documents a dispute refers to. Visibility
 * is the claim's: another partner's claim is "not found", never "forbidden".
 */

import { assertActorMay } from '../domain/actors.js';
import type { Actor } from '../domain/claim.js';
import type { Clock } from '../domain/clock.js';
import {
  assertDocumentDeclaration,
  type ClaimDocument,
  type DocumentDeclaration,
  DocumentNotAvailableError,
  DocumentNotFoundError,
  type DocumentPolicy,
  documentObjectKey,
} from '../domain/document.js';
import { DocumentLimitError, InvalidClaimInputError } from '../domain/errors.js';
import { assertCanAddDocument } from '../domain/lifecycle.js';
import type { ClaimStore } from '../domain/ports/claim-store.js';
import type {
  DocumentObjects,
  DocumentStore,
  PresignedDownload,
  PresignedUpload,
} from '../domain/ports/documents.js';
import { retryOnVersionConflict } from '../domain/version-conflict.js';
import { getVisibleClaim } from './claims.js';

export interface DocumentsDeps {
  store: ClaimStore;
  documents: DocumentStore;
  objects: DocumentObjects;
  documentPolicy: DocumentPolicy;
  clock: Clock;
  newId: () => string;
}

export interface DocumentUpload {
  document: ClaimDocument;
  upload: PresignedUpload;
}

/**
 * Records a `pendingUpload` document and returns the presigned POST for its bytes. The
 * partner of the claim only, in the statuses that take new PoE; the declaration must fit the
 * policy (type, extension, size) and the claim must have a free document slot.
 */
export async function requestDocumentUpload(
  deps: DocumentsDeps,
  actor: Actor,
  claimId: string,
  declaration: DocumentDeclaration,
): Promise<DocumentUpload> {
  let record = await getVisibleClaim(deps, actor, claimId);
  assertActorMay(actor, 'addDocument');
  const policy = deps.documentPolicy;
  assertDocumentDeclaration(policy, declaration);
  const now = deps.clock.now();
  const at = now.toISOString();
  const id = deps.newId();
  const pending: ClaimDocument = {
    id,
    claimId,
    fileName: declaration.fileName,
    contentType: declaration.contentType,
    size: declaration.size,
    status: 'pendingUpload',
    objectKey: documentObjectKey(claimId, id),
    createdAt: at,
    createdBy: actor.sub,
    uploadExpiresAt: at,
  };
  let attempted = false;
  // Retried when a comment or another document event took the claim's history head first.
  return retryOnVersionConflict(async () => {
    if (attempted) record = await getVisibleClaim(deps, actor, claimId);
    attempted = true;
    assertCanAddDocument(record.claim, actor, now);
    // Checked here for a clear answer without signing anything; the store checks again in
    // its write, so racing requests cannot pass the limit either.
    if (record.documents.total >= policy.maxPerClaim) throw new DocumentLimitError(policy.maxPerClaim);
    const upload = await deps.objects.presignUpload(pending, now, policy.uploadUrlTtlSeconds);
    const document: ClaimDocument = { ...pending, uploadExpiresAt: upload.expiresAt };
    await deps.documents.add(record, document, actor, at, policy.maxPerClaim);
    return { document, upload };
  });
}

/** The claim's documents, oldest first, in every status (the partner sees what was refused and why). */
export async function listClaimDocuments(
  deps: Pick<DocumentsDeps, 'store' | 'documents'>,
  actor: Actor,
  claimId: string,
): Promise<ClaimDocument[]> {
  await getVisibleClaim(deps, actor, claimId);
  return deps.documents.list(claimId);
}

/** A short-lived download link for a verified document of a claim the actor may see. */
export async function requestDocumentDownload(
  deps: Omit<DocumentsDeps, 'newId'>,
  actor: Actor,
  claimId: string,
  documentId: string,
): Promise<PresignedDownload> {
  await getVisibleClaim(deps, actor, claimId);
  const document = await deps.documents.get(claimId, documentId);
  if (!document) throw new DocumentNotFoundError(claimId, documentId);
  if (document.status !== 'available') throw new DocumentNotAvailableError(documentId, document.status);
  return deps.objects.presignDownload(document, deps.clock.now(), deps.documentPolicy.downloadUrlTtlSeconds);
}

/**
 * Every id must name an `available` document of this claim (a dispute cannot cite another
 * claim's file, nor one that was never verified). The first offender is named as
 * `documentIds.<index>`.
 */
export async function assertAvailableDocuments(
  deps: Pick<DocumentsDeps, 'documents'>,
  claimId: string,
  documentIds: readonly string[],
): Promise<void> {
  if (documentIds.length === 0) return;
  const available = new Set(
    (await deps.documents.list(claimId)).filter((d) => d.status === 'available').map((d) => d.id),
  );
  const index = documentIds.findIndex((id) => !available.has(id));
  if (index >= 0) {
    throw new InvalidClaimInputError(`documentIds.${index}`, 'is not an available document of this claim');
  }
}
