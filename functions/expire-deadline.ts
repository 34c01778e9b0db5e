/** Lambda entry: the claim timer's task — applies a deadline's timeout if it is still live. */
import { timerSettings } from './config.js';
import { buildExpireDeadlineHandler } from './events/expire-deadline-handler.js';
import { lambdaHandler } from './lambda-entry.js';
import { createTimerDeps } from './wiring.js';

export const handler = await lambdaHandler(timerSettings, createTimerDeps, buildExpireDeadlineHandler);
