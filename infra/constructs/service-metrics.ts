/**
 * Metric names and periods that both the alarms (`service-alarms.ts`) and the dashboard
 * (`service-dashboard.ts`) read, so an alarm and its graph always watch the same metric.
 */
import { Duration } from 'aws-cdk-lib';
import { Metric } from 'aws-cdk-lib/aws-cloudwatch';

/** The namespace the functions' Powertools Metrics write to (`functions/observability.ts`). */
export const DEFAULT_METRICS_NAMESPACE = 'CporClaims';

/** The dimension a configuration set's CloudWatch event destination must publish SES events with. */
export const SES_CONFIGURATION_SET_DIMENSION = 'ses:configuration-set';

/** The period of every alarm and graph that has no reason for another. */
export const FIVE_MINUTES = Duration.minutes(5);

/** An SES metric (`AWS/SES`): account reputation without dimensions, or a configuration set's events. */
export function sesMetric(
  metricName: string,
  statistic: string,
  period: Duration,
  dimensionsMap: Record<string, string> = {},
  label?: string,
): Metric {
  return new Metric({
    namespace: 'AWS/SES',
    metricName,
    statistic,
    period,
    dimensionsMap,
    ...(label !== undefined && { label }),
  });
}
