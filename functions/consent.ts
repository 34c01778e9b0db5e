/** Lambda entry: the customer's consent pages (`/consent/{token}`, no JWT). */
import { consentSettings } from './config.js';
import { buildConsentHandler } from './http/consent-handler.js';
import { lambdaHandler } from './lambda-entry.js';
import { createConsentDeps } from './wiring.js';

export const handler = await lambdaHandler(consentSettings, createConsentDeps, buildConsentHandler);
