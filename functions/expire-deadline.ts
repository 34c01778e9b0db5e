/** Lambda entry: the claim timer's task — applies a deadline's timeout if it is still live. */
import { calendarOf, readConfig, timerEnvironment } from './config.js';
import type { TimerInput } from './domain/timers.js';
import { lambdaObservability } from './observability.js';
import { expireDeadline } from './use-cases/expire-deadline.js';
import { createTimerDeps } from './wiring.js';

const config = readConfig(timerEnvironment);
const { logger, metrics } = lambdaObservability();
const deps = createTimerDeps({ tableName: config.TABLE_NAME, businessCalendar: calendarOf(config) });

export const handler = async (input: TimerInput) => {
  const outcome = await expireDeadline(deps, input);
  logger.info('Deadline timer fired', { ...input, outcome });
  if (outcome.applied && (input.deadline === 'reviewStartBy' || input.deadline === 'decisionBy')) {
    metrics.addDimensions({ deadline: input.deadline });
    metrics.addMetric('SlaBreaches', 'Count', 1);
    metrics.publishStoredMetrics();
  }
  return outcome;
};
