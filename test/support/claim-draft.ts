/**
 * The one valid claim draft every test starts from (HTTP bodies, store fixtures, domain
 * tests, the benchmarks). A test overrides only what it is about, so the values it depends on
 * are written where it asserts them. Plain data, no vitest: the benchmarks import it too.
 */
import type { ClaimDraft, Contact } from '../../functions/domain/claim.js';

/** The customer's (Contoso's) Entra tenant id. */
export const TENANT = '8f0c2a5e-4b1d-4c3e-9a7f-1e2d3c4b5a69';

type Customer = ClaimDraft['customer'];

/** The draft's customer, with `overrides` applied (the contact's fields one by one). */
export function draftCustomer(
  overrides: Partial<Omit<Customer, 'contact'>> & { contact?: Partial<Contact> } = {},
): Customer {
  const { contact, ...rest } = overrides;
  return {
    tenantId: TENANT,
    domain: 'contoso.com',
    ...rest,
    contact: { name: 'Chris Customer', email: 'chris@contoso.com', ...contact },
  };
}

/**
 * A new valid draft (fresh objects: a test may mutate it), its top-level fields replaced by
 * `overrides`. HTTP tests may override with values of any type, to send invalid bodies.
 */
export function claimDraft<T extends Record<string, unknown> = Record<never, never>>(
  overrides: T = {} as T,
): Omit<ClaimDraft, keyof T> & T {
  return {
    name: 'Contoso Dynamics 365 rollout',
    customer: draftCustomer(),
    partner: { mpnId: '1234567', contact: { name: 'Pat Partner', email: 'pat@fabrikam.com' } },
    activity: 'preSales',
    products: [{ family: 'businessApplications', workload: 'Dynamics 365 Sales' }],
    ...overrides,
  };
}
