/**
 * The claim aggregate: plain data, shaped like the API's claim resource (api.md) plus the
 * bookkeeping the service needs. Pure: no AWS, no I/O, no ambient time.
 */

export const CLAIM_STATUSES = [
  'editing',
  'submitted',
  'underReview',
  'partnerActionRequired',
  'approved',
  'rejected',
  'disputed',
] as const;
export type ClaimStatus = (typeof CLAIM_STATUSES)[number];

export const REJECTION_REASONS = [
  'partnerRequest',
  'customerDecline',
  'insufficientPoe',
  'missingCustomerConsent',
  'missingProducts',
  'noPartnerResponse',
  'poeUnavailable',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/** Reasons a reviewer may pick in `reject` (the others are set by the system or another actor). */
export const REVIEWER_REJECTION_REASONS = [
  'insufficientPoe',
  'missingCustomerConsent',
  'missingProducts',
  'poeUnavailable',
] as const satisfies readonly RejectionReason[];
export type ReviewerRejectionReason = (typeof REVIEWER_REJECTION_REASONS)[number];

/** Rejections the partner may not dispute (design.md: partner request and customer decline). */
export const UNDISPUTABLE_REJECTION_REASONS: readonly RejectionReason[] = [
  'partnerRequest',
  'customerDecline',
];

export const INFO_REQUEST_REASONS = [
  'missingAllPoe',
  'missingCustomerAcknowledgment',
  'missingOrOldDates',
  'missingPartnerSolution',
  'missingProducts',
] as const;
export type InfoRequestReason = (typeof INFO_REQUEST_REASONS)[number];

export const ACTIVITIES = ['preSales', 'revenueAssociation'] as const;
export type Activity = (typeof ACTIVITIES)[number];

export const PRODUCT_FAMILIES = ['businessApplications', 'microsoft365'] as const;
export type ProductFamily = (typeof PRODUCT_FAMILIES)[number];

export const PARTNER_ROLES = [
  'Partner.GlobalAdmin',
  'Partner.BillingAdmin',
  'Partner.IncentivesAdmin',
] as const;
export const ROLES = [...PARTNER_ROLES, 'Reviewer'] as const;
export type Role = (typeof ROLES)[number];

/** Who acts. `customer` comes through a consent token, `system` through a timer. */
export type Actor =
  | { kind: 'partner'; sub: string; partnerId: string }
  | {
      kind: 'reviewer';
      sub: string;
      /**
       * The partner this reviewer also works for (the token carries a partner role and a
       * `partnerId` too): a reviewer may not decide that partner's claims.
       */
      ownPartnerId?: string;
    }
  | { kind: 'customer' }
  | { kind: 'system' };
export type ActorKind = Actor['kind'];

export interface Contact {
  name: string;
  email: string;
}

/** Who claims: the partner's program id, optional display name and contact. */
export interface PartnerDetails {
  mpnId: string;
  /**
   * The partner organisation's display name (api.md v1.1), shown to the customer in the
   * consent email and page; optional, since claims created before v1.1 have none.
   */
  name?: string;
  contact: Contact;
}

export interface Product {
  family: ProductFamily;
  workload: string;
}

/** Only the deadlines live in the claim's current status are present. ISO-8601 UTC. */
export interface Deadlines {
  reviewStartBy?: string;
  decisionBy?: string;
  partnerResponseBy?: string;
  consentEndsAt?: string;
  disputeBy?: string;
}
export type DeadlineKind = keyof Deadlines;
export const DEADLINE_KINDS = [
  'reviewStartBy',
  'decisionBy',
  'partnerResponseBy',
  'consentEndsAt',
  'disputeBy',
] as const satisfies readonly DeadlineKind[];

/** Review SLA breaches are flagged, never auto-decided (design.md). */
export interface SlaBreach {
  deadline: 'reviewStartBy' | 'decisionBy';
  status: ClaimStatus;
  dueAt: string;
  flaggedAt: string;
}

export interface Claim {
  id: string;
  partnerId: string;
  status: ClaimStatus;
  /** Bumped by every change of the claim resource; sent as the ETag. */
  version: number;
  name: string;
  customer: { tenantId: string; domain: string; contact: Contact };
  partner: PartnerDetails;
  activity: Activity;
  products: Product[];
  deadlines: Deadlines;
  /**
   * Internal, never shown: for each live deadline, the claim version whose transition armed
   * its timer. The timer's execution is named after it, so the transition that supersedes
   * the deadline can stop exactly that execution. Absent on claims written before it existed.
   */
  timerVersions?: Partial<Record<DeadlineKind, number>>;
  /** When the claim entered its current status; orders the reviewer queue. */
  statusSince: string;
  submittedAt?: string;
  /**
   * The reviewer's latest request for information; `answeredAt` is set when the partner
   * resubmitted in answer (the request stays for reference, no longer open).
   */
  infoRequest?: { reasons: InfoRequestReason[]; comment: string; at: string; answeredAt?: string };
  rejection?: { reason: RejectionReason; comment: string; at: string; final: boolean };
  consent?: { status: 'pending' | 'denied' | 'periodEnded'; endsAt: string };
  incentiveAssessment?: { status: 'pending'; at: string };
  dispute?: {
    justification: string;
    documentIds: string[];
    openedAt: string;
    outcome?: 'overturned' | 'upheld';
  };
  slaBreaches: SlaBreach[];
  /**
   * Other partners' claims holding the same customer tenant and product family, found when
   * this claim was (re)submitted. Reviewers see the ids; partners only that a conflict exists.
   */
  conflictingClaimIds?: string[];
  createdAt: string;
  updatedAt: string;
  createdBy: string;
}

/** The fields a partner sets when creating a claim. */
export interface ClaimDraft {
  name: string;
  customer: { tenantId: string; domain: string; contact: Contact };
  partner: PartnerDetails;
  activity: Activity;
  products: Product[];
}

/**
 * Whether `email` is an address at `domain` or at one of its subdomains, case-insensitively
 * (`chris@eu.contoso.com` belongs to `contoso.com`; `chris@notcontoso.com` does not).
 */
export function isAddressAtDomain(email: string, domain: string): boolean {
  const host = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
  const expected = domain.toLowerCase();
  return email.includes('@') && (host === expected || host.endsWith(`.${expected}`));
}
