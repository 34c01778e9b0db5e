/**
 * The invariant checker of `npm run bench:load`, run on the data after the final restart:
 * what the clients were told (acknowledged creates, writes, comments and uploads) against what
 * the table, the SES inbox and the timer runner hold. Expectations come from the stored history
 * (what committed), not from the journeys' plans, so a retry that committed twice, a timer
 * that fired or a journey cut short by a kill are all judged by what actually happened.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbClaimStore } from '../../functions/adapters/dynamodb-claim-store.js';
import { DynamoDbDocumentStore } from '../../functions/adapters/dynamodb-document-store.js';
import type { Claim, DeadlineKind } from '../../functions/domain/claim.js';
import type { ClaimDocument } from '../../functions/domain/document.js';
import { type HistoryEvent, verifyHistoryChain } from '../../functions/domain/history.js';
import { LIVE_DEADLINES } from '../../functions/domain/lifecycle.js';
import type { Journey } from './load-journey.js';
import { pool } from './support.js';

/** Every invariant, so the report names each one even when it holds. */
export const INVARIANTS = {
  lostClaims: 'an acknowledged create has no claim',
  duplicatedClaims: 'one journey has more than one claim',
  strayClaims: 'a claim belongs to no journey',
  statusNotReplay: 'the status is not the replay of the history',
  brokenChains: 'the history chain does not verify (or the head does not match it)',
  lostWrites: 'an acknowledged transition or edit has no history event',
  lostComments: 'an acknowledged comment is not in the history',
  duplicatedComments: 'a comment is in the history more than once',
  lostEmails: 'an email the history requires is not in the SES inbox',
  stuckUploads: 'a document S3 accepted (204) is still pendingUpload',
  deadlinesWithoutTimer: 'a live deadline has no pending timer',
  lostTimeouts: 'a deadline that ends a right is past due and was never applied',
  unflaggedSlaBreaches: 'a review SLA is past due and not flagged',
  failedJourneys: 'a journey could not finish (gave up, or an unexpected answer)',
} as const;
export type Invariant = keyof typeof INVARIANTS;

export type EmailKind = 'consentRequest' | 'rejection' | 'infoRequest' | 'disputeOutcome';

export interface InboxEmail {
  messageId: string;
  subject: string;
}

export interface TimerItem {
  claimId: string;
  deadline: string;
  dueAt: string;
}

export interface ClaimSnapshot {
  claim: Claim;
  head: { seq: number; hash: string };
  history: HistoryEvent[];
  documents: ClaimDocument[];
}

export class Violations {
  readonly byKind = new Map<Invariant, string[]>(
    (Object.keys(INVARIANTS) as Invariant[]).map((k) => [k, []]),
  );
  add(kind: Invariant, detail: string): void {
    this.byKind.get(kind)?.push(detail);
  }
  get total(): number {
    return [...this.byKind.values()].reduce((sum, list) => sum + list.length, 0);
  }
  counts(): Record<Invariant, number> {
    return Object.fromEntries([...this.byKind].map(([k, list]) => [k, list.length])) as Record<
      Invariant,
      number
    >;
  }
  examples(perKind = 3): Record<string, string[]> {
    return Object.fromEntries(
      [...this.byKind].filter(([, list]) => list.length > 0).map(([k, list]) => [k, list.slice(0, perKind)]),
    );
  }
}

/** Every claim in the table with its history and documents, read through the service's stores. */
export async function readClaims(
  client: DynamoDBDocumentClient,
  tableName: string,
): Promise<ClaimSnapshot[]> {
  const claims = new DynamoDbClaimStore(client, tableName);
  const documents = new DynamoDbDocumentStore(client, tableName, claims);
  const items: { data: Claim; historySeq: number; historyHash: string }[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: '#type = :claim',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: { ':claim': 'claim' },
        ExclusiveStartKey: start,
      }),
    );
    items.push(...((page.Items ?? []) as typeof items));
    start = page.LastEvaluatedKey;
  } while (start);
  return pool(items, 8, async (item) => {
    let record = { claim: item.data, head: { seq: item.historySeq, hash: item.historyHash } };
    let history = await claims.history(item.data.id);
    // The scan read the claim earlier: a write since then (a late timer, a relay) would show as
    // a head that misses events, so a mismatch is read again, claim and history together.
    if (record.head.seq !== history.length) {
      record = (await claims.get(item.data.id)) ?? record;
      history = await claims.history(item.data.id);
    }
    return { ...record, history, documents: await documents.list(item.data.id) };
  });
}

/** SLA deadlines only flag a breach; the others end someone's right to act when they pass. */
const SLA_DEADLINES: readonly DeadlineKind[] = ['reviewStartBy', 'decisionBy'];

/**
 * Every live deadline in the future has a pending timer; every past one was applied (or, for
 * a review SLA, flagged).
 */
export function checkDeadlines(
  snapshots: readonly ClaimSnapshot[],
  timers: readonly TimerItem[],
  now: Date,
  violations: Violations,
): { liveDeadlines: number; pendingTimers: number } {
  const pending = new Set(timers.map((t) => `${t.claimId}|${t.deadline}|${t.dueAt}`));
  let liveDeadlines = 0;
  for (const { claim } of snapshots) {
    for (const kind of LIVE_DEADLINES[claim.status]) {
      const dueAt = claim.deadlines[kind];
      if (!dueAt) continue;
      liveDeadlines++;
      const where = `${claim.name} (${claim.id}) ${claim.status}: ${kind} ${dueAt}`;
      if (Date.parse(dueAt) > now.getTime()) {
        if (!pending.has(`${claim.id}|${kind}|${dueAt}`)) violations.add('deadlinesWithoutTimer', where);
      } else if (SLA_DEADLINES.includes(kind)) {
        if (!claim.slaBreaches.some((b) => b.deadline === kind && b.dueAt === dueAt))
          violations.add('unflaggedSlaBreaches', `${where} (now ${now.toISOString()})`);
      } else {
        violations.add('lostTimeouts', `${where} (now ${now.toISOString()})`);
      }
    }
  }
  return { liveDeadlines, pendingTimers: timers.length };
}

/** The emails a claim's history requires (at least once each). */
export function requiredEmails(history: readonly HistoryEvent[]): EmailKind[] {
  const required: EmailKind[] = [];
  for (const event of history) {
    if (event.type === 'approve') required.push('consentRequest');
    else if (event.type === 'requestInfo') required.push('infoRequest');
    else if (event.type === 'resolveDispute') {
      required.push('disputeOutcome');
      if (event.toStatus === 'approved') required.push('consentRequest');
    } else if (
      event.toStatus === 'rejected' &&
      event.fromStatus !== 'rejected' && // e.g. the dispute window's end: no new rejection
      event.type !== 'withdraw'
    )
      required.push('rejection');
  }
  return required;
}

/** Which template an email is, from its subject (see functions/emails/templates.ts). */
export function emailKind(subject: string): EmailKind | undefined {
  if (subject.includes('has claimed an association with')) return 'consentRequest';
  if (subject.startsWith('Your dispute of')) return 'disputeOutcome';
  if (subject.startsWith('More information needed')) return 'infoRequest';
  if (/^Your claim .* was rejected/.test(subject)) return 'rejection';
  return undefined;
}

const TAG = /lt\d{6}/;

export interface ClaimsReport {
  journeys: number;
  createsAcknowledged: number;
  claimsInTable: number;
  historyEvents: number;
  commentsAcknowledged: number;
  uploadsAccepted: number;
  documents: number;
  emailsRequired: number;
  emailsFound: number;
  emailsDuplicated: number;
  strayEmails: number;
}

/** Everything but the deadlines: claims, history, comments, documents and emails. */
export function checkClaims(
  journeys: readonly Journey[],
  snapshots: readonly ClaimSnapshot[],
  inbox: readonly InboxEmail[],
  violations: Violations,
): ClaimsReport {
  const byTag = new Map<string, ClaimSnapshot[]>();
  for (const s of snapshots) {
    const tag = TAG.exec(s.claim.customer.domain)?.[0] ?? TAG.exec(s.claim.name)?.[0] ?? '?';
    byTag.set(tag, [...(byTag.get(tag) ?? []), s]);
  }
  const emails = new Map<string, number>();
  let strayEmails = 0;
  for (const email of inbox) {
    const tag = TAG.exec(email.subject)?.[0];
    const kind = emailKind(email.subject);
    if (!tag || !kind) strayEmails++;
    else emails.set(`${tag}|${kind}`, (emails.get(`${tag}|${kind}`) ?? 0) + 1);
  }
  const report: ClaimsReport = {
    journeys: journeys.length,
    createsAcknowledged: 0,
    claimsInTable: snapshots.length,
    historyEvents: 0,
    commentsAcknowledged: 0,
    uploadsAccepted: 0,
    documents: 0,
    emailsRequired: 0,
    emailsFound: 0,
    emailsDuplicated: 0,
    strayEmails,
  };
  const journeyTags = new Set(journeys.map((j) => j.tag));
  for (const [tag, list] of byTag) {
    if (!journeyTags.has(tag))
      violations.add('strayClaims', `${tag}: ${list.map((s) => s.claim.id).join(', ')}`);
  }

  for (const j of journeys) {
    const where = `${j.tag} (${j.plan})`;
    if (j.outcome === 'failed' || j.outcome === 'running')
      violations.add('failedJourneys', `${where}: ${j.failure ?? j.outcome}`);
    if (j.claimId) report.createsAcknowledged++;
    report.commentsAcknowledged += j.ackedComments.length;
    report.uploadsAccepted += j.uploads.filter((u) => u.accepted).length;
    const found = byTag.get(j.tag) ?? [];
    if (found.length > 1)
      violations.add('duplicatedClaims', `${where}: ${found.length} claims ${found.map((s) => s.claim.id)}`);
    if (j.claimId && !found.some((s) => s.claim.id === j.claimId))
      violations.add('lostClaims', `${where}: acknowledged ${j.claimId}, not in the table`);

    for (const s of found) {
      const { claim, history } = s;
      const at = `${where} ${claim.id}`;
      report.historyEvents += history.length;
      report.documents += s.documents.length;
      const replayed = history.filter((e) => e.toStatus !== undefined).at(-1)?.toStatus;
      if (replayed !== claim.status)
        violations.add('statusNotReplay', `${at}: ${claim.status}, the history replays to ${replayed}`);
      const chain = verifyHistoryChain(history);
      if (!chain.valid) violations.add('brokenChains', `${at}: at ${chain.seq}: ${chain.problem}`);
      else if (s.head.seq !== history.length || s.head.hash !== history.at(-1)?.hash)
        violations.add('brokenChains', `${at}: head ${s.head.seq}, ${history.length} events`);

      const required = requiredEmails(history);
      report.emailsRequired += required.length;
      const need = new Map<EmailKind, number>();
      for (const kind of required) need.set(kind, (need.get(kind) ?? 0) + 1);
      for (const [kind, n] of need) {
        const got = emails.get(`${j.tag}|${kind}`) ?? 0;
        report.emailsFound += Math.min(got, n);
        report.emailsDuplicated += Math.max(0, got - n);
        if (got < n) violations.add('lostEmails', `${at}: ${kind} ${got} of ${n} (status ${claim.status})`);
      }
      if (s.claim.id !== j.claimId) continue; // a duplicate: its own checks above are enough

      const versions = new Set(history.map((e) => e.version));
      for (const v of j.ackedVersions)
        if (!versions.has(v)) violations.add('lostWrites', `${at}: acknowledged version ${v}`);
      const comments = new Map<string, number>();
      for (const e of history)
        if (e.type === 'comment' && e.comment) comments.set(e.comment, (comments.get(e.comment) ?? 0) + 1);
      for (const text of j.ackedComments)
        if (!comments.has(text)) violations.add('lostComments', `${at}: "${text}"`);
      for (const [text, n] of comments)
        if (n > 1) violations.add('duplicatedComments', `${at}: "${text}" ${n} times`);
      for (const upload of j.uploads) {
        const doc = s.documents.find((d) => d.id === upload.documentId);
        if (upload.accepted && doc?.status === 'pendingUpload')
          violations.add('stuckUploads', `${at}: document ${upload.documentId}`);
      }
    }
  }
  return report;
}
