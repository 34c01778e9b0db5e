/**
 * The ports the use cases need, typed here so the domain owns them and adapters implement
 * them (DynamoDB, S3, SES, Step Functions). Tests pass the real local adapters.
 */
import type { Actor, Claim, ClaimStatus } from './claim.js';
import type { ArchiveMeasure, ClaimDocument, UploadVerdict } from './document.js';
import { VersionConflictError } from './errors.js';
import type { HistoryEntry, HistoryEvent } from './history.js';
import type { Effect } from './lifecycle.js';

/** One atomic write: the claim, its history event and its outbox effects, or nothing. */
export interface ClaimWrite {
  claim: Claim;
  entry: HistoryEntry;
  effects: Effect[];
  actor: Actor;
  at: string;
  /**
   * Creates only: the hash of the request that asked for the claim (an `Idempotency-Key`
   * create), kept with the claim so a retry can tell the same request from another one.
   */
  requestHash?: string;
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
  /** The `requestHash` of the create that made the claim, when it came with an `Idempotency-Key`. */
  requestHash?: string;
}

/** Where a page of a claim's history ends: the last event's position and hash. */
export interface HistoryPosition {
  seq: number;
  hash: string;
}

export interface HistoryPageQuery {
  /** At most this many events. */
  limit: number;
  /** Continue after this event (from a previous page). */
  after?: HistoryPosition;
  /** Only events of this type (e.g. comments). */
  type?: HistoryEvent['type'];
}

export interface HistoryPage {
  /** Oldest first. */
  events: HistoryEvent[];
  /** Whether events (of the asked type) follow the last one. */
  more: boolean;
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
  /** Every history event of the claim, oldest first (internal checks; the API reads pages). */
  history(claimId: string): Promise<HistoryEvent[]>;
  /** The claim and one page of its history, read together (the claim decides who may see it). */
  historyPage(
    claimId: string,
    query: HistoryPageQuery,
  ): Promise<{ record: ClaimRecord | undefined; page: HistoryPage }>;
}

/** How often, and how patiently, a read-decide-write is tried again after losing a race. */
export interface RetryPolicy {
  maxAttempts: number;
  /**
   * Full-jitter exponential backoff before each new attempt: a random wait up to
   * `min(maxDelayMs, baseDelayMs * 2^(n-1))`, so racers spread out instead of colliding again.
   * Without it attempts follow each other at once.
   */
  backoff?: { baseDelayMs: number; maxDelayMs: number };
}

/** The wait before attempt `n + 1` (full jitter); exported for its tests. */
export function backoffDelay(n: number, backoff: NonNullable<RetryPolicy['backoff']>, random = Math.random) {
  return Math.floor(random() * Math.min(backoff.maxDelayMs, backoff.baseDelayMs * 2 ** (n - 1)));
}

/**
 * Runs a read-decide-write `attempt` again while its conditional write loses to a concurrent
 * one: every attempt re-reads, so the decision is always made on the current claim. After
 * `maxAttempts` the conflict is rethrown (the API answers 409).
 */
export async function retryOnVersionConflict<T>(
  attempt: (n: number) => Promise<T>,
  policy: RetryPolicy | number = 5,
): Promise<T> {
  const { maxAttempts, backoff } = typeof policy === 'number' ? { maxAttempts: policy } : policy;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (!(error instanceof VersionConflictError) || !error.retryable || n >= maxAttempts) throw error;
      const delay = backoff ? backoffDelay(n, backoff) : 0;
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
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
