/**
 * Proof of Execution documents: what may be uploaded, and the verdict on an upload. Pure:
 * the bytes are inspected by an adapter, which passes what it observed.
 */

export const DOCUMENT_STATUSES = ['pendingUpload', 'available', 'rejected'] as const;
export type DocumentStatus = (typeof DOCUMENT_STATUSES)[number];

export interface ClaimDocument {
  id: string;
  claimId: string;
  /** The partner's file name: shown and used for the download's name, never for the storage key. */
  fileName: string;
  contentType: string;
  /** Declared size in bytes; the upload must match it exactly. */
  size: number;
  status: DocumentStatus;
  /** The storage key the service chose, under the claim's prefix. */
  objectKey: string;
  createdAt: string;
  createdBy: string;
  /** Until when the presigned upload may be used. */
  uploadExpiresAt: string;
  verifiedAt?: string;
  rejection?: { reason: DocumentRejectionReason; detail: string; at: string };
}

export type DocumentRejectionReason = 'sizeMismatch' | 'tooLarge' | 'typeMismatch' | 'malwareDetected' | 'missing';

/** The verdict on an uploaded object. */
export type UploadVerdict =
  | { status: 'available' }
  | { status: 'rejected'; reason: DocumentRejectionReason; detail: string };
