/**
 * The claim's history: append-only events, each hash-chained to the one before it, so an
 * edited or removed event is detectable (`verifyHistoryChain`). Pure (node:crypto only).
 */
import { createHash } from 'node:crypto';
import type { Actor, ClaimStatus, DeadlineKind, InfoRequestReason, RejectionReason } from './claim.js';
import type { FieldChange, TransitionRecord } from './lifecycle.js';

export type HistoryEventType =
  | TransitionRecord['type']
  | 'comment'
  | 'documentRequested'
  | 'documentAvailable'
  | 'documentRejected';

/** Who did it, as recorded: no token, only the identity the token asserted. */
export type HistoryActor =
  | { kind: 'partner'; sub: string; partnerId: string }
  | { kind: 'reviewer'; sub: string }
  | { kind: 'customer' }
  | { kind: 'system' };

export interface HistoryEntry {
  type: HistoryEventType;
  fromStatus?: ClaimStatus;
  toStatus?: ClaimStatus;
  changes?: FieldChange[];
  comment?: string;
  reason?: RejectionReason;
  reasons?: InfoRequestReason[];
  deadline?: DeadlineKind;
  documentId?: string;
  /** A timeout's: when it was applied; its `at` is the deadline it enforced. */
  appliedAt?: string;
  /** The claim version this event produced or was recorded against. */
  version: number;
}

export interface HistoryEvent extends HistoryEntry {
  id: string;
  claimId: string;
  /** 1-based position in the chain: the history's order, the order the service recorded events. */
  seq: number;
  /**
   * When the event took effect. Non-decreasing along `seq`, except for a timeout applied late
   * (`deadlineExpired`), which is dated at its deadline and so may precede the events recorded
   * just before it (comments, say); its `appliedAt` never does. The chain covers both.
   */
  at: string;
  actor: HistoryActor;
  prevHash: string;
  hash: string;
}

/** The `prevHash` of a claim's first event. */
export const GENESIS_HASH = '0'.repeat(64);

export function historyActor(actor: Actor): HistoryActor {
  switch (actor.kind) {
    case 'partner':
      return { kind: 'partner', sub: actor.sub, partnerId: actor.partnerId };
    case 'reviewer':
      return { kind: 'reviewer', sub: actor.sub };
    default:
      return { kind: actor.kind };
  }
}

/** Seals an entry into the chain after `prev` (or as the first event). */
export function chainEvent(
  entry: HistoryEntry,
  meta: { id: string; claimId: string; at: string; actor: Actor },
  prev: { seq: number; hash: string } | undefined,
): HistoryEvent {
  const unsealed: Omit<HistoryEvent, 'hash'> = {
    ...entry,
    id: meta.id,
    claimId: meta.claimId,
    seq: (prev?.seq ?? 0) + 1,
    at: meta.at,
    actor: historyActor(meta.actor),
    prevHash: prev?.hash ?? GENESIS_HASH,
  };
  return { ...unsealed, hash: hashEvent(unsealed) };
}

export function hashEvent(event: Omit<HistoryEvent, 'hash'>): string {
  return createHash('sha256').update(canonicalJson(event)).digest('hex');
}

export type ChainVerification = { valid: true } | { valid: false; seq: number; problem: string };

/**
 * Checks that events form one unbroken chain from the genesis hash, each hash matching its
 * content; or, for a later page of the history, from the event `after` (the previous page's last).
 */
export function verifyHistoryChain(
  events: readonly HistoryEvent[],
  after?: { seq: number; hash: string },
): ChainVerification {
  let prevHash = after?.hash ?? GENESIS_HASH;
  const first = (after?.seq ?? 0) + 1;
  for (const [index, event] of events.entries()) {
    if (event.seq !== first + index)
      return { valid: false, seq: event.seq, problem: `expected seq ${first + index}` };
    if (event.prevHash !== prevHash)
      return { valid: false, seq: event.seq, problem: 'prevHash does not match' };
    const { hash, ...content } = event;
    if (hashEvent(content) !== hash)
      return { valid: false, seq: event.seq, problem: 'content does not match hash' };
    prevHash = hash;
  }
  return { valid: true };
}

/** JSON with object keys sorted at every level, so the hash doesn't depend on key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
