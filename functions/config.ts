/**
 * Service configuration from the environment, read once at cold start through one validated
 * helper that fails fast with the name of the bad variable. Each Lambda entry reads only
 * the variables it needs (the CDK call that grants a resource also sets its variable).
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';

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

export const apiEnvironment = z.object({
  TABLE_NAME: z.string().min(1),
  IDEMPOTENCY_TABLE_NAME: z.string().min(1),
  ...secret('CURSOR_SECRET'),
  ...calendar,
});

export const relayEnvironment = z.object({
  TABLE_NAME: z.string().min(1),
  STATE_MACHINE_ARN: z.string().startsWith('arn:'),
  EVENT_BUS_NAME: z.string().min(1),
  SENDER_ADDRESS: z.email(),
  SES_CONFIGURATION_SET: z.string().min(1).optional(),
  PUBLIC_BASE_URL: z.url(),
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
