/**
 * The PoE document ports: document records beside their claim (DynamoDB) and the document
 * bytes (S3), plus the pure checks the upload verifier is given.
 */
import type { Actor } from '../claim.js';
import type { ArchiveMeasure, ClaimDocument, UploadVerdict } from '../document.js';
import type { ClaimRecord } from './claim-store.js';

/**
 * PoE document records beside their claim. Each change also appends to the claim's history
 * and keeps the claim item's document counters right, in the same transaction.
 */
export interface DocumentStore {
  /**
   * Records a new `pendingUpload` document; fails with `DocumentLimitError` when the claim
   * already has `maxPerClaim` documents, and `VersionConflictError` when the history head moved.
   */
  add(
    before: ClaimRecord,
    document: ClaimDocument,
    actor: Actor,
    at: string,
    maxPerClaim: number,
  ): Promise<void>;
  /**
   * Applies the verdict to a `pendingUpload` document (a no-op returning `undefined` if it was
   * already resolved: verification is at-least-once).
   */
  resolve(
    claimId: string,
    documentId: string,
    verdict: UploadVerdict,
    at: string,
  ): Promise<ClaimDocument | undefined>;
  get(claimId: string, documentId: string): Promise<ClaimDocument | undefined>;
  list(claimId: string): Promise<ClaimDocument[]>;
}

/** A browser upload: POST a multipart form with every field of `fields`, then `file`, to `url`. */
export interface PresignedUpload {
  url: string;
  fields: Record<string, string>;
  /** When the upload policy expires (ISO 8601). */
  expiresAt: string;
}

/** A short-lived download link. */
export interface PresignedDownload {
  url: string;
  expiresAt: string;
}

/** What the verifier learns about an uploaded object. */
export interface UploadedObject {
  /** Actual size in bytes. */
  size: number;
  /**
   * Every byte of the object as one read returned them, or `undefined` when its size alone
   * refuses it (over the policy's maximum). These bytes are what is checked and, if they
   * pass, exactly what is promoted: a replacement uploaded meanwhile can never slip in.
   */
  bytes: Uint8Array | undefined;
  /**
   * The tags of the version that was read (empty unless asked for, or when another version
   * replaced it between the two reads): where the malware scan leaves its result.
   */
  tags: Readonly<Record<string, string>>;
}

/**
 * The PoE bytes (S3). Partners upload to a staging key of the document; only the verifier
 * promotes an upload to the document's `objectKey`, which is the only key ever downloaded.
 */
export interface DocumentObjects {
  /** A presigned POST that accepts exactly the declared size and type, for this document only. */
  presignUpload(document: ClaimDocument, now: Date, ttlSeconds: number): Promise<PresignedUpload>;
  /** A presigned GET of the verified object, as an attachment named after the document's file name. */
  presignDownload(document: ClaimDocument, now: Date, ttlSeconds: number): Promise<PresignedDownload>;
  /**
   * Reads the uploaded (not yet promoted) object of the document, whole when it has at most
   * `maxBytes`; `undefined` when there is none.
   */
  inspectUpload(
    objectKey: string,
    options: { withTags: boolean; maxBytes: number },
  ): Promise<UploadedObject | undefined>;
  /** Writes the checked `bytes` (never whatever the upload key holds now) to `document.objectKey`. */
  promoteUpload(document: ClaimDocument, bytes: Uint8Array): Promise<void>;
  /** Removes the upload of `objectKey`; removing one that is gone is not an error. */
  discardUpload(objectKey: string): Promise<void>;
}

/** Sniffs a media type from a file's bytes (its start); `undefined` when nothing is recognised. */
export type ContentTypeDetector = (bytes: Uint8Array) => Promise<string | undefined>;

/** Measures a ZIP archive from its central directory, inflating nothing. */
export type ArchiveInspector = (bytes: Uint8Array) => ArchiveMeasure | 'unreadable';

/** The PoE objects' retention (S3 object tags that lifecycle rules act on). */
export interface DocumentRetention {
  /**
   * Puts every verified document of the claim under the final-claim retention. Marking them
   * again (a redelivered event) must be harmless.
   */
  markFinal(claimId: string): Promise<void>;
}
