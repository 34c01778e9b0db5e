/** An approved claim in its consent window: the sample the email tests render. */
import type { Claim } from '../../functions/domain/claim.js';

export const approvedClaim: Claim = {
  id: 'c-1',
  partnerId: 'p-1',
  status: 'approved',
  version: 5,
  name: 'Contoso rollout',
  customer: {
    tenantId: '8f0c2a5e-4b1d-4c3e-9a7f-1e2d3c4b5a69',
    domain: 'contoso.com',
    contact: { name: 'Chris', email: 'chris@contoso.com' },
  },
  partner: { mpnId: '1234567', contact: { name: 'Pat', email: 'pat@fabrikam.com' } },
  activity: 'preSales',
  products: [{ family: 'microsoft365', workload: 'Teams' }],
  deadlines: { consentEndsAt: '2026-12-01T17:00:00.000Z' },
  statusSince: '2026-11-24T17:00:00.000Z',
  consent: { status: 'pending', endsAt: '2026-12-01T17:00:00.000Z' },
  slaBreaches: [],
  createdAt: '2026-11-20T17:00:00.000Z',
  updatedAt: '2026-11-24T17:00:00.000Z',
  createdBy: 'alice',
};
