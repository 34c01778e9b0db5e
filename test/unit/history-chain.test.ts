import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Actor } from '../../functions/domain/claim.js';
import {
  canonicalJson,
  chainEvent,
  GENESIS_HASH,
  type HistoryEntry,
  type HistoryEvent,
  hashEvent,
  historyActor,
  verifyHistoryChain,
} from '../../functions/domain/history.js';
import { actors } from './claim-fixtures.js';

const CLAIM_ID = 'claim-h';

function chain(entries: readonly { entry: HistoryEntry; actor: Actor }[]): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  for (const [index, { entry, actor }] of entries.entries()) {
    const prev = events.at(-1);
    const at = new Date(Date.UTC(2026, 2, 2, 17, index)).toISOString();
    events.push(chainEvent(entry, { id: `evt-${index + 1}`, claimId: CLAIM_ID, at, actor }, prev));
  }
  return events;
}

/** A small realistic history: create, edit, comment, submit, start review. */
function sampleHistory(): HistoryEvent[] {
  return chain([
    { entry: { type: 'create', toStatus: 'editing', changes: [], version: 1 }, actor: actors.partner },
    {
      entry: {
        type: 'edit',
        fromStatus: 'editing',
        toStatus: 'editing',
        changes: [{ field: 'partner.mpnId', from: '1234567', to: '7654321' }],
        version: 2,
      },
      actor: actors.partner,
    },
    { entry: { type: 'comment', comment: 'SOW attached.', version: 2 }, actor: actors.partner },
    {
      entry: { type: 'submit', fromStatus: 'editing', toStatus: 'submitted', changes: [], version: 3 },
      actor: actors.partner,
    },
    {
      entry: {
        type: 'startReview',
        fromStatus: 'submitted',
        toStatus: 'underReview',
        changes: [],
        version: 4,
      },
      actor: actors.reviewer,
    },
  ]);
}

type Tamper = (events: HistoryEvent[]) => HistoryEvent[];

/** Replaces event `index` (0-based) by `change(event)`, leaving its stored hash as it was. */
function edit(index: number, change: (event: HistoryEvent) => HistoryEvent): Tamper {
  return (events) => events.map((event, i) => (i === index ? change(structuredClone(event)) : event));
}

/** Like `edit`, but the forger also recomputes the edited event's own hash. */
function editAndReseal(index: number, change: (event: HistoryEvent) => HistoryEvent): Tamper {
  return edit(index, (event) => {
    const { hash: _old, ...content } = change(event);
    return { ...content, hash: hashEvent(content) };
  });
}

describe('chainEvent', () => {
  it('links each event to the one before, from the genesis hash, numbering from 1', () => {
    const events = sampleHistory();
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(events[0]?.prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < events.length; i++) expect(events[i]?.prevHash).toBe(events[i - 1]?.hash);
    for (const event of events) expect(event.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(events.map((e) => e.hash)).size).toBe(events.length);
  });

  it('records only the identity the token asserted', () => {
    const actor = { ...actors.partner, roles: ['Partner.GlobalAdmin'], token: 'eyJ…' } as unknown as Actor;
    expect(historyActor(actor)).toEqual({ kind: 'partner', sub: 'user-p1', partnerId: 'partner-1' });
    expect(historyActor({ ...actors.reviewer, email: 'r@x' } as unknown as Actor)).toEqual({
      kind: 'reviewer',
      sub: 'user-r1',
    });
    expect(historyActor(actors.customer)).toEqual({ kind: 'customer' });
    expect(historyActor(actors.system)).toEqual({ kind: 'system' });
  });

  it('is deterministic: the same entry, meta and predecessor give the same hash', () => {
    expect(sampleHistory()).toEqual(sampleHistory());
  });
});

describe('verifyHistoryChain', () => {
  it('accepts an untouched chain, and the empty chain', () => {
    expect(verifyHistoryChain(sampleHistory())).toEqual({ valid: true });
    expect(verifyHistoryChain([])).toEqual({ valid: true });
  });

  it('accepts the chain after a JSON round trip (as stored and read back)', () => {
    expect(verifyHistoryChain(JSON.parse(JSON.stringify(sampleHistory())))).toEqual({ valid: true });
  });

  const tampering: { what: string; tamper: Tamper; seq: number }[] = [
    { what: 'a comment text', tamper: edit(2, (e) => ({ ...e, comment: 'No SOW.' })), seq: 3 },
    { what: 'a comment removed', tamper: edit(2, ({ comment: _c, ...e }) => e), seq: 3 },
    {
      what: 'the actor sub',
      tamper: edit(1, (e) => ({ ...e, actor: { ...actors.partner, sub: 'mallory' } })),
      seq: 2,
    },
    { what: 'the actor kind', tamper: edit(4, (e) => ({ ...e, actor: { kind: 'system' } })), seq: 5 },
    {
      what: 'the partner of the actor',
      tamper: edit(0, (e) => ({ ...e, actor: { ...actors.partner, partnerId: 'p-9' } })),
      seq: 1,
    },
    { what: 'the target status', tamper: edit(3, (e) => ({ ...e, toStatus: 'approved' })), seq: 4 },
    { what: 'the source status', tamper: edit(4, (e) => ({ ...e, fromStatus: 'editing' })), seq: 5 },
    { what: 'the event type', tamper: edit(3, (e) => ({ ...e, type: 'withdraw' })), seq: 4 },
    {
      what: 'a field change value',
      tamper: edit(1, (e) => ({
        ...e,
        changes: [{ field: 'partner.mpnId', from: '1234567', to: '0000000' }],
      })),
      seq: 2,
    },
    { what: 'a field change removed', tamper: edit(1, (e) => ({ ...e, changes: [] })), seq: 2 },
    { what: 'an added field', tamper: edit(2, (e) => ({ ...e, reason: 'insufficientPoe' })), seq: 3 },
    { what: 'the version', tamper: edit(3, (e) => ({ ...e, version: 9 })), seq: 4 },
    { what: 'the time', tamper: edit(2, (e) => ({ ...e, at: '2020-01-01T00:00:00.000Z' })), seq: 3 },
    { what: 'the claim id', tamper: edit(0, (e) => ({ ...e, claimId: 'claim-x' })), seq: 1 },
    { what: 'the event id', tamper: edit(1, (e) => ({ ...e, id: 'evt-x' })), seq: 2 },
    { what: 'the stored hash', tamper: edit(2, (e) => ({ ...e, hash: 'f'.repeat(64) })), seq: 3 },
    { what: 'the prevHash', tamper: edit(3, (e) => ({ ...e, prevHash: GENESIS_HASH })), seq: 4 },
    { what: 'the seq', tamper: edit(1, (e) => ({ ...e, seq: 5 })), seq: 5 },
    { what: 'the seq, resealed', tamper: editAndReseal(1, (e) => ({ ...e, seq: 7 })), seq: 7 },
    { what: 'a comment, resealed', tamper: editAndReseal(2, (e) => ({ ...e, comment: 'No SOW.' })), seq: 4 },
    {
      what: 'the first event, resealed',
      tamper: editAndReseal(0, (e) => ({ ...e, toStatus: 'submitted' })),
      seq: 2,
    },
    {
      what: 'two events swapped',
      tamper: (es) => [es[0], es[2], es[1], es[3], es[4]] as HistoryEvent[],
      seq: 3,
    },
    { what: 'the order reversed', tamper: (es) => [...es].reverse(), seq: 5 },
    { what: 'a middle event deleted', tamper: (es) => es.filter((_, i) => i !== 2), seq: 4 },
    { what: 'the first event deleted', tamper: (es) => es.slice(1), seq: 2 },
    {
      what: 'an event duplicated',
      tamper: (es) => [...es.slice(0, 3), es[2], ...es.slice(3)] as HistoryEvent[],
      seq: 3,
    },
    {
      what: 'a forged event inserted and sealed onto its predecessor',
      tamper: (es) => {
        const forged = chainEvent(
          { type: 'comment', comment: 'Approved by phone.', version: 2 },
          { id: 'evt-f', claimId: CLAIM_ID, at: es[2]?.at as string, actor: actors.reviewer },
          es[2],
        );
        return [...es.slice(0, 3), forged, ...es.slice(3)];
      },
      seq: 4,
    },
  ];

  it.each(tampering)('detects $what (reported at seq $seq)', ({ tamper, seq }) => {
    const result = verifyHistoryChain(tamper(sampleHistory()));
    expect(result.valid).toBe(false);
    expect(result).toMatchObject({ seq, problem: expect.any(String) });
  });

  // The chain alone cannot tell a prefix from the whole: the claim item stores the head
  // (seq + hash) in the same transaction, and that is what anchors the end of the chain.
  it('accepts any prefix, so truncation is caught only against the stored head', () => {
    const events = sampleHistory();
    for (let n = 0; n <= events.length; n++)
      expect(verifyHistoryChain(events.slice(0, n))).toEqual({ valid: true });
  });
});

describe('random histories', () => {
  const entry: fc.Arbitrary<HistoryEntry> = fc.record(
    {
      type: fc.constantFrom(
        'create',
        'edit',
        'comment',
        'submit',
        'withdraw',
        'deadlineExpired',
        'documentAvailable',
      ),
      toStatus: fc.constantFrom('editing', 'submitted', 'underReview', 'rejected'),
      comment: fc.string(),
      changes: fc.array(fc.record({ field: fc.string(), from: fc.jsonValue(), to: fc.jsonValue() }), {
        maxLength: 3,
      }),
      documentId: fc.uuid(),
      version: fc.nat(),
    },
    { requiredKeys: ['type', 'version'] },
  );
  const actor = fc.constantFrom<Actor>(actors.partner, actors.reviewer, actors.customer, actors.system);
  const history = fc.array(fc.record({ entry, actor }), { minLength: 1, maxLength: 12 });

  it('a chain built with chainEvent always verifies', () => {
    fc.assert(
      fc.property(history, (entries) => {
        expect(verifyHistoryChain(chain(entries))).toEqual({ valid: true });
      }),
      { numRuns: 200 },
    );
  });

  it('changing any top-level field of any event to another value is detected', () => {
    const fields = [
      'type',
      'toStatus',
      'comment',
      'changes',
      'documentId',
      'version',
      'id',
      'claimId',
      'seq',
      'at',
      'actor',
      'prevHash',
      'hash',
    ] as const;
    fc.assert(
      fc.property(
        history,
        fc.nat(),
        fc.constantFrom(...fields),
        fc.jsonValue(),
        (entries, pick, field, value) => {
          const events = chain(entries);
          const index = pick % events.length;
          const target = events[index] as HistoryEvent;
          fc.pre(canonicalJson(target[field]) !== canonicalJson(value));
          const tampered = events.map((e, i) =>
            i === index ? ({ ...e, [field]: value } as HistoryEvent) : e,
          );
          expect(verifyHistoryChain(tampered).valid).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });
});

/** Rebuilds every object with its keys in the order `order` gives (same content, new order). */
function reorderKeys(value: unknown, order: (keys: string[]) => string[]): unknown {
  if (Array.isArray(value)) return value.map((v) => reorderKeys(v, order));
  if (value !== null && typeof value === 'object') {
    const source = value as Record<string, unknown>;
    return Object.fromEntries(order(Object.keys(source)).map((k) => [k, reorderKeys(source[k], order)]));
  }
  return value;
}

describe('canonicalJson', () => {
  it('does not depend on key order at any level', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ y: 1, x: 2 }], c: null } })).toBe(
      canonicalJson({ a: { c: null, d: [{ x: 2, y: 1 }] }, b: 1 }),
    );
    expect(canonicalJson({ b: 1, a: { d: [{ y: 1, x: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[{"x":2,"y":1}]},"b":1}',
    );
  });

  it('is the same for any key order of any JSON value (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.infiniteStream(fc.nat()), (value, randoms) => {
        const shuffle = (keys: string[]) =>
          keys
            .map((k) => ({ k, r: randoms.next().value as number }))
            .sort((a, b) => a.r - b.r)
            .map(({ k }) => k);
        expect(canonicalJson(reorderKeys(value, shuffle))).toBe(canonicalJson(value));
        expect(canonicalJson(reorderKeys(value, (keys) => [...keys].reverse()))).toBe(canonicalJson(value));
      }),
      { numRuns: 300 },
    );
  });

  it('is valid JSON of the same value, and a fixed point (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
        expect(canonicalJson(JSON.parse(text))).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('tells different values apart (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        const same =
          JSON.stringify(reorderKeys(a, (k) => [...k].sort())) ===
          JSON.stringify(reorderKeys(b, (k) => [...k].sort()));
        expect(canonicalJson(a) === canonicalJson(b)).toBe(same);
      }),
      { numRuns: 300 },
    );
  });

  it('ignores properties set to undefined, as JSON does', () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe(canonicalJson({ a: 1 }));
  });

  it('gives a hash that does not depend on key order', () => {
    const [event] = sampleHistory();
    const { hash, ...content } = event as HistoryEvent;
    const reversed = reorderKeys(content, (keys) => [...keys].reverse()) as Omit<HistoryEvent, 'hash'>;
    expect(hashEvent(reversed)).toBe(hash);
  });
});
