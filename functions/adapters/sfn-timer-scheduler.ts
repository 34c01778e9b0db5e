/** Claim timers as one-shot Step Functions executions of `statemachines/claim-timer.asl.json`. */
import {
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  type SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { TimerScheduler } from '../domain/ports/outbox.js';
import { type TimerExecutionInput, type TimerInput, timerExecutionName } from '../domain/timers.js';

export class StepFunctionsTimerScheduler implements TimerScheduler {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(input: TimerExecutionInput): Promise<void> {
    try {
      await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name: timerExecutionName(input),
          input: JSON.stringify(input),
        }),
      );
    } catch (error) {
      // The name derives from claim, deadline and version: this timer is already running.
      if (error instanceof ExecutionAlreadyExists) return;
      throw error;
    }
  }

  async stop(timer: TimerInput): Promise<void> {
    try {
      await this.client.send(
        new StopExecutionCommand({
          executionArn: executionArnOf(this.stateMachineArn, timerExecutionName(timer)),
          cause: `Deadline ${timer.deadline} (${timer.dueAt}) was superseded.`,
        }),
      );
    } catch (error) {
      // Never started (its arming event failed for good, or comes later): nothing to stop.
      // A closed execution (finished or stopped before) is answered without an error.
      if (error instanceof ExecutionDoesNotExist) return;
      throw error;
    }
  }
}

/**
 * The ARN of the state machine's execution `name`:
 * `arn:<partition>:states:<region>:<account>:stateMachine:<machine>` becomes
 * `arn:<partition>:states:<region>:<account>:execution:<machine>:<name>`.
 */
export function executionArnOf(stateMachineArn: string, name: string): string {
  const parts = stateMachineArn.split(':');
  if (parts.length !== 7 || parts[5] !== 'stateMachine') {
    throw new Error(`Not a state machine ARN: ${stateMachineArn}`);
  }
  return [...parts.slice(0, 5), 'execution', parts[6], name].join(':');
}
