/** Lambda entry point of the claims HTTP API (every `function: 'api'` route of the route table). */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readConfig } from './config.js';
import { buildApiHandler } from './http/api-handler.js';
import { lambdaObservability } from './observability.js';
import { createApiDeps } from './wiring.js';

const config = readConfig();

/** The cursor HMAC key is fetched once per cold start, never per request. */
async function cursorSecret(): Promise<string> {
  if (config.CURSOR_SECRET) return config.CURSOR_SECRET;
  const secrets = new SecretsManagerClient({});
  const { SecretString } = await secrets.send(
    new GetSecretValueCommand({ SecretId: config.CURSOR_SECRET_ARN }),
  );
  if (!SecretString) throw new Error('The cursor secret is empty.');
  return SecretString;
}

export const handler = buildApiHandler(
  createApiDeps({
    tableName: config.TABLE_NAME,
    idempotencyTableName: config.IDEMPOTENCY_TABLE_NAME,
    cursorSecret: await cursorSecret(),
    ...lambdaObservability(),
    businessCalendar: {
      country: config.BUSINESS_CALENDAR_COUNTRY,
      timeZone: config.BUSINESS_CALENDAR_TIME_ZONE,
      ...(config.BUSINESS_CALENDAR_REGION && { region: config.BUSINESS_CALENDAR_REGION }),
    },
  }),
);
