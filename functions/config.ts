/**
 * Service configuration from the environment, read once at cold start through one validated
 * helper that fails fast with the name of the bad variable. Each Lambda entry reads only
 * the variables it needs (the CDK call that grants a resource also sets its variable), as
 * the typed settings its builder in `functions/wiring.ts` takes.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { ROLES } from './domain/claim.js';
import { DOCUMENT_CONTENT_TYPES, type DocumentPolicy } from './domain/document.js';
import { DEFAULT_IDENTITY_CLAIMS, type IdentityClaimMapping } from './http/identity-claims.js';
import type {
  ApiSettings,
  ConsentSettings,
  RelaySettings,
  TimerSettings,
  VerifyUploadSettings,
} from './wiring.js';

const calendar = {
  BUSINESS_CALENDAR_COUNTRY: z.string().min(2).default('US'),
  BUSINESS_CALENDAR_REGION: z.string().min(1).optional(),
  BUSINESS_CALENDAR_TIME_ZONE: z.string().min(1).default('America/Los_Angeles'),
};

/** A secret given either directly (local, tests) or as a Secrets Manager ARN (cloud). */
const secret = (name: string) => ({
  [name]: z.string().min(32).optional(),
  [`${name}_ARN`]: z.string().startsWith('arn:').optional(),
});

/** The PoE bucket and the deployment's document policy; an unset limit keeps the domain default. */
const documents = {
  DOCUMENTS_BUCKET_NAME: z.string().min(1),
  /** Comma-separated media types, e.g. `application/pdf,image/png`. */
  DOCUMENT_ALLOWED_TYPES: z
    .string()
    .transform((list) => list.split(',').map((type) => type.trim()))
    .pipe(z.array(z.enum(DOCUMENT_CONTENT_TYPES)).min(1))
    .optional(),
  DOCUMENT_MAX_BYTES: z.coerce.number().int().min(1).optional(),
  DOCUMENT_MAX_PER_CLAIM: z.coerce.number().int().min(1).optional(),
};

/** Which token claims name the partner and the roles (the stage's `identityClaims`). */
const identityClaims = {
  AUTH_PARTNER_ID_CLAIM: z.string().min(1).default(DEFAULT_IDENTITY_CLAIMS.partnerIdClaim),
  /** Comma-separated claim names, e.g. `roles,groups`. */
  AUTH_ROLE_CLAIMS: z
    .string()
    .default(DEFAULT_IDENTITY_CLAIMS.roleClaims.join(','))
    .transform((list) => list.split(',').map((name) => name.trim()))
    .pipe(z.array(z.string().min(1)).min(1)),
  /** JSON object: IdP value → API role, e.g. `{"cpor-reviewers":"Reviewer"}`. */
  AUTH_ROLE_MAPPING: z
    .string()
    .default('{}')
    .transform((json, ctx) => {
      try {
        return JSON.parse(json) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
        return z.NEVER;
      }
    })
    .pipe(z.record(z.string(), z.enum(ROLES))),
};

export const apiEnvironment = z.object({
  ...identityClaims,
  TABLE_NAME: z.string().min(1),
  IDEMPOTENCY_TABLE_NAME: z.string().min(1),
  ...secret('CURSOR_SECRET'),
  ...calendar,
  ...documents,
});

export const verifyUploadEnvironment = z.object({
  TABLE_NAME: z.string().min(1),
  ...documents,
  /** `true`: only uploads GuardDuty tagged `NO_THREATS_FOUND` become available. */
  MALWARE_SCANNING: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
});

export const relayEnvironment = z.object({
  TABLE_NAME: z.string().min(1),
  STATE_MACHINE_ARN: z.string().startsWith('arn:'),
  EVENT_BUS_NAME: z.string().min(1),
  SENDER_ADDRESS: z.email(),
  SES_CONFIGURATION_SET: z.string().min(1).optional(),
  PUBLIC_BASE_URL: z.url(),
  /** The partner portal of partner emails (base URL or `{claimId}` template); unset: the console. */
  PORTAL_URL: z.url().optional(),
  /** The zone emails show deadlines in (the business calendar's). */
  BUSINESS_CALENDAR_TIME_ZONE: calendar.BUSINESS_CALENDAR_TIME_ZONE,
  /** Final claims' documents are tagged for their retention here. */
  DOCUMENTS_BUCKET_NAME: z.string().min(1),
  ...secret('CONSENT_SECRET'),
});

export const timerEnvironment = z.object({ TABLE_NAME: z.string().min(1), ...calendar });

export const consentEnvironment = z.object({ TABLE_NAME: z.string().min(1), ...calendar });

export class InvalidConfigurationError extends Error {
  override readonly name = 'InvalidConfigurationError';
}

export function readConfig<S extends z.ZodObject>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.output<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new InvalidConfigurationError(`Invalid service configuration: ${problems}`);
  }
  return result.data;
}

/** The business calendar settings of a config. */
export function calendarOf(config: {
  BUSINESS_CALENDAR_COUNTRY: string;
  BUSINESS_CALENDAR_TIME_ZONE: string;
  BUSINESS_CALENDAR_REGION?: string | undefined;
}) {
  return {
    country: config.BUSINESS_CALENDAR_COUNTRY,
    timeZone: config.BUSINESS_CALENDAR_TIME_ZONE,
    ...(config.BUSINESS_CALENDAR_REGION && { region: config.BUSINESS_CALENDAR_REGION }),
  };
}

/** The identity claim mapping of a config. */
export function identityClaimsOf(config: {
  AUTH_PARTNER_ID_CLAIM: string;
  AUTH_ROLE_CLAIMS: string[];
  AUTH_ROLE_MAPPING: IdentityClaimMapping['roleMapping'];
}): IdentityClaimMapping {
  return {
    partnerIdClaim: config.AUTH_PARTNER_ID_CLAIM,
    roleClaims: config.AUTH_ROLE_CLAIMS,
    roleMapping: config.AUTH_ROLE_MAPPING,
  };
}

/** The document policy settings of a config (unset ones keep the defaults). */
export function documentPolicyOf(config: {
  DOCUMENT_ALLOWED_TYPES?: DocumentPolicy['allowedContentTypes'] | undefined;
  DOCUMENT_MAX_BYTES?: number | undefined;
  DOCUMENT_MAX_PER_CLAIM?: number | undefined;
}): Partial<DocumentPolicy> {
  return {
    ...(config.DOCUMENT_ALLOWED_TYPES && { allowedContentTypes: config.DOCUMENT_ALLOWED_TYPES }),
    ...(config.DOCUMENT_MAX_BYTES && { maxBytes: config.DOCUMENT_MAX_BYTES }),
    ...(config.DOCUMENT_MAX_PER_CLAIM && { maxPerClaim: config.DOCUMENT_MAX_PER_CLAIM }),
  };
}

/** Resolves `NAME` or `NAME_ARN` (fetched once from Secrets Manager, at cold start). */
export async function resolveSecret(config: Record<string, unknown>, name: string): Promise<string> {
  const direct = config[name];
  if (typeof direct === 'string') return direct;
  const arn = config[`${name}_ARN`];
  if (typeof arn !== 'string')
    throw new InvalidConfigurationError(`Invalid service configuration: set ${name} or ${name}_ARN`);
  const { SecretString } = await new SecretsManagerClient({}).send(
    new GetSecretValueCommand({ SecretId: arn }),
  );
  if (!SecretString) throw new InvalidConfigurationError(`The secret ${arn} is empty.`);
  return SecretString;
}

/** The HTTP API function's settings from its environment. */
export async function apiSettings(env: NodeJS.ProcessEnv = process.env): Promise<ApiSettings> {
  const config = readConfig(apiEnvironment, env);
  return {
    tableName: config.TABLE_NAME,
    idempotencyTableName: config.IDEMPOTENCY_TABLE_NAME,
    cursorSecret: await resolveSecret(config, 'CURSOR_SECRET'),
    businessCalendar: calendarOf(config),
    documentsBucketName: config.DOCUMENTS_BUCKET_NAME,
    documentPolicy: documentPolicyOf(config),
    identityClaims: identityClaimsOf(config),
  };
}

/** The consent pages' settings from their environment. */
export async function consentSettings(env: NodeJS.ProcessEnv = process.env): Promise<ConsentSettings> {
  const config = readConfig(consentEnvironment, env);
  return { tableName: config.TABLE_NAME, businessCalendar: calendarOf(config) };
}

/** The claim timer task's settings from its environment. */
export async function timerSettings(env: NodeJS.ProcessEnv = process.env): Promise<TimerSettings> {
  const config = readConfig(timerEnvironment, env);
  return { tableName: config.TABLE_NAME, businessCalendar: calendarOf(config) };
}

/** The upload verifier's settings from its environment. */
export async function verifyUploadSettings(
  env: NodeJS.ProcessEnv = process.env,
): Promise<VerifyUploadSettings> {
  const config = readConfig(verifyUploadEnvironment, env);
  return {
    tableName: config.TABLE_NAME,
    documentsBucketName: config.DOCUMENTS_BUCKET_NAME,
    documentPolicy: documentPolicyOf(config),
    malwareScanning: config.MALWARE_SCANNING,
  };
}

/** The outbox relay's settings from its environment. */
export async function relaySettings(env: NodeJS.ProcessEnv = process.env): Promise<RelaySettings> {
  const config = readConfig(relayEnvironment, env);
  return {
    tableName: config.TABLE_NAME,
    consentSecret: await resolveSecret(config, 'CONSENT_SECRET'),
    publicBaseUrl: config.PUBLIC_BASE_URL,
    ...(config.PORTAL_URL && { portalUrl: config.PORTAL_URL }),
    businessCalendar: { timeZone: config.BUSINESS_CALENDAR_TIME_ZONE },
    documentsBucketName: config.DOCUMENTS_BUCKET_NAME,
    email: {
      sender: config.SENDER_ADDRESS,
      ...(config.SES_CONFIGURATION_SET && { configurationSet: config.SES_CONFIGURATION_SET }),
    },
    timers: { stateMachineArn: config.STATE_MACHINE_ARN },
    events: { eventBusName: config.EVENT_BUS_NAME },
  };
}
