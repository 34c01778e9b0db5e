import { describe, expect, it } from 'vitest';
import type { Claim, ClaimStatus } from '../../functions/domain/claim.js';
import { CLAIM_STATUSES } from '../../functions/domain/claim.js';
import {
  ActionForbiddenError,
  ClaimStatusConflictError,
  FieldNotEditableError,
} from '../../functions/domain/errors.js';
import {
  applyAction,
  type ClaimPatch,
  EDITABLE_FIELD_PATHS,
  EDITABLE_FIELDS,
  type EditableField,
  touchedFields,
} from '../../functions/domain/lifecycle.js';
import { actors, ctxAt, deepFreeze, HOUR, stage, thrown } from './claim-fixtures.js';

/** design.md: before submission anything; after it MPN, products and contacts; otherwise nothing. */
const AFTER_SUBMISSION: EditableField[] = [
  'partner.mpnId',
  // api.md v1.1: the display name names the same partner as the MPN id.
  'partner.name',
  'products',
  'partner.contact',
  'customer.contact',
];
const DESIGN_EDITABLE: Record<ClaimStatus, readonly EditableField[]> = {
  editing: EDITABLE_FIELD_PATHS,
  submitted: AFTER_SUBMISSION,
  partnerActionRequired: AFTER_SUBMISSION,
  underReview: [],
  approved: [],
  rejected: [],
  disputed: [],
};
/** Statuses in which the partner may edit at all; elsewhere the status itself refuses the edit. */
const EDIT_STATUSES = CLAIM_STATUSES.filter((s) => DESIGN_EDITABLE[s].length > 0);

/** One patch per field path, each changing the draft's value. */
const PATCHES: Record<EditableField, ClaimPatch> = {
  name: { name: 'Renamed claim' },
  'customer.tenantId': { customer: { tenantId: '0b8e6f3c-1d2a-4e5b-8c9d-7a6b5c4d3e2f' } },
  'customer.domain': { customer: { domain: 'eu.contoso.com' } },
  'customer.contact': { customer: { contact: { name: 'Bo Customer', email: 'bo@contoso.com' } } },
  'partner.mpnId': { partner: { mpnId: '7654321' } },
  'partner.name': { partner: { name: 'Fabrikam Ltd' } },
  'partner.contact': { partner: { contact: { name: 'Sam Partner', email: 'sam@fabrikam.example' } } },
  activity: { activity: 'revenueAssociation' },
  products: {
    products: [
      { family: 'microsoft365', workload: 'Teams' },
      { family: 'businessApplications', workload: 'Power Apps' },
    ],
  },
};

function get(claim: Claim, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown>)[key], claim);
}

const cells = EDITABLE_FIELD_PATHS.flatMap((field) => CLAIM_STATUSES.map((status) => ({ field, status })));

describe('editable fields per status (design.md)', () => {
  it('EDITABLE_FIELDS agrees with the design for every status', () => {
    for (const status of CLAIM_STATUSES) {
      expect([...EDITABLE_FIELDS[status]].sort()).toEqual([...DESIGN_EDITABLE[status]].sort());
    }
  });

  it('every field path has a patch here, and the patch touches exactly that field', () => {
    expect(Object.keys(PATCHES).sort()).toEqual([...EDITABLE_FIELD_PATHS].sort());
    for (const field of EDITABLE_FIELD_PATHS) expect(touchedFields(PATCHES[field])).toEqual([field]);
  });

  it.each(cells.filter((c) => DESIGN_EDITABLE[c.status].includes(c.field)))(
    '$field in $status → edited',
    ({ field, status }) => {
      const before = deepFreeze(stage(status));
      const now = new Date(before.now.getTime() + HOUR);

      const { claim, record, effects } = applyAction(
        before.claim,
        { type: 'edit', patch: PATCHES[field] },
        actors.partner,
        ctxAt(now),
      );

      expect(claim.status).toBe(status);
      expect(claim.version).toBe(before.claim.version + 1);
      expect(claim.updatedAt).toBe(now.toISOString());
      expect(claim.deadlines).toEqual(before.claim.deadlines);
      expect(effects).toEqual([]);
      // Only the patched field changed: put the old value back and the rest must be identical.
      const patched = structuredClone(claim) as unknown as Record<string, Record<string, unknown>>;
      const [head, tail] = field.split('.') as [string, string | undefined];
      const old = get(before.claim, field);
      if (tail) (patched[head] as Record<string, unknown>)[tail] = old;
      else (patched as Record<string, unknown>)[head] = old;
      expect(patched).toEqual({ ...before.claim, version: claim.version, updatedAt: claim.updatedAt });
      // …and the history records it, path by path.
      expect(record.type).toBe('edit');
      expect(record.changes.length).toBeGreaterThan(0);
      for (const change of record.changes) {
        expect(change.field === field || change.field.startsWith(`${field}.`)).toBe(true);
        // A field the claim did not have (the optional partner name) is recorded from null.
        expect(change.from).toEqual(get(before.claim, change.field) ?? null);
        expect(change.to).toEqual(get(claim, change.field));
      }
    },
  );

  it.each(
    cells.filter((c) => EDIT_STATUSES.includes(c.status) && !DESIGN_EDITABLE[c.status].includes(c.field)),
  )('$field in $status → FieldNotEditableError', ({ field, status }) => {
    const before = deepFreeze(stage(status));
    const error = thrown(() =>
      applyAction(before.claim, { type: 'edit', patch: PATCHES[field] }, actors.partner, ctxAt(before.now)),
    );
    expect(error).toBeInstanceOf(FieldNotEditableError);
    expect(error).toMatchObject({ status, fields: [field], kind: 'conflict' });
    expect((error as Error).message).toContain(`'${field}'`);
    expect((error as Error).message).toContain(`'${status}'`);
  });

  // Outside editing/submitted/partnerActionRequired the status forbids any edit (api.md: "409
  // where the status forbids the edit or the field"), so the error names the status.
  it.each(cells.filter((c) => !EDIT_STATUSES.includes(c.status)))(
    '$field in $status → ClaimStatusConflictError',
    ({ field, status }) => {
      const before = deepFreeze(stage(status));
      const error = thrown(() =>
        applyAction(before.claim, { type: 'edit', patch: PATCHES[field] }, actors.partner, ctxAt(before.now)),
      );
      expect(error).toBeInstanceOf(ClaimStatusConflictError);
      expect(error).toMatchObject({ status, action: 'edit', kind: 'conflict' });
    },
  );

  it.each(['reviewer', 'customer', 'system'] as const)('a %s may not edit', (kind) => {
    const { claim, now } = stage('editing');
    expect(
      thrown(() => applyAction(claim, { type: 'edit', patch: PATCHES.name }, actors[kind], ctxAt(now))),
    ).toBeInstanceOf(ActionForbiddenError);
  });
});

describe('edit', () => {
  it('refuses a mixed patch as a whole, naming only the refused fields', () => {
    const before = deepFreeze(stage('submitted'));
    const patch: ClaimPatch = { ...PATCHES.name, ...PATCHES['partner.mpnId'], ...PATCHES.activity };
    const error = thrown(() =>
      applyAction(before.claim, { type: 'edit', patch }, actors.partner, ctxAt(before.now)),
    );
    expect(error).toBeInstanceOf(FieldNotEditableError);
    expect((error as FieldNotEditableError).fields).toEqual(['name', 'activity']);
  });

  it('merges a partial contact', () => {
    const { claim } = stage('partnerActionRequired');
    const { claim: edited, record } = applyAction(
      claim,
      { type: 'edit', patch: { customer: { contact: { email: 'new@contoso.com' } } } },
      actors.partner,
      ctxAt(claim.updatedAt),
    );
    expect(edited.customer.contact).toEqual({ name: claim.customer.contact.name, email: 'new@contoso.com' });
    expect(record.changes).toEqual([
      { field: 'customer.contact.email', from: claim.customer.contact.email, to: 'new@contoso.com' },
    ]);
  });

  it("removes the partner's display name with null, keeping the rest of the partner", () => {
    const { claim } = stage('submitted');
    const named = applyAction(
      claim,
      { type: 'edit', patch: PATCHES['partner.name'] },
      actors.partner,
      ctxAt(claim.updatedAt),
    ).claim;
    const { claim: edited, record } = applyAction(
      named,
      { type: 'edit', patch: { partner: { name: null } } },
      actors.partner,
      ctxAt(named.updatedAt),
    );
    expect(edited.partner).toEqual(claim.partner);
    expect('name' in edited.partner).toBe(false);
    expect(record.changes).toEqual([{ field: 'partner.name', from: 'Fabrikam Ltd', to: null }]);
  });

  it('applies several editable fields at once in editing', () => {
    const { claim } = stage('editing');
    const patch: ClaimPatch = { ...PATCHES.name, ...PATCHES.activity, ...PATCHES.products };
    const { claim: edited, record } = applyAction(
      claim,
      { type: 'edit', patch },
      actors.partner,
      ctxAt(claim.updatedAt),
    );
    expect(edited).toMatchObject({ name: patch.name, activity: patch.activity, products: patch.products });
    expect(record.changes.map((c) => c.field).sort()).toEqual(['activity', 'name', 'products']);
  });

  it('does not share the patch arrays with the claim', () => {
    const { claim } = stage('editing');
    const products = [{ family: 'microsoft365' as const, workload: 'Teams' }];
    const { claim: edited } = applyAction(
      claim,
      { type: 'edit', patch: { products } },
      actors.partner,
      ctxAt(claim.updatedAt),
    );
    products.push({ family: 'microsoft365', workload: 'Exchange' });
    expect(edited.products).toHaveLength(1);
  });
});
