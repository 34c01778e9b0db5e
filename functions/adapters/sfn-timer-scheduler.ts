/** Claim timers as one-shot Step Functions executions of `statemachines/claim-timer.asl.json`. */
import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { TimerScheduler } from '../domain/ports/outbox.js';
import { type TimerExecutionInput, timerExecutionName } from '../domain/timers.js';

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
}
