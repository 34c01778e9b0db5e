/**
 * Verifying an uploaded PoE file, driven by the object-created (and, with malware scanning,
 * the object-tagged) event of its upload. At-least-once and possibly concurrent: every step
 * is safe to repeat, and only a `pendingUpload` document is ever resolved.
 */
import type { Clock } from '../domain/clock.js';
import {
  type ClaimDocument,
  type DocumentPolicy,
  documentObjectKey,
  isArchiveType,
  MALWARE_SCAN_STATUS_TAG,
  malwareScanVerdict,
  type UploadVerdict,
  verifyUpload,
} from '../domain/document.js';
import type {
  ArchiveInspector,
  ContentTypeDetector,
  DocumentObjects,
  DocumentStore,
} from '../domain/ports/documents.js';

export interface VerifyUploadDeps {
  documents: DocumentStore;
  objects: DocumentObjects;
  detectContentType: ContentTypeDetector;
  /** Measures DOCX/XLSX archives from their central directory (zip bombs are refused). */
  inspectArchive: ArchiveInspector;
  documentPolicy: Pick<DocumentPolicy, 'maxBytes'>;
  clock: Clock;
  /**
   * GuardDuty Malware Protection for S3 scans uploads and tags them with its result. When on,
   * an upload becomes `available` only once tagged `NO_THREATS_FOUND` (the tagging event
   * brings the verifier back); size and type are still checked, and refused, at once.
   */
  malwareScanning: boolean;
}

export type VerificationOutcome =
  /** Verified and promoted to the document's key. */
  | 'available'
  /** Refused (the document says why); the upload is deleted. */
  | 'rejected'
  /** Size and type are right; the malware scan has not tagged the upload yet. */
  | 'awaitingMalwareScan'
  /** The document was resolved before (a duplicate event, or a re-upload with an old URL): the upload is deleted. */
  | 'alreadyResolved'
  /** No such document (e.g. its record was never written): the upload is deleted. */
  | 'unknownDocument'
  /** The upload is gone already (a concurrent verification took care of it). */
  | 'uploadMissing';

export interface VerificationResult {
  outcome: VerificationOutcome;
  verdict?: UploadVerdict;
  document?: ClaimDocument;
}

export async function verifyUploadedDocument(
  deps: VerifyUploadDeps,
  ref: { claimId: string; documentId: string },
): Promise<VerificationResult> {
  const document = await deps.documents.get(ref.claimId, ref.documentId);
  if (!document) {
    await deps.objects.discardUpload(documentObjectKey(ref.claimId, ref.documentId));
    return { outcome: 'unknownDocument' };
  }
  if (document.status !== 'pendingUpload') {
    // Also finishes a verification that resolved the document but failed before deleting.
    await deps.objects.discardUpload(document.objectKey);
    return { outcome: 'alreadyResolved', document };
  }

  const upload = await deps.objects.inspectUpload(document.objectKey, {
    withTags: deps.malwareScanning,
    maxBytes: deps.documentPolicy.maxBytes,
  });
  if (!upload) return { outcome: 'uploadMissing', document };
  const { bytes } = upload;
  const checked = verifyUpload(
    document,
    {
      size: upload.size,
      detectedType: bytes && (await deps.detectContentType(bytes)),
      ...(bytes && isArchiveType(document.contentType) && { archive: deps.inspectArchive(bytes) }),
    },
    deps.documentPolicy,
  );
  if (checked.status === 'rejected' || !bytes) {
    return reject(deps, document, checked.status === 'rejected' ? checked : sizeUnread(upload.size));
  }

  if (deps.malwareScanning) {
    const scanned = malwareScanVerdict(upload.tags[MALWARE_SCAN_STATUS_TAG]);
    if (!scanned) return { outcome: 'awaitingMalwareScan', document };
    if (scanned.status === 'rejected') return reject(deps, document, scanned);
  }

  // Reading and sniffing took a while: a duplicate delivery may have finished meanwhile, and
  // writing again would only rewrite the verified object.
  const current = await deps.documents.get(document.claimId, document.id);
  if (current?.status !== 'pendingUpload') {
    await deps.objects.discardUpload(document.objectKey);
    return { outcome: 'alreadyResolved', document: current ?? document };
  }
  // Promote first, then resolve: an `available` document always has its verified object, and
  // that object is the very bytes checked above, whatever the upload key holds by now.
  await deps.objects.promoteUpload(document, bytes);
  const resolved = await deps.documents.resolve(
    document.claimId,
    document.id,
    { status: 'available' },
    deps.clock.now().toISOString(),
  );
  await deps.objects.discardUpload(document.objectKey);
  return resolved
    ? { outcome: 'available', verdict: { status: 'available' }, document: resolved }
    : { outcome: 'alreadyResolved', document };
}

/** `verifyUpload` refuses any size the adapter declines to read; this keeps the types honest. */
function sizeUnread(size: number): Extract<UploadVerdict, { status: 'rejected' }> {
  return {
    status: 'rejected',
    reason: 'tooLarge',
    detail: `The file has ${size} bytes, too many to verify.`,
  };
}

async function reject(
  deps: VerifyUploadDeps,
  document: ClaimDocument,
  verdict: Extract<UploadVerdict, { status: 'rejected' }>,
): Promise<VerificationResult> {
  // Resolve first, then delete: if the delete fails, the retried event finds the document
  // resolved and deletes the upload then (see `alreadyResolved`).
  const resolved = await deps.documents.resolve(
    document.claimId,
    document.id,
    verdict,
    deps.clock.now().toISOString(),
  );
  await deps.objects.discardUpload(document.objectKey);
  return resolved
    ? { outcome: 'rejected', verdict, document: resolved }
    : { outcome: 'alreadyResolved', document };
}
