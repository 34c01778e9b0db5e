import { describe, expect, it } from 'vitest';
import { assertMayDecide, callerActor } from '../../functions/domain/actors.js';
import { createBusinessCalendar } from '../../functions/domain/business-calendar.js';
import { isAddressAtDomain } from '../../functions/domain/claim.js';
import { ActionForbiddenError, InvalidClaimInputError } from '../../functions/domain/errors.js';
import { applyAction, createClaim } from '../../functions/domain/lifecycle.js';
import { actors, draft } from './claim-fixtures.js';

const ctx = { now: new Date('2026-03-02T10:00:00Z'), calendar: createBusinessCalendar() };

describe('isAddressAtDomain', () => {
  it.each([
    ['chris@contoso.com', 'contoso.com', true],
    ['Chris@EU.Contoso.com', 'contoso.COM', true],
    ['chris@a.b.contoso.com', 'contoso.com', true],
    ['chris@notcontoso.com', 'contoso.com', false],
    ['chris@contoso.com.evil.example', 'contoso.com', false],
    ['contoso.com', 'contoso.com', false],
    ['chris@contoso.com', 'eu.contoso.com', false],
  ])('%s at %s: %s', (email, domain, expected) => {
    expect(isAddressAtDomain(email, domain)).toBe(expected);
  });
});

describe('the customer contact on create and edit', () => {
  it('refuses a new claim whose contact is not the customer’s, naming customer.contact.email', () => {
    const input = draft();
    input.customer.contact.email = 'pat@fabrikam.example';
    const attempt = () => createClaim({ id: 'c-1', draft: input, actor: actors.partner }, ctx);
    expect(attempt).toThrow(InvalidClaimInputError);
    expect(attempt).toThrow(expect.objectContaining({ field: 'customer.contact.email' }));
  });

  it('checks the merged claim: a domain change alone can orphan the contact', () => {
    const { claim } = createClaim({ id: 'c-1', draft: draft(), actor: actors.partner }, ctx);
    const edit = (patch: object) => () => applyAction(claim, { type: 'edit', patch }, actors.partner, ctx);
    expect(edit({ customer: { domain: 'fabrikam.example' } })).toThrow(
      expect.objectContaining({ field: 'customer.contact.email' }),
    );
    expect(edit({ customer: { contact: { email: 'pat@fabrikam.example' } } })).toThrow(
      InvalidClaimInputError,
    );
    expect(
      edit({ customer: { domain: 'fabrikam.example', contact: { email: 'it@fabrikam.example' } } }),
    ).not.toThrow();
  });
});

describe('callerActor and assertMayDecide', () => {
  it('keeps the partner of a reviewer who holds a partner role too', () => {
    expect(callerActor({ sub: 'r', roles: ['Reviewer', 'Partner.BillingAdmin'], partnerId: 'p-1' })).toEqual({
      kind: 'reviewer',
      sub: 'r',
      ownPartnerId: 'p-1',
    });
    expect(callerActor({ sub: 'r', roles: ['Reviewer'], partnerId: 'p-1' })).toEqual({
      kind: 'reviewer',
      sub: 'r',
    });
    expect(callerActor({ sub: 'p', roles: ['Partner.GlobalAdmin'], partnerId: 'p-1' })).toEqual({
      kind: 'partner',
      sub: 'p',
      partnerId: 'p-1',
    });
    expect(() => callerActor({ sub: 'p', roles: ['Partner.GlobalAdmin'], partnerId: '' })).toThrow(
      ActionForbiddenError,
    );
    expect(() => callerActor({ sub: 'x', roles: ['Admin'], partnerId: 'p-1' })).toThrow(ActionForbiddenError);
  });

  it('forbids a reviewer to decide a claim of its own partner, and only that', () => {
    const { claim } = createClaim({ id: 'c-1', draft: draft(), actor: actors.partner }, ctx);
    const submitted = { ...claim, status: 'submitted' as const };
    const own = { kind: 'reviewer' as const, sub: 'r', ownPartnerId: actors.partner.partnerId };
    expect(() => assertMayDecide(own, claim)).toThrow(ActionForbiddenError);
    expect(() => applyAction(submitted, { type: 'startReview' }, own, ctx)).toThrow(/may not decide/);
    expect(() =>
      applyAction(submitted, { type: 'startReview' }, { ...own, ownPartnerId: 'other' }, ctx),
    ).not.toThrow();
    expect(() => applyAction(submitted, { type: 'startReview' }, actors.reviewer, ctx)).not.toThrow();
  });
});
