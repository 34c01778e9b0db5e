/** Lambda entry point of the claims HTTP API (every `function: 'api'` route of the route table). */
import { apiSettings } from './config.js';
import { buildApiHandler } from './http/api-handler.js';
import { lambdaHandler } from './lambda-entry.js';
import { createApiDeps } from './wiring.js';

export const handler = await lambdaHandler(apiSettings, createApiDeps, buildApiHandler);
