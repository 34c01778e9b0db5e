/**
 * The claim timer's task as a Lambda handler: Step Functions invokes it with the timer's input
 * when the Wait state ends. A breached review SLA is counted (`SlaBreaches`). A timer that
 * resumed early throws `DeadlineNotYetDue`, which the state machine retries.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { TimerInput } from '../domain/timers.js';
import {
  type EventHandler,
  handlerStack,
  type Observability,
  withOptionalContext,
} from '../handler-stack.js';
import { type ExpireDeadlineDeps, type ExpiryOutcome, expireDeadline } from '../use-cases/expire-deadline.js';

export interface ExpireDeadlineHandlerDeps extends ExpireDeadlineDeps, Observability {}

/** The local timers and the tests call it with the timer's input only. */
export type ExpireDeadlineHandler = EventHandler<TimerInput, ExpiryOutcome>;

export function buildExpireDeadlineHandler(deps: ExpireDeadlineHandlerDeps): ExpireDeadlineHandler {
  const { logger, metrics } = deps;
  const handler = handlerStack<TimerInput, ExpiryOutcome>(deps, {
    logKeysOf: (input) => ({ claimId: input.claimId, deadline: input.deadline }),
  }).handler(async (input: TimerInput) => {
    const outcome = await expireDeadline(deps, input);
    logger.info('Deadline timer fired', { ...input, outcome });
    if (outcome.applied && (input.deadline === 'reviewStartBy' || input.deadline === 'decisionBy')) {
      metrics?.addDimensions({ deadline: input.deadline });
      metrics?.addMetric('SlaBreaches', MetricUnit.Count, 1);
    }
    return outcome;
  });
  return withOptionalContext(handler);
}
