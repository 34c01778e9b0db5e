/**
 * Request and response schemas of the claims API. Strict: unknown fields are rejected.
 * The OpenAPI document is generated from these same schemas.
 */
import { z } from 'zod';
import {
  ACTIVITIES,
  CLAIM_STATUSES,
  DEADLINE_KINDS,
  INFO_REQUEST_REASONS,
  isAddressAtDomain,
  PRODUCT_FAMILIES,
  REJECTION_REASONS,
  REVIEWER_REJECTION_REASONS,
} from '../domain/claim.js';
import { customerContactReason } from '../domain/lifecycle.js';

/** Control characters have no place in names and would enable header injection in emails. */
const CONTROL_CHARACTER = /[\p{Cc}\u2028\u2029]/u;
const MULTILINE_CONTROL_CHARACTER = /[^\P{Cc}\n\r\t]/u;
/**
 * Lone surrogates (not valid UTF-8: DynamoDB and SES cannot carry them) and bidi overrides,
 * embeddings and isolates (they make shown text read differently from what it is).
 */
const UNSAFE_UNICODE = /[\p{Cs}\u202A-\u202E\u2066-\u2069]/u;
/** Blank once invisible characters (format characters such as zero-width spaces) are set aside. */
const isBlank = (s: string) => s.replace(/[\p{Cf}\p{Z}\s]/gu, '').length === 0;

/** Free text of at most `max` characters, trimmed, non-empty, without control characters. */
export const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !CONTROL_CHARACTER.test(s), 'must not contain control characters')
    .refine((s) => !UNSAFE_UNICODE.test(s), 'must not contain lone surrogates or bidi controls')
    .refine((s) => s === '' || !isBlank(s), 'must not be blank');

/** Multi-line text (comments, justifications): newlines and tabs allowed, other controls not. */
export const longText = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine(
      (s) => !MULTILINE_CONTROL_CHARACTER.test(s),
      'must not contain control characters other than line breaks and tabs',
    )
    .refine((s) => !UNSAFE_UNICODE.test(s), 'must not contain lone surrogates or bidi controls')
    .refine((s) => s === '' || !isBlank(s), 'must not be blank');

export const email = z
  .email('must be an email address')
  .max(254, 'must be at most 254 characters')
  .refine((s) => !CONTROL_CHARACTER.test(s), 'must not contain control characters');

export const contactSchema = z.strictObject({ name: text(200), email });

/** Customer tenant: an Entra ID tenant GUID. */
export const tenantIdSchema = z.guid('must be a GUID').transform((id) => id.toLowerCase());

export const domainSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(253, 'must be at most 253 characters')
  .regex(
    /^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$/,
    'must be a DNS domain name',
  );

/** Microsoft AI Cloud Partner Program (formerly MPN) id: digits only. */
export const mpnIdSchema = z
  .string()
  .trim()
  .regex(/^\d{6,10}$/, 'must be 6 to 10 digits');

/** The partner organisation's display name (api.md v1.1), shown to the customer. */
export const partnerNameSchema = text(200).describe(
  "The partner organisation's display name, shown to the customer in the consent email and page",
);

export const productSchema = z.strictObject({ family: z.enum(PRODUCT_FAMILIES), workload: text(100) });
export const productsSchema = z
  .array(productSchema)
  .min(1, 'must list at least one product')
  .max(20, 'must list at most 20 products');

export const claimDraftSchema = z
  .strictObject({
    name: text(200),
    customer: z
      .strictObject({ tenantId: tenantIdSchema, domain: domainSchema, contact: contactSchema })
      .refine((customer) => isAddressAtDomain(customer.contact.email, customer.domain), {
        path: ['contact', 'email'],
        error: (issue) => customerContactReason((issue.input as { domain: string }).domain),
        // Only a valid address and domain are compared: a malformed one has its own error.
        when: (payload) => payload.issues.length === 0,
      }),
    partner: z.strictObject({
      mpnId: mpnIdSchema,
      name: partnerNameSchema.optional(),
      contact: contactSchema,
    }),
    activity: z.enum(ACTIVITIES),
    products: productsSchema,
  })
  .meta({ id: 'ClaimDraft' });
export type ClaimDraftInput = z.infer<typeof claimDraftSchema>;

/** A valid claim draft, published as the create route's example. */
export const CLAIM_DRAFT_EXAMPLE: z.input<typeof claimDraftSchema> = {
  name: 'Contoso Dynamics 365 rollout',
  customer: {
    tenantId: '8f0c2a5e-4b1d-4c3e-9a7f-1e2d3c4b5a69',
    domain: 'contoso.com',
    contact: { name: 'Chris', email: 'chris@contoso.com' },
  },
  partner: { mpnId: '1234567', contact: { name: 'Pat', email: 'pat@fabrikam.com' } },
  activity: 'preSales',
  products: [{ family: 'businessApplications', workload: 'Dynamics 365 Sales' }],
};

const isoInstant = z.iso.datetime();

export const deadlinesSchema = z.strictObject(
  Object.fromEntries(DEADLINE_KINDS.map((kind) => [kind, isoInstant.optional()])) as Record<
    (typeof DEADLINE_KINDS)[number],
    z.ZodOptional<typeof isoInstant>
  >,
);

export const claimResourceSchema = z.object({
  id: z.string(),
  partnerId: z.string(),
  status: z.enum(CLAIM_STATUSES),
  version: z.number().int(),
  name: z.string(),
  customer: z.object({ tenantId: z.string(), domain: z.string(), contact: contactSchema }),
  partner: z.object({ mpnId: z.string(), name: z.string().optional(), contact: contactSchema }),
  activity: z.enum(ACTIVITIES),
  products: z.array(productSchema),
  deadlines: deadlinesSchema,
  infoRequest: z
    .object({
      reasons: z.array(z.enum(INFO_REQUEST_REASONS)),
      comment: z.string(),
      at: isoInstant,
      answeredAt: isoInstant.optional().describe('Set when the partner resubmitted in answer'),
    })
    .optional(),
  rejection: z
    .object({ reason: z.enum(REJECTION_REASONS), comment: z.string(), at: isoInstant, final: z.boolean() })
    .optional(),
  consent: z.object({ status: z.enum(['pending', 'denied', 'periodEnded']), endsAt: isoInstant }).optional(),
  incentiveAssessment: z.object({ status: z.literal('pending'), at: isoInstant }).optional(),
  dispute: z
    .object({
      justification: z.string(),
      documentIds: z.array(z.string()),
      openedAt: isoInstant,
      outcome: z.enum(['overturned', 'upheld']).optional(),
    })
    .optional(),
  createdAt: isoInstant,
  updatedAt: isoInstant,
});

export const LIST_LIMIT = { default: 25, max: 100 } as const;

/** A page's `limit` query parameter. */
const pageLimit = (bounds: { default: number; max: number }) =>
  z.coerce
    .number('must be a number')
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(bounds.max, `must be at most ${bounds.max}`)
    .default(bounds.default);
/** A page's `cursor` query parameter (its `nextCursor`). */
const pageCursor = z.string().max(4096, 'is too long').optional();

export const listClaimsQuerySchema = z.strictObject({
  status: z.enum(CLAIM_STATUSES).optional(),
  customerTenantId: tenantIdSchema.optional(),
  limit: pageLimit(LIST_LIMIT),
  /** `oldest` serves the reviewer's work queue (e.g. `status=submitted&order=oldest`). */
  order: z.enum(['newest', 'oldest']).default('newest'),
  cursor: pageCursor,
});
export type ListClaimsQuery = z.infer<typeof listClaimsQuerySchema>;

export const HISTORY_PAGE_LIMIT = { default: 100, max: 500 } as const;

/** `GET …/history` and `GET …/comments`: pages, oldest first. */
export const historyPageQuerySchema = z.strictObject({
  limit: pageLimit(HISTORY_PAGE_LIMIT),
  cursor: pageCursor,
});

const optionalComment = { comment: longText(4000).optional() };

/** PATCH body (JSON merge patch): every field optional; `null` would delete a required field, so it is refused. */
export const claimPatchSchema = z
  .strictObject({
    name: text(200).optional(),
    customer: z
      .strictObject({
        tenantId: tenantIdSchema.optional(),
        domain: domainSchema.optional(),
        contact: z.strictObject({ name: text(200).optional(), email: email.optional() }).optional(),
      })
      .optional(),
    partner: z
      .strictObject({
        mpnId: mpnIdSchema.optional(),
        // Optional on the claim, so `null` removes it (JSON merge patch).
        name: partnerNameSchema.nullable().optional(),
        contact: z.strictObject({ name: text(200).optional(), email: email.optional() }).optional(),
      })
      .optional(),
    activity: z.enum(ACTIVITIES).optional(),
    products: productsSchema.optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, {
    message: 'must change at least one field',
    // A body of unknown fields is refused for those fields alone, not also as "empty".
    when: (payload) => payload.issues.length === 0,
  })
  .meta({ id: 'ClaimPatch' });
export type ClaimPatchInput = z.infer<typeof claimPatchSchema>;

export const commentOnlySchema = z.strictObject(optionalComment);

export const requestInfoSchema = z.strictObject({
  reasons: z
    .array(z.enum(INFO_REQUEST_REASONS))
    .min(1, 'must name at least one reason')
    .refine((reasons) => new Set(reasons).size === reasons.length, 'must not repeat a reason'),
  comment: longText(4000),
});

export const rejectSchema = z.strictObject({
  reason: z.enum(REVIEWER_REJECTION_REASONS),
  comment: longText(4000),
});

export const disputeSchema = z
  .strictObject({
    justification: longText(8000).optional(),
    documentIds: z
      .array(z.uuid('must be a document id'))
      .max(50, 'must list at most 50 documents')
      .optional(),
  })
  .refine((d) => d.justification !== undefined || (d.documentIds?.length ?? 0) > 0, {
    message: 'must give a justification and/or documentIds',
    path: ['justification'],
  });

export const resolveDisputeSchema = z.strictObject({
  outcome: z.enum(['overturned', 'upheld']),
  comment: longText(4000),
});

export const addCommentSchema = z.strictObject({ text: longText(4000) });

// Responses. `meta({ id })` names a schema in the OpenAPI document's `components/schemas`.

/** The claim as a caller sees it (`claimResource`): a partner learns only whether a conflict exists. */
export const claimViewSchema = claimResourceSchema
  .extend({
    conflict: z.object({ exists: z.boolean(), claimIds: z.array(z.string()).optional() }),
  })
  .meta({ id: 'Claim' });
/** One event of a claim's history, as hashed. */
export const historyEventSchema = z
  .object({
    id: z.string(),
    claimId: z.string(),
    seq: z.number().int(),
    at: z
      .string()
      .describe(
        'When it took effect; a timeout (`deadlineExpired`) is dated at its deadline, see `appliedAt`',
      ),
    appliedAt: z.string().optional().describe('A timeout only: when it was applied, at or after `at`'),
    type: z.string(),
    actor: z.object({
      kind: z.enum(['partner', 'reviewer', 'customer', 'system']),
      sub: z.string().optional(),
      partnerId: z.string().optional(),
    }),
    fromStatus: z.string().optional(),
    toStatus: z.string().optional(),
    changes: z.array(z.object({ field: z.string(), from: z.unknown(), to: z.unknown() })).optional(),
    comment: z.string().optional(),
    reason: z.enum(REJECTION_REASONS).optional(),
    reasons: z.array(z.enum(INFO_REQUEST_REASONS)).optional(),
    deadline: z.enum(DEADLINE_KINDS).optional(),
    documentId: z.string().optional(),
    version: z.number().int(),
    prevHash: z.string().describe('`hash` of the previous event (64 zeros for the first)'),
    hash: z.string().describe('SHA-256 of the event without `hash`, as JSON with keys sorted at every level'),
    redacted: z
      .literal(true)
      .optional()
      .describe(
        'Partners only: other partners’ claim ids were replaced by `conflict.exists`; `hash` covers the original',
      ),
  })
  .meta({ id: 'HistoryEvent' });
export const historyVerificationSchema = z
  .object({
    valid: z.boolean(),
    seq: z.number().int().optional().describe('The first event that breaks the chain'),
    problem: z.string().optional(),
  })
  .meta({
    id: 'HistoryVerification',
    description:
      'The service re-checked the hash chain on this read: `valid: false` means stored history was altered',
  });
/** A comment, as listed and as created. */
export const commentSchema = z
  .object({
    id: z.string(),
    text: z.string(),
    author: historyEventSchema.shape.actor,
    at: z.string(),
    claimStatus: z.string().optional(),
  })
  .meta({ id: 'Comment' });

export const pageCursorSchema = z
  .string()
  .nullable()
  .describe(
    'Pass as `cursor` for the next page; `null` on the last. A page may hold fewer than `limit` items (responses stay under 4 MiB)',
  );
