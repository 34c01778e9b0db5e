/**
 * Per-stage deployment configuration, read from the CDK context (`cdk.json` → `context.stages`)
 * and validated once at synth time, so a bad value stops `cdk synth` with the name of the key
 * instead of surfacing as a broken deployment.
 */
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import Holidays from 'date-holidays';
import { z } from 'zod';
import { ROLES } from '../functions/domain/claim.js';
import {
  DEFAULT_DOCUMENT_POLICY,
  DOCUMENT_CONTENT_TYPES,
  MAX_VERIFIABLE_BYTES,
  MEBIBYTE,
} from '../functions/domain/document.js';
import { DEFAULT_IDENTITY_CLAIMS } from '../functions/http/identity-claims.js';
import { hasFunctionEntry } from './constructs/service-function.js';

/** The context key that selects the stage (`--context stage=prod`). */
export const STAGE_CONTEXT_KEY = 'stage';
/** The context key that holds every stage's configuration. */
export const STAGES_CONTEXT_KEY = 'stages';
export const DEFAULT_STAGE = 'dev';

/** Retention periods CloudWatch Logs accepts (the numeric values of `RetentionDays`). */
const RETENTION_DAYS = new Set(
  Object.values(RetentionDays).filter((v): v is number => typeof v === 'number'),
);

const holidays = new Holidays();

/** An origin as a browser sends it in `Origin`: `https://host[:port]`, no path, no trailing slash. */
const httpsOrigin = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'https:' && url.origin === value;
    } catch {
      return false;
    }
  },
  {
    message:
      'must be an https origin like https://portal.example.com (no path, no trailing slash, no wildcard)',
  },
);

const httpsUrl = z.url({ protocol: /^https$/, message: 'must be an https URL' });

const businessCalendarSchema = z
  .strictObject({
    country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code like US'),
    region: z.string().min(1).optional(),
    timeZone: z
      .string()
      .refine(isIanaTimeZone, { message: 'must be an IANA time zone like America/Los_Angeles' }),
  })
  .superRefine((calendar, ctx) => {
    // Checked here so a calendar the functions would reject at cold start fails the synth instead.
    const countries = holidays.getCountries();
    if (!countries[calendar.country]) {
      ctx.addIssue({ code: 'custom', path: ['country'], message: 'is not a country known to date-holidays' });
      return;
    }
    if (calendar.region !== undefined && !holidays.getStates(calendar.country)?.[calendar.region]) {
      ctx.addIssue({
        code: 'custom',
        path: ['region'],
        message: `is not a region of ${calendar.country} known to date-holidays`,
      });
    }
  });

/** Issuer of Entra ID v2.0 tokens: `https://login.microsoftonline.com/<tenant id>/v2.0`. */
export const ENTRA_V2_ISSUER = /^https:\/\/login\.microsoftonline\.com\/[0-9a-f-]{36}\/v2\.0$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A DNS host name, lower-case, without scheme, port or trailing dot. */
const hostName = z
  .string()
  .regex(
    /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
    'must be a lower-case DNS name like claims.example.com (no scheme, no trailing dot)',
  );

/**
 * The API's custom domain: the stacks create the API Gateway domain name, the mapping to the
 * API and, with a hosted zone, the certificate (DNS-validated) and the alias record.
 */
const customDomainSchema = z
  .strictObject({
    /** The host of the API and of every consent link, e.g. `claims.example.com`. */
    domainName: hostName,
    /** An issued ACM certificate for `domainName` in the stage's region; absent: one is created in `hostedZone`. */
    certificateArn: z
      .string()
      .regex(
        /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/,
        'must be an ACM certificate ARN',
      )
      .optional(),
    /** The Route 53 public hosted zone of the domain: alias record (and certificate validation). */
    hostedZone: z
      .strictObject({
        id: z
          .string()
          .regex(/^Z[A-Z0-9]{1,31}$/, 'must be a Route 53 hosted zone id like Z0123456789ABCDEFGHIJ'),
        name: hostName,
      })
      .optional(),
  })
  .superRefine((domain, ctx) => {
    if (!domain.certificateArn && !domain.hostedZone) {
      ctx.addIssue({
        code: 'custom',
        path: ['certificateArn'],
        message:
          'is required without hostedZone (give an issued certificate, or a hosted zone to create one in)',
      });
    }
    const zone = domain.hostedZone?.name;
    if (zone && domain.domainName !== zone && !domain.domainName.endsWith(`.${zone}`)) {
      ctx.addIssue({
        code: 'custom',
        path: ['hostedZone', 'name'],
        message: `must be ${domain.domainName} or one of its parent domains`,
      });
    }
  });

/** Which token claims name the partner and the roles, and how IdP values map to API roles. */
const identityClaimsSchema = z.strictObject({
  /** Claim with the partner id; default `partnerId` (Entra directory extension: `extn.partnerId`). */
  partnerId: z.string().min(1).optional(),
  /** Claims with roles or groups; default `["roles"]`. */
  roles: z.array(z.string().min(1)).min(1, 'must name at least one claim').optional(),
  /** IdP value (app role, group name or object id) → API role; the API's role names map to themselves. */
  roleMapping: z
    .record(z.string().regex(/^\S+$/, 'must be a value without spaces'), z.enum(ROLES))
    .optional(),
});

/** PoE documents: the policy the API and the verifier enforce, and the malware scan. */
const documentsSchema = z.strictObject({
  /** Media types partners may upload; default: all the service can verify. */
  allowedContentTypes: z
    .array(z.enum(DOCUMENT_CONTENT_TYPES))
    .min(1, 'must name at least one type (or leave the key out)')
    .optional(),
  /** Largest file in MiB; default 25; at most what the verifier can hold in memory. */
  maxSizeMiB: z
    .number()
    .int()
    .min(1)
    .max(MAX_VERIFIABLE_BYTES / MEBIBYTE)
    .optional(),
  /** Documents per claim; default 50. */
  maxPerClaim: z.number().int().min(1).max(1000).optional(),
  /**
   * GuardDuty Malware Protection for S3 on uploads (billed per GB scanned): a document becomes
   * available only once scanned clean. Default false.
   */
  malwareScanning: z.boolean().optional(),
  /**
   * What happens to a final claim's documents, in days after upload: archived to Glacier
   * Instant Retrieval, then deleted. Default 90 and 2,557 (7 years).
   */
  finalClaimRetention: z
    .strictObject({
      archiveAfterDays: z.number().int().min(1).max(36_500),
      expireAfterDays: z.number().int().min(2).max(36_500),
    })
    .refine((r) => r.expireAfterDays > r.archiveAfterDays, {
      message: 'expireAfterDays must be later than archiveAfterDays',
      path: ['expireAfterDays'],
    })
    .optional(),
});

export const stageConfigSchema = z
  .strictObject({
    /**
     * A demonstration stage: example values (example.com hosts, the all-zero tenant, an
     * `EXAMPLE` user pool) are allowed. Without it they fail the synth, naming the key.
     */
    demo: z.boolean().optional(),
    /** Issuer of the portals' access tokens (Entra ID tenant or Cognito user pool); matched against `iss`. */
    jwtIssuer: httpsUrl.optional(),
    /** Accepted `aud` values (Entra ID application ID URI / Cognito app client ids). */
    jwtAudience: z.array(z.string().min(1)).min(1, 'must name at least one audience').optional(),
    /**
     * Create a Cognito user pool for the stage (stateful stack) and trust it: issuer and
     * audience then come from the pool and its portal app client.
     */
    cognito: z
      .strictObject({
        callbackUrls: z.array(httpsUrl).min(1, 'must name at least one URL'),
        logoutUrls: z.array(httpsUrl).min(1).optional(),
      })
      .optional(),
    /** Browser origins of the partner/reviewer portals allowed by CORS. */
    portalOrigins: z.array(httpsOrigin).min(1, 'must name at least one origin'),
    /** Where business days are counted (public holidays of a country/region, in one IANA zone). */
    businessCalendar: businessCalendarSchema,
    /** SES identity the service sends from (consent, rejection, info-request emails). */
    senderAddress: z.email({ message: 'must be an email address' }),
    /**
     * Public base URL for links in emails (consent pages), without a trailing slash, when
     * something else fronts the API (e.g. a CDN). Absent: the custom domain's URL, or else the
     * stage's own API URL (`https://<api-id>.execute-api.<region>.amazonaws.com`).
     */
    publicBaseUrl: httpsUrl
      .refine((value) => !value.endsWith('/'), { message: 'must not end with a slash' })
      .optional(),
    /**
     * The partner portal that partner emails link to, deep into the claim: its base URL
     * (links go to `<portalUrl>/claims/<claim id>`), or a URL with `{claimId}` where the portal
     * wants the id (`https://portal.example.com/#/cpor/{claimId}`). Absent: the service's own
     * console, `<public base URL>/console/claims/<claim id>`.
     */
    portalUrl: httpsUrl.optional(),
    /** A domain of the stage's own for the API and its consent links; absent: the API's URL. */
    customDomain: customDomainSchema.optional(),
    /** Retention of every log group of the stage, in days. */
    logRetentionDays: z
      .number()
      .int()
      .refine((days) => RETENTION_DAYS.has(days), {
        message: `must be a CloudWatch Logs retention period (${[...RETENTION_DAYS].sort((a, b) => a - b).join(', ')})`,
      }),
    /** Default throttling of the HTTP API stage (every route). */
    throttling: z.strictObject({
      /** Steady-state requests per second. */
      rateLimit: z.number().positive(),
      /** Requests allowed in a burst. */
      burstLimit: z.number().int().positive(),
    }),
    /**
     * OAuth scopes required on every JWT route (the token needs at least one of them in `scope`
     * or `scp`). Only for IdPs that issue scopes to the portals (Entra ID delegated permissions,
     * Cognito resource-server scopes); absent: issuer and audience alone are checked.
     */
    jwtScopes: z
      .array(z.string().regex(/^[\x21-\x7e]+$/, 'must be a scope name without spaces'))
      .min(1, 'must name at least one scope (or leave the key out)')
      .optional(),
    /** Who receives the alarm notifications (an SNS email subscription to confirm once); absent: none. */
    alarmEmail: z.email({ message: 'must be an email address' }).optional(),
    /**
     * Reserved concurrency per Lambda, keyed by entry name (`functions/<name>.ts`), e.g.
     * `{ "api": 200 }`. Caps a runaway function and guarantees it that much; absent: the function
     * shares the account's unreserved pool. Lambda refuses a reservation that leaves fewer than
     * 100 unreserved executions, so keep it out of stages in new accounts (quota often 10).
     */
    reservedConcurrency: z
      .record(z.string(), z.number().int().min(1, 'must be at least 1 (0 would stop the function)'))
      .superRefine((reservations, ctx) => {
        for (const name of Object.keys(reservations)) {
          if (!/^[a-z][a-z0-9-]*$/.test(name) || !hasFunctionEntry(name)) {
            ctx.addIssue({
              code: 'custom',
              path: [name],
              message: `names no function (functions/${name}.ts)`,
            });
          }
        }
      })
      .optional(),
    /** Which token claims carry the partner id and roles; absent: `partnerId` and `roles`. */
    identityClaims: identityClaimsSchema.optional(),
    /** PoE documents (policy and malware scanning); absent: the defaults. */
    documents: documentsSchema.optional(),
  })
  .superRefine((config, ctx) => {
    // Entra ID v2.0 access tokens carry the API app's client id (a GUID) in `aud`, never its
    // application ID URI; an `api://…` audience would refuse every real token.
    for (const key of ['jwtIssuer', 'jwtAudience'] as const) {
      if (config.cognito && config[key] !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: 'must be left out with cognito (the user pool gives it)',
        });
      }
      if (!config.cognito && config[key] === undefined) {
        ctx.addIssue({ code: 'custom', path: [key], message: 'is required (or configure cognito)' });
      }
    }
    if (config.jwtIssuer && ENTRA_V2_ISSUER.test(config.jwtIssuer)) {
      (config.jwtAudience ?? []).forEach((audience, index) => {
        if (!GUID.test(audience)) {
          ctx.addIssue({
            code: 'custom',
            path: ['jwtAudience', index],
            message:
              "must be the API app registration's Application (client) ID: Entra ID v2.0 access tokens carry it as aud",
          });
        }
      });
    }
    if (config.publicBaseUrl !== undefined && config.customDomain !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['publicBaseUrl'],
        message: 'must be left out with customDomain (the links then use https://<customDomain.domainName>)',
      });
    }
  });

export type StageConfig = z.infer<typeof stageConfigSchema>;

/**
 * The environment variables that carry a stage's document policy to the API and the verifier
 * (`functions/config.ts` reads them); unset ones keep the defaults of the domain.
 */
export function documentPolicyEnvironment(documents: StageConfig['documents']): Record<string, string> {
  return {
    DOCUMENT_ALLOWED_TYPES: (
      documents?.allowedContentTypes ?? DEFAULT_DOCUMENT_POLICY.allowedContentTypes
    ).join(','),
    DOCUMENT_MAX_BYTES: String(
      (documents?.maxSizeMiB ?? DEFAULT_DOCUMENT_POLICY.maxBytes / MEBIBYTE) * MEBIBYTE,
    ),
    DOCUMENT_MAX_PER_CLAIM: String(documents?.maxPerClaim ?? DEFAULT_DOCUMENT_POLICY.maxPerClaim),
  };
}

/** The environment variables that carry a stage's identity claim mapping to the API (`functions/config.ts`). */
export function identityClaimsEnvironment(claims: StageConfig['identityClaims']): Record<string, string> {
  return {
    AUTH_PARTNER_ID_CLAIM: claims?.partnerId ?? DEFAULT_IDENTITY_CLAIMS.partnerIdClaim,
    AUTH_ROLE_CLAIMS: (claims?.roles ?? DEFAULT_IDENTITY_CLAIMS.roleClaims).join(','),
    AUTH_ROLE_MAPPING: JSON.stringify(claims?.roleMapping ?? {}),
  };
}

/** A deployment stage and its validated configuration. */
export interface ResolvedStage {
  readonly stage: string;
  readonly config: StageConfig;
}

export class InvalidStageConfigError extends Error {
  override readonly name = 'InvalidStageConfigError';
}

/** Reads context values; an `App` or any construct's `node` fits (`tryGetContext`). */
export interface ContextReader {
  tryGetContext(key: string): unknown;
}

/**
 * The selected stage and its validated configuration.
 *
 * @throws InvalidStageConfigError naming the context key (e.g. `stages.prod.jwtIssuer`) when the
 *   stage is unknown or a value is missing or invalid.
 */
export function resolveStage(context: ContextReader): ResolvedStage {
  const stage = context.tryGetContext(STAGE_CONTEXT_KEY) ?? DEFAULT_STAGE;
  if (typeof stage !== 'string' || !/^[a-z][a-z0-9-]{0,15}$/.test(stage)) {
    throw new InvalidStageConfigError(
      `Invalid context "${STAGE_CONTEXT_KEY}": ${JSON.stringify(stage)} must be a short lower-case name like dev or prod.`,
    );
  }
  const stages = context.tryGetContext(STAGES_CONTEXT_KEY);
  if (typeof stages !== 'object' || stages === null || Array.isArray(stages)) {
    throw new InvalidStageConfigError(
      `Missing context "${STAGES_CONTEXT_KEY}": cdk.json must hold { "context": { "${STAGES_CONTEXT_KEY}": { "${stage}": { … } } } }.`,
    );
  }
  const raw = (stages as Record<string, unknown>)[stage];
  if (raw === undefined) {
    throw new InvalidStageConfigError(
      `Unknown stage "${stage}": no context "${STAGES_CONTEXT_KEY}.${stage}" (known stages: ${Object.keys(stages).join(', ') || 'none'}).`,
    );
  }
  return { stage, config: parseStageConfig(stage, raw) };
}

/**
 * Validates one stage's raw configuration.
 *
 * @throws InvalidStageConfigError listing every bad key as `stages.<stage>.<path>: <problem>`.
 */
export function parseStageConfig(stage: string, raw: unknown): StageConfig {
  const result = stageConfigSchema.safeParse(raw);
  if (result.success) {
    const placeholders = result.data.demo ? [] : placeholdersIn(result.data);
    if (placeholders.length === 0) return result.data;
    const lines = placeholders.map(
      ({ path, reason }) => `${[STAGES_CONTEXT_KEY, stage, ...path].join('.')}: ${reason}`,
    );
    throw new InvalidStageConfigError(
      `Configuration for stage "${stage}" still holds example values:\n  ${lines.join('\n  ')}\nSet the real values, or mark the stage "demo": true to deploy it as a demonstration (its emails and sign-ins will not work).`,
    );
  }
  const problems = result.error.issues.map((issue) => {
    // Unknown keys (typos) are reported on the parent object; name them so the message points at the key.
    const path =
      issue.code === 'unrecognized_keys'
        ? [...issue.path, issue.keys.join(', ')]
        : (issue.path as PropertyKey[]);
    const key = [STAGES_CONTEXT_KEY, stage, ...path.map(String)].join('.');
    return `${key}: ${issue.code === 'unrecognized_keys' ? 'is not a known configuration key' : issue.message}`;
  });
  throw new InvalidStageConfigError(
    `Invalid configuration for stage "${stage}":\n  ${problems.join('\n  ')}`,
  );
}

/**
 * Hosts reserved for documentation and testing (RFC 2606, RFC 6761): no one receives mail or
 * requests there, so a stage that names one cannot work.
 */
const RESERVED_HOST = /(^|\.)(example\.(com|net|org)|example|test|invalid|localhost)$/i;

/** Why `value` is an example rather than a real setting, or undefined. */
export function placeholderReason(value: string): string | undefined {
  if (/(^|[^0-9a-f])0{8}-0{4}-0{4}-0{4}-0{12}([^0-9a-f]|$)/i.test(value)) {
    return 'is the all-zero example id (use your Entra tenant or app id)';
  }
  if (/EXAMPLE/.test(value)) return 'is an example value (it contains EXAMPLE)';
  for (const host of hostsIn(value)) {
    if (RESERVED_HOST.test(host)) return `is an example value (${host} is reserved for documentation)`;
  }
  return undefined;
}

/** The host names a setting mentions: of a URL, an email address or a bare DNS name. */
function hostsIn(value: string): string[] {
  if (value.includes('@')) return [value.split('@').pop() ?? ''];
  try {
    return [new URL(value).hostname];
  } catch {
    return /^[a-z0-9.-]+\.[a-z]{2,}$/i.test(value) ? [value] : [];
  }
}

/** Every string setting of `config` that is still an example value, with its key path. */
function placeholdersIn(config: unknown, path: string[] = []): { path: string[]; reason: string }[] {
  if (typeof config === 'string') {
    const reason = placeholderReason(config);
    return reason ? [{ path, reason }] : [];
  }
  if (typeof config !== 'object' || config === null) return [];
  return Object.entries(config).flatMap(([key, value]) => placeholdersIn(value, [...path, key]));
}

function isIanaTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return value.includes('/') || value === 'UTC';
  } catch {
    return false;
  }
}
