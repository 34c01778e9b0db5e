/**
 * Powertools logger, metrics and tracing for the Lambda entries, created once per cold start.
 * Locally and in tests there is no tracing (no X-Ray daemon) and metrics are only given
 * where a caller asks for them.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Observability } from './handler-stack.js';

export const SERVICE_NAME = 'cpor-claims';
export const METRICS_NAMESPACE = 'CporClaims';

/**
 * Whether X-Ray tracing is on: in a Lambda execution environment unless
 * `POWERTOOLS_TRACE_ENABLED=false` (the rule Powertools' Tracer applies to itself).
 */
export function tracingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return (
    Boolean(env.AWS_EXECUTION_ENV) &&
    !env.AWS_SAM_LOCAL &&
    env.POWERTOOLS_TRACE_ENABLED?.toLowerCase() !== 'false'
  );
}

/**
 * For Lambda entries: JSON logs, EMF metrics in the service namespace and, when tracing is on,
 * X-Ray. The tracer (and the X-Ray SDK under it) is imported only then: with tracing off,
 * a cold start does not load it.
 */
export async function lambdaObservability(env: NodeJS.ProcessEnv = process.env): Promise<Observability> {
  const logger = new Logger({ serviceName: SERVICE_NAME });
  const metrics = new Metrics({ serviceName: SERVICE_NAME, namespace: METRICS_NAMESPACE });
  if (!tracingEnabled(env)) return { logger, metrics };
  const [{ Tracer }, { captureLambdaHandler }] = await Promise.all([
    import('@aws-lambda-powertools/tracer'),
    import('@aws-lambda-powertools/tracer/middleware'),
  ]);
  const tracer = new Tracer({ serviceName: SERVICE_NAME });
  return { logger, metrics, tracing: captureLambdaHandler(tracer, { captureResponse: false }) };
}
