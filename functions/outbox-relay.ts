/** Lambda entry: the outbox relay on the table's stream (timers, emails, domain events). */
import { relaySettings } from './config.js';
import { buildRelayHandler } from './events/outbox-relay-handler.js';
import { lambdaHandler } from './lambda-entry.js';
import { createRelayDeps } from './wiring.js';

export const handler = await lambdaHandler(relaySettings, createRelayDeps, buildRelayHandler);
