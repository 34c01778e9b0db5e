/**
 * The claim store port: claims with their hash-chained history and outbox, written
 * atomically. The DynamoDB adapter implements it; tests pass it against DynamoDB Local.
 */
import type { Actor, Claim, ClaimStatus } from '../claim.js';
import type { HistoryEntry, HistoryEvent } from '../history.js';
import type { Effect } from '../lifecycle.js';

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
  /**
   * Appends a history event that doesn't change the claim (a comment, a document event). With
   * a `request`, the event takes the request's id and the request is recorded with it, once:
   * a second append of the same request fails with `VersionConflictError`.
   */
  append(
    before: ClaimRecord,
    entry: Omit<HistoryEntry, 'version'>,
    actor: Actor,
    at: string,
    request?: KeyedRequest,
  ): Promise<HistoryEvent>;
  /** The event an earlier append of this request recorded, with the request's hash. */
  eventOfRequest(
    claimId: string,
    requestId: string,
  ): Promise<{ event: HistoryEvent; hash: string } | undefined>;
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
 * A request sent with an `Idempotency-Key`: the id of what it makes, derived from the key and
 * its scope, and the hash of its body. A retry of it, however late and whatever happened to the
 * first response, lands on the same id.
 */
export interface KeyedRequest {
  id: string;
  hash: string;
}
