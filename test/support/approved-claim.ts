/** An approved claim in its consent window: the sample the email tests render. */
import type { Claim } from '../../functions/domain/claim.js';
import { claimDraft } from './claim-draft.js';

export const approvedClaim: Claim = {
  id: 'c-1',
  partnerId: 'p-1',
  status: 'approved',
  version: 5,
  ...claimDraft({ name: 'Contoso rollout' }),
  deadlines: { consentEndsAt: '2026-12-01T17:00:00.000Z' },
  statusSince: '2026-11-24T17:00:00.000Z',
  consent: { status: 'pending', endsAt: '2026-12-01T17:00:00.000Z' },
  slaBreaches: [],
  createdAt: '2026-11-20T17:00:00.000Z',
  updatedAt: '2026-11-24T17:00:00.000Z',
  createdBy: 'alice',
};
