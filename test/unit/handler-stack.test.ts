/**
 * The one middy stack of every Lambda handler: correlation ids and keys on each log line,
 * metrics flushed after each call, errors answered (HTTP) or logged and thrown (events), and
 * X-Ray loaded only when tracing is on.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handlerStack } from '../../functions/handler-stack.js';
import { lambdaObservability, tracingEnabled } from '../../functions/observability.js';

/** Whether anything imported the tracer (which loads the X-Ray SDK). */
const tracerLoads = vi.hoisted(() => ({ count: 0 }));
vi.mock('@aws-lambda-powertools/tracer', () => {
  tracerLoads.count++;
  return { Tracer: class {} };
});
vi.mock('@aws-lambda-powertools/tracer/middleware', () => ({
  captureLambdaHandler: () => ({ before: async () => {} }),
}));

/** Every JSON line the Powertools logger and metrics write (they write to stdout/stderr). */
let lines: Record<string, unknown>[] = [];
beforeEach(() => {
  lines = [];
  const capture = (chunk: string | Uint8Array) => {
    for (const line of String(chunk).split('\n')) if (line.startsWith('{')) lines.push(JSON.parse(line));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
});
afterEach(() => vi.restoreAllMocks());

const context = { functionName: 'test', awsRequestId: 'aws-request-1' } as Context;

describe('handlerStack', () => {
  it('puts the correlation id and the keys of the event on every log line of the call, and only that call', async () => {
    const logger = new Logger({ serviceName: 'test' });
    const handler = handlerStack<{ id: string; claimId?: string }, string>(
      { logger },
      {
        correlationIdOf: (event) => event.id,
        logKeysOf: (event) => (event.claimId ? { claimId: event.claimId } : undefined),
      },
    ).handler(async (event) => {
      logger.info('inside');
      return event.id;
    });
    await handler({ id: 'req-1', claimId: 'C-1' }, context);
    await handler({ id: 'req-2' }, context);
    const inside = lines.filter((line) => line.message === 'inside');
    expect(inside).toMatchObject([
      { correlation_id: 'req-1', claimId: 'C-1', function_request_id: 'aws-request-1' },
      { correlation_id: 'req-2' },
    ]);
    expect(inside[1]).not.toHaveProperty('claimId');
  });

  it('flushes the metrics of each call after it', async () => {
    const metrics = new Metrics({ serviceName: 'test', namespace: 'Test' });
    const handler = handlerStack<object, string>({ logger: new Logger(), metrics }).handler(async () => {
      metrics.addMetric('Things', 'Count', 2);
      return 'ok';
    });
    await handler({}, context);
    expect(lines.find((line) => '_aws' in line)).toMatchObject({ Things: 2, service: 'test' });
  });

  it('answers with the error response when one is given (HTTP handlers)', async () => {
    const handler = handlerStack<object, { statusCode: number }>(
      { logger: new Logger() },
      { errorResponse: (error) => ({ statusCode: error.message === 'boom' ? 500 : 400 }) },
    ).handler(async () => {
      throw new Error('boom');
    });
    await expect(handler({}, context)).resolves.toEqual({ statusCode: 500 });
  });

  it('logs and throws the error otherwise, so Lambda retries the event', async () => {
    const handler = handlerStack<object, string>(
      { logger: new Logger() },
      { correlationIdOf: () => 'evt-9' },
    ).handler(async () => {
      throw Object.assign(new Error('not yet'), { name: 'DeadlineNotYetDue' });
    });
    await expect(handler({}, context)).rejects.toMatchObject({ name: 'DeadlineNotYetDue' });
    expect(lines.find((line) => line.level === 'ERROR')).toMatchObject({
      correlation_id: 'evt-9',
      error: { name: 'DeadlineNotYetDue', message: 'not yet' },
    });
  });
});

describe('lambdaObservability', () => {
  it('loads no tracer (nor the X-Ray SDK) when tracing is off', async () => {
    const observability = await lambdaObservability({});
    expect(observability.tracing).toBeUndefined();
    expect(observability.metrics).toBeDefined();
    expect(tracerLoads.count).toBe(0);
  });

  it('traces in a Lambda execution environment unless POWERTOOLS_TRACE_ENABLED is false', async () => {
    const lambda = { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x' };
    expect(tracingEnabled(lambda)).toBe(true);
    expect(tracingEnabled({ ...lambda, POWERTOOLS_TRACE_ENABLED: 'false' })).toBe(false);
    expect(tracingEnabled({ ...lambda, AWS_SAM_LOCAL: 'true' })).toBe(false);
    expect(tracingEnabled({})).toBe(false);
    expect((await lambdaObservability(lambda)).tracing).toBeDefined();
    expect(tracerLoads.count).toBe(1);
  });
});
