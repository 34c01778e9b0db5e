import { ExecutionDoesNotExist, InvalidArn, SFNClient } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { executionArnOf, StepFunctionsTimerScheduler } from '../../functions/adapters/sfn-timer-scheduler.js';
import { timerExecutionName } from '../../functions/domain/timers.js';

const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:ClaimTimer-abc';
const TIMER = {
  claimId: 'c-1',
  deadline: 'decisionBy',
  dueAt: '2026-12-01T18:00:00.000Z',
  version: 4,
} as const;

/**
 * A client whose every call is answered by `answer` at the `deserialize` step, in place of
 * Step Functions' HTTP answer (no Step Functions emulator runs StopExecution here; the local
 * runner's stop is tested in test/integration/timer-executions.test.ts).
 */
function clientAnswering(answer: (command: string, input: Record<string, unknown>) => unknown) {
  const calls: { command: string; input: Record<string, unknown> }[] = [];
  const client = new SFNClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
  });
  client.middlewareStack.add(
    (_next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      const command = context.commandName ?? '';
      calls.push({ command, input });
      return { output: answer(command, input) as never, response: { statusCode: 200, headers: {} } };
    },
    { step: 'deserialize', name: 'answerInPlaceOfStepFunctions', priority: 'low' },
  );
  return { client, calls };
}

describe('StepFunctionsTimerScheduler.stop', () => {
  it('stops the execution named after claim, deadline and arming version', async () => {
    const { client, calls } = clientAnswering(() => ({ stopDate: new Date(), $metadata: {} }));
    await new StepFunctionsTimerScheduler(client, MACHINE).stop(TIMER);
    expect(calls).toEqual([
      {
        command: 'StopExecutionCommand',
        input: {
          executionArn: `arn:aws:states:us-east-1:123456789012:execution:ClaimTimer-abc:${timerExecutionName(TIMER)}`,
          cause: 'Deadline decisionBy (2026-12-01T18:00:00.000Z) was superseded.',
        },
      },
    ]);
    expect(timerExecutionName(TIMER)).toBe('c-1-decisionBy-v4');
  });

  it('an execution that does not exist (never started, or its start comes later) is nothing to stop', async () => {
    const { client } = clientAnswering(() => {
      throw new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} });
    });
    await expect(new StepFunctionsTimerScheduler(client, MACHINE).stop(TIMER)).resolves.toBeUndefined();
  });

  it('any other failure is the relay’s to retry', async () => {
    const { client } = clientAnswering(() => {
      throw new InvalidArn({ message: 'Invalid Arn', $metadata: {} });
    });
    await expect(new StepFunctionsTimerScheduler(client, MACHINE).stop(TIMER)).rejects.toThrow(InvalidArn);
  });
});

describe('executionArnOf', () => {
  it('maps a state machine ARN to its execution ARN in any partition', () => {
    expect(executionArnOf('arn:aws-cn:states:cn-north-1:1:stateMachine:M', 'n')).toBe(
      'arn:aws-cn:states:cn-north-1:1:execution:M:n',
    );
  });

  it('refuses anything else', () => {
    expect(() => executionArnOf('arn:aws:states:us-east-1:1:activity:A', 'n')).toThrow(/state machine ARN/);
  });
});
