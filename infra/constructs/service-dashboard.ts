/**
 * The service's one CloudWatch dashboard: what `ServiceAlarms` watches is also graphed here. The
 * rows are laid out at synth time from whatever has been watched by then, so a resource watched
 * after the dashboard was created still gets its lines.
 */
import { Duration } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Dashboard,
  GraphWidget,
  type IMetric,
  type IWidget,
  Row,
  SearchExpression,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { FIVE_MINUTES, SES_CONFIGURATION_SET_DIMENSION, sesMetric } from './service-metrics.js';

/** A watched resource and its short name in graph legends (and alarm names). */
export interface Watched<T> {
  readonly label: string;
  readonly resource: T;
}

/** What has been watched so far; the dashboard reads it when it is rendered, not before. */
export interface WatchedResources {
  readonly apis: readonly Watched<IHttpApi>[];
  readonly functions: readonly Watched<IFunction>[];
  readonly queues: readonly Watched<IQueue>[];
  readonly machines: readonly Watched<IStateMachine>[];
  readonly streamConsumers: readonly Watched<IFunction>[];
  /** Whether the account's SES reputation is watched. */
  readonly email: boolean;
  readonly configurationSets: readonly string[];
}

export interface ServiceDashboardProps {
  /** The dashboard's name, also the alarm topic's display name prefix. */
  readonly namePrefix: string;
  /** Namespace of the service's custom (Powertools/EMF) metrics. */
  readonly metricsNamespace: string;
  /** The resources to graph, asked for at synth time. */
  readonly watched: () => WatchedResources;
}

/**
 * Adds the dashboard to `scope` under the id `Dashboard`: a title, then one row each for the
 * API, the functions, the custom metrics, the asynchronous parts and email. An empty section
 * takes no space (CloudWatch rejects a graph without metrics).
 */
export function addServiceDashboard(scope: Construct, props: ServiceDashboardProps): Dashboard {
  const { namePrefix, metricsNamespace, watched } = props;
  const dashboard = new Dashboard(scope, 'Dashboard', {
    dashboardName: namePrefix,
    defaultInterval: Duration.hours(12),
  });
  dashboard.addWidgets(
    new TextWidget({
      markdown: `# ${namePrefix}\nEvery alarm notifies the SNS topic "${namePrefix} alarms" (stack output AlarmTopicArn); its description is its runbook (README, "For platform engineers").`,
      width: 24,
      height: 2,
    }),
  );
  dashboard.addWidgets(new DeferredRow(() => apiWidgets(watched().apis)));
  dashboard.addWidgets(new DeferredRow(() => functionWidgets(watched().functions)));
  dashboard.addWidgets(new DeferredRow(() => customMetricWidgets(metricsNamespace)));
  dashboard.addWidgets(new DeferredRow(() => asyncWidgets(watched())));
  dashboard.addWidgets(new DeferredRow(() => emailWidgets(watched())));
  return dashboard;
}

function apiWidgets(apis: readonly Watched<IHttpApi>[]): IWidget[] {
  if (apis.length === 0) return [];
  const each = (f: (api: IHttpApi, label: string) => IMetric | IMetric[]) => metricsOf(apis, f);
  return [
    graph(
      'API requests',
      each((api, label) => api.metricCount({ label, statistic: 'Sum' })),
    ),
    graph(
      'API 4xx and 5xx',
      each((api, label) => [
        api.metricClientError({ label: `${label} 4xx`, statistic: 'Sum' }),
        api.metricServerError({ label: `${label} 5xx`, statistic: 'Sum' }),
      ]),
    ),
    graph(
      'API latency (ms)',
      each((api, label) => [
        api.metricLatency({ label: `${label} p50`, statistic: 'p50' }),
        api.metricLatency({ label: `${label} p99`, statistic: 'p99' }),
        api.metricIntegrationLatency({ label: `${label} integration p99`, statistic: 'p99' }),
      ]),
    ),
  ];
}

function functionWidgets(functions: readonly Watched<IFunction>[]): IWidget[] {
  if (functions.length === 0) return [];
  const each = (f: (fn: IFunction, label: string) => IMetric | IMetric[]) => metricsOf(functions, f);
  return [
    graph(
      'Lambda errors',
      each((fn, label) => fn.metricErrors({ label, statistic: 'Sum' })),
      6,
    ),
    graph(
      'Lambda duration (ms)',
      each((fn, label) => [
        fn.metricDuration({ label: `${label} p50`, statistic: 'p50' }),
        fn.metricDuration({ label: `${label} p99`, statistic: 'p99' }),
      ]),
      6,
    ),
    graph(
      'Lambda throttles',
      each((fn, label) => fn.metricThrottles({ label, statistic: 'Sum' })),
      6,
    ),
    graph(
      'Lambda concurrent executions',
      each((fn, label) => fn.metric('ConcurrentExecutions', { label, statistic: 'Maximum' })),
      6,
    ),
  ];
}

function customMetricWidgets(ns: string): IWidget[] {
  return [
    graph(
      `Claim commands by operation (${ns})`,
      [search(`{${ns},operation,service} MetricName="ClaimCommands"`, 'Sum')],
      12,
    ),
    // Powertools adds the `service` dimension to every metric; counters without dimensions
    // of their own (SLA breaches, emails sent/failed, uploads rejected) appear here as they land.
    graph(`Service metrics (${ns})`, [search(`{${ns},service}`, 'Sum')], 12),
  ];
}

function asyncWidgets({ queues, streamConsumers, machines }: WatchedResources): IWidget[] {
  const widgets: IWidget[] = [];
  if (queues.length > 0) {
    widgets.push(
      graph(
        'Dead-letter queue depth',
        queues.map(({ resource, label }) =>
          resource.metricApproximateNumberOfMessagesVisible({ label, statistic: 'Maximum' }),
        ),
        12,
      ),
    );
  }
  if (streamConsumers.length > 0) {
    widgets.push(
      graph(
        'Stream iterator age (ms)',
        streamConsumers.map(({ resource, label }) =>
          resource.metric('IteratorAge', { label, statistic: 'Maximum' }),
        ),
        12,
      ),
    );
  }
  if (machines.length > 0) {
    widgets.push(
      graph(
        'State machine executions',
        machines.flatMap(({ resource, label }) => [
          resource.metricStarted({ label: `${label} started`, statistic: 'Sum' }),
          resource.metricFailed({ label: `${label} failed`, statistic: 'Sum' }),
          resource.metricTimedOut({ label: `${label} timed out`, statistic: 'Sum' }),
        ]),
        12,
      ),
    );
  }
  return widgets;
}

function emailWidgets({ email, configurationSets }: WatchedResources): IWidget[] {
  if (!email) return [];
  const widgets: IWidget[] = [
    graph('SES reputation (account)', [
      sesMetric('Reputation.BounceRate', 'Maximum', Duration.hours(1), {}, 'bounce rate'),
      sesMetric('Reputation.ComplaintRate', 'Maximum', Duration.hours(1), {}, 'complaint rate'),
    ]),
  ];
  if (configurationSets.length > 0) {
    widgets.push(
      graph(
        'SES events (configuration sets)',
        configurationSets.flatMap((set) =>
          ['Send', 'Delivery', 'Bounce', 'Complaint'].map((name) =>
            sesMetric(
              name,
              'Sum',
              FIVE_MINUTES,
              { [SES_CONFIGURATION_SET_DIMENSION]: set },
              `${set} ${name}`,
            ),
          ),
        ),
        16,
      ),
    );
  }
  return widgets;
}

/**
 * A dashboard row whose widgets are chosen when the dashboard body is rendered (synth time),
 * after every resource has been watched. An empty row is zero high.
 */
class DeferredRow implements IWidget {
  private row?: Row;

  constructor(private readonly build: () => IWidget[]) {}

  private get rendered(): Row {
    this.row ??= new Row(...this.build());
    return this.row;
  }

  get width(): number {
    return this.rendered.width;
  }

  get height(): number {
    return this.rendered.height;
  }

  position(x: number, y: number): void {
    this.rendered.position(x, y);
  }

  toJson(): unknown[] {
    return this.rendered.toJson();
  }
}

/** The metrics `f` makes of each watched resource, in the order they were watched. */
function metricsOf<T>(
  watched: readonly Watched<T>[],
  f: (resource: T, label: string) => IMetric | IMetric[],
): IMetric[] {
  return watched.flatMap((w) => f(w.resource, w.label));
}

function graph(title: string, metrics: IMetric[], width = 8): GraphWidget {
  return new GraphWidget({ title, left: metrics, width, height: 6, period: FIVE_MINUTES });
}

/** Every metric a search finds, one line each, labelled by its dimensions. */
function search(query: string, statistic: string): SearchExpression {
  return new SearchExpression({ expression: `SEARCH('${query}', '${statistic}', 300)`, label: '' });
}
