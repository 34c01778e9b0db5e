/**
 * The ports the use cases need, typed here so the domain owns them and adapters implement
 * them (DynamoDB, S3, SES, Step Functions). Tests pass the real local adapters.
 */
import type { Actor, Claim, ClaimStatus } from './claim.js';
import type { ClaimDocument, UploadVerdict } from './document.js';
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
  ) {
    super(`Claim ${claimId} is no longer at version ${expectedVersion}.`);
  }
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
  add(before: ClaimRecord, document: ClaimDocument, actor: Actor, at: string, maxPerClaim: number): Promise<void>;
  /**
   * Applies the verdict to a `pendingUpload` document (a no-op returning `undefined` if it was
   * already resolved: verification is at-least-once).
   */
  resolve(claimId: string, documentId: string, verdict: UploadVerdict, at: string): Promise<ClaimDocument | undefined>;
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
