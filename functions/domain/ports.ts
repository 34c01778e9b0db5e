/**
 * The ports the use cases need, typed here so the domain owns them and adapters implement
 * them (DynamoDB, S3, SES, Step Functions). Tests pass the real local adapters.
 */
import type { Actor, Claim, ClaimStatus } from './claim.js';
import type { ArchiveMeasure, ClaimDocument, UploadVerdict } from './document.js';
import type { HistoryEntry, HistoryEvent } from './history.js';
import type { Effect } from './lifecycle.js';

/** One atomic write: the claim, its history event and its outbox effects, or nothing. */
export interface ClaimWrite {
  claim: Claim;
  entry: HistoryEntry;
  effects: Effect[];
  actor: Actor;
  at: string;
}

export interface ClaimListQuery {
  /** Set for partners: only this partner's claims. Unset for reviewers: all partners. */
  partnerId?: string;
  status?: ClaimStatus;
  customerTenantId?: string;
  /** `newest` (default) or `oldest` first; reviewers use `oldest` for the work queue. */
  order: 'newest' | 'oldest';
  limit: number;
  /** Opaque position from a previous page (already verified by the caller). */
  after?: ListPosition;
}

/** Where a page ended: per index partition, the last key read. Opaque to callers. */
export type ListPosition = Record<string, Record<string, string> | null>;

export interface ClaimPage {
  items: Claim[];
  next?: ListPosition;
}

/** A stored claim and the head of its history chain (where the next event links on). */
export interface ClaimRecord {
  claim: Claim;
  head: { seq: number; hash: string };
  /**
   * PoE document counters, kept on the claim item but outside the claim resource so that a
   * document event doesn't change the claim's version (ETag).
   */
  documents: { total: number; available: number };
}

export interface ClaimStore {
  /** Writes a new claim with its first history event. */
  create(write: ClaimWrite): Promise<ClaimRecord>;
  /**
   * Writes a transition in one transaction, conditional on the claim still being exactly
   * `before` (same version, same history head); throws `VersionConflictError` otherwise.
   */
  update(before: ClaimRecord, write: ClaimWrite): Promise<ClaimRecord>;
  /** Appends a history event that doesn't change the claim (a comment, a document event). */
  append(
    before: ClaimRecord,
    entry: Omit<HistoryEntry, 'version'>,
    actor: Actor,
    at: string,
  ): Promise<HistoryEvent>;
  get(id: string): Promise<ClaimRecord | undefined>;
  list(query: ClaimListQuery): Promise<ClaimPage>;
  history(claimId: string): Promise<HistoryEvent[]>;
}

/** Another writer changed the claim first (optimistic concurrency). */
export class VersionConflictError extends Error {
  override readonly name = 'VersionConflictError';
  constructor(
    readonly claimId: string,
    readonly expectedVersion: number,
    /**
     * `false` when the conflict was seen on a fresh read (the claim really changed under the
     * caller), so trying again cannot help; `true` when a conditional write lost a race.
     */
    readonly retryable = true,
  ) {
    super(`Claim ${claimId} is no longer at version ${expectedVersion}.`);
  }
}

/**
 * Runs a read-decide-write `attempt` again while its conditional write loses to a concurrent
 * one: every attempt re-reads, so the decision is always made on the current claim. After
 * `maxAttempts` the conflict is rethrown (the API answers 409).
 */
export async function retryOnVersionConflict<T>(attempt: () => Promise<T>, maxAttempts = 5): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof VersionConflictError) || !error.retryable || n >= maxAttempts) throw error;
    }
  }
}

/** The write of a domain transition by `actor` at `at`: claim, its history entry, its effects. */
export function transitionWrite(
  transition: { claim: Claim; record: Omit<HistoryEntry, 'version'>; effects: ClaimWrite['effects'] },
  actor: Actor,
  at: string,
): ClaimWrite {
  const { claim, record, effects } = transition;
  return { claim, entry: { ...record, version: claim.version }, effects, actor, at };
}

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

/** The claim already holds the maximum number of documents. */
export class DocumentLimitError extends Error {
  override readonly name = 'DocumentLimitError';
  constructor(readonly limit: number) {
    super(`A claim can hold at most ${limit} documents.`);
  }
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
