/**
 * Powertools logger, metrics and tracer, created once per cold start. Locally and in tests
 * the tracer stays off (no X-Ray daemon) and metrics are only flushed where a handler asks.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

export const SERVICE_NAME = 'cpor-claims';
export const METRICS_NAMESPACE = 'CporClaims';

export interface Observability {
  logger: Logger;
  metrics?: Metrics;
  tracer?: Tracer;
}

/** For Lambda entries: JSON logs, EMF metrics in the service namespace, X-Ray tracing. */
export function lambdaObservability(): Required<Observability> {
  return {
    logger: new Logger({ serviceName: SERVICE_NAME }),
    metrics: new Metrics({ serviceName: SERVICE_NAME, namespace: METRICS_NAMESPACE }),
    tracer: new Tracer({ serviceName: SERVICE_NAME }),
  };
}
