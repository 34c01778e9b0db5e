/**
 * The one middy stack every Lambda handler is built on, so each logs, counts, traces and
 * fails the same way: X-Ray tracing (when given), EMF metrics flushed after every call (when
 * given), the Lambda context and a correlation id on every log line, then the error handling
 * (an answer for HTTP handlers; logged and thrown for event handlers, so Lambda retries).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';

/** What a handler logs, counts and traces with. */
export interface Observability {
  logger: Logger;
  /** EMF metrics (Lambda); absent locally. */
  metrics?: Metrics;
  /** X-Ray tracing of the call (Lambda with tracing on); absent locally. */
  tracing?: MiddlewareObj;
}

export interface HandlerStackOptions<TEvent, TResult> {
  /** The id every log line of the call carries (`correlation_id`), e.g. the API request id. */
  correlationIdOf?: (event: TEvent) => string | undefined;
  /** More keys for every log line of the call, e.g. the claim id. */
  logKeysOf?: (event: TEvent) => Record<string, string> | undefined;
  /**
   * The answer to a failed call (HTTP handlers: a problem or an error page). Unset: the error
   * is logged and thrown, so Lambda (or the stream, or the state machine) retries the event.
   */
  errorResponse?: (error: Error, event: TEvent) => TResult;
}

/** A middy handler with the shared stack; add `.handler(...)` (and any handler-specific middleware). */
export function handlerStack<TEvent, TResult>(
  { logger, metrics, tracing }: Observability,
  options: HandlerStackOptions<TEvent, TResult> = {},
) {
  const stack = middy<TEvent, TResult, Error, Context>();
  if (tracing) stack.use(tracing);
  if (metrics) stack.use(logMetrics(metrics));
  return stack.use(injectLambdaContext(logger, { resetKeys: true })).use({
    before: async (request) => {
      const correlationId = options.correlationIdOf?.(request.event);
      if (correlationId) logger.setCorrelationId(correlationId);
      const keys = options.logKeysOf?.(request.event);
      if (keys) logger.appendKeys(keys);
    },
    onError: async (request) => {
      const error = request.error ?? new Error('The handler failed without an error.');
      if (options.errorResponse) {
        request.response = options.errorResponse(error, request.event);
        return;
      }
      logger.error('Invocation failed; it will be retried', { error });
    },
  });
}

/** An event handler as the local cloud and the tests call it: without a Lambda context, middy uses an empty one. */
export type EventHandler<TEvent, TResult> = (event: TEvent, context?: Context) => Promise<TResult>;

/** `handler` callable without a context (see `EventHandler`). */
export function withOptionalContext<TEvent, TResult>(
  handler: (event: TEvent, context: Context) => Promise<TResult>,
): EventHandler<TEvent, TResult> {
  return (event, context) => handler(event, context ?? ({} as Context));
}
