/** Lambda entry point of the claims HTTP API (every `function: 'api'` route of the route table). */
import {
  apiEnvironment,
  calendarOf,
  documentPolicyOf,
  identityClaimsOf,
  readConfig,
  resolveSecret,
} from './config.js';
import { buildApiHandler } from './http/api-handler.js';
import { configureIdentityClaims } from './http/auth.js';
import { lambdaObservability } from './observability.js';
import { createApiDeps } from './wiring.js';

const config = readConfig(apiEnvironment);
configureIdentityClaims(identityClaimsOf(config));

export const handler = buildApiHandler(
  createApiDeps({
    tableName: config.TABLE_NAME,
    idempotencyTableName: config.IDEMPOTENCY_TABLE_NAME,
    cursorSecret: await resolveSecret(config, 'CURSOR_SECRET'),
    businessCalendar: calendarOf(config),
    documentsBucketName: config.DOCUMENTS_BUCKET_NAME,
    documentPolicy: documentPolicyOf(config),
    ...lambdaObservability(),
  }),
);
