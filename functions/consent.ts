/** Lambda entry: the customer's consent pages (`/consent/{token}`, no JWT). */
import { calendarOf, consentEnvironment, readConfig } from './config.js';
import { buildConsentHandler } from './http/consent-handler.js';
import { lambdaObservability } from './observability.js';
import { createConsentDeps } from './wiring.js';

const config = readConfig(consentEnvironment);

export const handler = buildConsentHandler(
  createConsentDeps({
    tableName: config.TABLE_NAME,
    businessCalendar: calendarOf(config),
    logger: lambdaObservability().logger,
  }),
);
