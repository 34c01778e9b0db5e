/**
 * Service configuration from the environment, read once at cold start through one validated
 * helper that fails fast with the name of the bad variable.
 */
import { z } from 'zod';

const environmentSchema = z.object({
  TABLE_NAME: z.string().min(1),
  IDEMPOTENCY_TABLE_NAME: z.string().min(1),
  /** Local mode and tests pass the secret itself; the cloud passes a Secrets Manager ARN. */
  CURSOR_SECRET: z.string().min(32).optional(),
  CURSOR_SECRET_ARN: z.string().startsWith('arn:').optional(),
  BUSINESS_CALENDAR_COUNTRY: z.string().min(2).default('US'),
  BUSINESS_CALENDAR_REGION: z.string().min(1).optional(),
  BUSINESS_CALENDAR_TIME_ZONE: z.string().min(1).default('America/Los_Angeles'),
});
export type ServiceConfig = z.infer<typeof environmentSchema>;

export class InvalidConfigurationError extends Error {
  override readonly name = 'InvalidConfigurationError';
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const result = environmentSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new InvalidConfigurationError(`Invalid service configuration: ${problems}`);
  }
  if (!result.data.CURSOR_SECRET && !result.data.CURSOR_SECRET_ARN) {
    throw new InvalidConfigurationError(
      'Invalid service configuration: set CURSOR_SECRET or CURSOR_SECRET_ARN',
    );
  }
  return result.data;
}
