/**
 * The load test's invariant checker (test/bench/load-checker.ts) must see each violation it
 * reports on, and none on a consistent claim: otherwise `npm run bench:load` saying "0" means
 * nothing.
 */
import { describe, expect, it } from 'vitest';
import type { Claim } from '../../functions/domain/claim.js';
import { chainEvent, type HistoryEntry, type HistoryEvent } from '../../functions/domain/history.js';
import type { EmailTemplate } from '../../functions/domain/lifecycle.js';
import { renderEmail } from '../../functions/emails/templates.js';
import {
  type ClaimSnapshot,
  checkClaims,
  checkDeadlines,
  emailKind,
  requiredEmails,
  Violations,
} from '../bench/load-checker.js';
import type { Journey } from '../bench/load-journey.js';
import { claimDraft, draftCustomer } from '../support/claim-draft.js';

const claim: Claim = {
  id: 'c-1',
  partnerId: 'p-1',
  status: 'rejected',
  version: 6,
  ...claimDraft({
    name: 'Rollout lt000007 A',
    customer: draftCustomer({
      tenantId: 't',
      domain: 'lt000007.example.com',
      contact: { name: 'Chris', email: 'chris@lt000007.example.com' },
    }),
  }),
  deadlines: { disputeBy: '2026-04-01T00:00:00.000Z' },
  statusSince: '2026-03-01T00:00:00.000Z',
  rejection: { reason: 'insufficientPoe', comment: 'No.', at: '2026-03-01T00:00:00.000Z', final: false },
  dispute: { justification: 'J', documentIds: [], openedAt: '2026-03-01T00:00:00.000Z', outcome: 'upheld' },
  slaBreaches: [],
  createdAt: '2026-03-01T00:00:00.000Z',
  updatedAt: '2026-03-01T00:00:00.000Z',
  createdBy: 'alice',
};

const entries: HistoryEntry[] = [
  { type: 'create', toStatus: 'editing', version: 1 },
  { type: 'comment', comment: 'lt000007 comment 1 try 1', version: 1 },
  { type: 'submit', fromStatus: 'editing', toStatus: 'submitted', version: 2 },
  { type: 'startReview', fromStatus: 'submitted', toStatus: 'underReview', version: 3 },
  { type: 'requestInfo', fromStatus: 'underReview', toStatus: 'partnerActionRequired', version: 4 },
  { type: 'deadlineExpired', fromStatus: 'partnerActionRequired', toStatus: 'rejected', version: 5 },
  // The dispute window's end keeps the status: no second rejection email.
  { type: 'deadlineExpired', fromStatus: 'rejected', toStatus: 'rejected', version: 6 },
];

function chain(list: HistoryEntry[]): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  for (const [i, entry] of list.entries()) {
    const at = `2026-03-01T00:00:0${i}.000Z`;
    events.push(
      chainEvent(entry, { id: `e${i}`, claimId: claim.id, at, actor: { kind: 'system' } }, events.at(-1)),
    );
  }
  return events;
}

function snapshot(history = chain(entries), overrides: Partial<Claim> = {}): ClaimSnapshot {
  return {
    claim: { ...claim, ...overrides },
    head: { seq: history.length, hash: history.at(-1)?.hash ?? '' },
    history,
    documents: [],
  };
}

function journey(overrides: Partial<Journey> = {}): Journey {
  return {
    index: 7,
    tag: 'lt000007',
    plan: 'infoTimeout',
    disputeOutcome: 'upheld',
    partner: 0,
    claimId: claim.id,
    ackedVersions: [1, 2, 3, 4],
    ackedComments: ['lt000007 comment 1 try 1'],
    uploads: [],
    outcome: 'done',
    notes: [],
    ...overrides,
  };
}

/** The claim with what every template needs to render. */
const mailable: Claim = {
  ...claim,
  deadlines: { partnerResponseBy: '2026-03-09T00:00:00.000Z', consentEndsAt: '2026-03-08T00:00:00.000Z' },
  infoRequest: { reasons: ['missingOrOldDates'], comment: 'Dates?', at: '2026-03-01T00:00:00.000Z' },
  consent: { status: 'pending', endsAt: '2026-03-08T00:00:00.000Z' },
};
const subjectOf = (template: EmailTemplate) =>
  renderEmail(template, mailable, {
    optOutUrl: 'http://x/consent/t',
    portalUrl: 'http://x/console',
    timeZone: 'UTC',
  }).subject;
const inbox = (...templates: EmailTemplate[]) =>
  templates.map((t, i) => ({ messageId: `m${i}`, subject: subjectOf(t) }));

describe('the load checker', () => {
  it('recognises each template from its subject (so emails are matched to their claim and kind)', () => {
    for (const template of ['consentRequest', 'rejection', 'infoRequest', 'disputeOutcome'] as const) {
      const subject = subjectOf(template);
      expect(emailKind(subject)).toBe(template);
      expect(subject).toContain('lt000007');
    }
  });

  it('requires the emails the history asks for, once per transition', () => {
    expect(requiredEmails(chain(entries))).toEqual(['infoRequest', 'rejection']);
  });

  it('finds nothing wrong with a consistent claim', () => {
    const violations = new Violations();
    checkClaims([journey()], [snapshot()], inbox('infoRequest', 'rejection'), violations);
    expect(violations.total).toBe(0);
  });

  it('reports a duplicated claim, a lost email, a duplicated comment, a lost write and a stuck upload', () => {
    const violations = new Violations();
    const history = chain([...entries, entries[1] as HistoryEntry]);
    const stuck = { documentId: 'd-1', accepted: true };
    const doc = { id: 'd-1', status: 'pendingUpload' } as ClaimSnapshot['documents'][number];
    checkClaims(
      [journey({ uploads: [stuck], ackedVersions: [1, 9] })],
      [{ ...snapshot(history), documents: [doc] }, snapshot(chain(entries), { id: 'c-2' })],
      inbox('infoRequest'),
      violations,
    );
    expect(violations.counts()).toMatchObject({
      duplicatedClaims: 1,
      lostEmails: 2, // the rejection, on each of the two claims
      duplicatedComments: 1,
      lostWrites: 1,
      stuckUploads: 1,
      brokenChains: 0,
    });
  });

  it('reports a broken chain, a head behind the history and a status that is not the replay', () => {
    const violations = new Violations();
    const tampered = chain(entries).map((e) => (e.seq === 2 ? { ...e, comment: 'edited' } : e));
    const behind = { ...snapshot(), head: { seq: 6, hash: 'x' } };
    checkClaims(
      [journey(), journey({ tag: 'lt000008', claimId: 'c-8' }), journey({ tag: 'lt000009', claimId: 'c-9' })],
      [
        snapshot(tampered),
        {
          ...behind,
          claim: {
            ...behind.claim,
            id: 'c-8',
            name: 'Rollout lt000008',
            customer: { ...claim.customer, domain: 'lt000008.example.com' },
          },
        },
        snapshot(chain(entries), {
          id: 'c-9',
          status: 'approved',
          name: 'Rollout lt000009',
          customer: { ...claim.customer, domain: 'lt000009.example.com' },
        }),
      ],
      [],
      violations,
    );
    expect(violations.counts()).toMatchObject({ brokenChains: 2, statusNotReplay: 1, lostClaims: 0 });
  });

  it('reports a lost claim and a failed journey', () => {
    const violations = new Violations();
    checkClaims([journey({ outcome: 'failed', failure: 'gave up' })], [], [], violations);
    expect(violations.counts()).toMatchObject({ lostClaims: 1, failedJourneys: 1 });
  });

  it('wants a timer for every future deadline, and every past one applied or flagged', () => {
    const now = new Date('2026-03-10T00:00:00.000Z');
    const violations = new Violations();
    const future = snapshot(undefined, { deadlines: { disputeBy: '2026-04-01T00:00:00.000Z' } });
    const armed = snapshot(undefined, { id: 'c-2', deadlines: { disputeBy: '2026-04-02T00:00:00.000Z' } });
    const overdue = snapshot(undefined, {
      id: 'c-3',
      status: 'partnerActionRequired',
      deadlines: { partnerResponseBy: '2026-03-09T00:00:00.000Z' },
    });
    const breached = snapshot(undefined, {
      id: 'c-4',
      status: 'underReview',
      deadlines: { decisionBy: '2026-03-09T00:00:00.000Z' },
    });
    const flagged = snapshot(undefined, {
      id: 'c-5',
      status: 'underReview',
      deadlines: { decisionBy: '2026-03-09T00:00:00.000Z' },
      slaBreaches: [
        {
          deadline: 'decisionBy',
          status: 'underReview',
          dueAt: '2026-03-09T00:00:00.000Z',
          flaggedAt: '2026-03-09T00:00:01.000Z',
        },
      ],
    });
    const timers = [{ claimId: 'c-2', deadline: 'disputeBy', dueAt: '2026-04-02T00:00:00.000Z' }];
    const figures = checkDeadlines([future, armed, overdue, breached, flagged], timers, now, violations);
    expect(figures).toEqual({ liveDeadlines: 5, pendingTimers: 1 });
    expect(violations.counts()).toMatchObject({
      deadlinesWithoutTimer: 1,
      lostTimeouts: 1,
      unflaggedSlaBreaches: 1,
    });
  });
});
