import { Duration } from 'aws-cdk-lib';
import {
  Dashboard,
  GraphWidget,
  LogQueryVisualizationType,
  LogQueryWidget,
  Metric,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { queryMetricDimensions } from './alarms.js';

/** The handler's metrics (engine/aws/lambda: Powertools EMF, dimensions `service` and `query`). */
export const HANDLER_METRICS = {
  inputRows: 'InputRows',
  outputRows: 'OutputRows',
  batchDuration: 'BatchDuration',
  deadLetters: 'DeadLetters',
  lateRows: 'LateInputRows',
  watermarkDelay: 'WatermarkDelay',
  stateRows: 'StateRows',
} as const;

/** The event source mapping's own metrics (`MetricsConfig` EventCount), namespace AWS/Lambda. */
export const EVENT_COUNT_METRICS = [
  'PolledEventCount',
  'InvokedEventCount',
  'FailedInvokeEventCount',
  'DroppedEventCount',
  'OnFailureDestinationDeliveredEventCount',
] as const;

/** One point per minute: Lambda and EMF metrics arrive per invocation, a minute smooths them. */
const PERIOD = Duration.minutes(1);
const WIDTH = 12;
const HEIGHT = 6;

/** CloudWatch dashboard names: letters, digits, `-` and `_`. */
export function dashboardName(stackName: string, query: string): string {
  return `${stackName}-${query}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 255);
}

/**
 * The query's CloudWatch dashboard, laid out like Spark's Structured Streaming tab: rows in and
 * out, batch duration, the watermark's delay behind the wall clock and the iterator age (is it
 * keeping up?), dead letters and late rows (is the input healthy?), state rows (is it growing?),
 * errors per shard (from the handler's `batch failed` log lines, which carry the shard id) and
 * the event source mapping's event counts.
 */
export function createDashboard(
  scope: Construct,
  target: {
    readonly name: string;
    readonly query: string;
    readonly metricsNamespace: string;
    readonly fn: IFunction;
    readonly logGroup: ILogGroup;
    readonly eventSourceMappingId: string;
  },
): Dashboard {
  const handler = (metricName: string, statistic: string, label: string) =>
    new Metric({
      namespace: target.metricsNamespace,
      metricName,
      dimensionsMap: queryMetricDimensions(target.query),
      statistic,
      period: PERIOD,
      label,
    });
  const eventCount = (metricName: string) =>
    new Metric({
      namespace: 'AWS/Lambda',
      metricName,
      dimensionsMap: { EventSourceMappingUUID: target.eventSourceMappingId },
      statistic: 'Sum',
      period: PERIOD,
      label: metricName.replace(/EventCount$/, ''),
    });
  const graph = (title: string, left: Metric[], unit?: string) =>
    new GraphWidget({
      title,
      left,
      width: WIDTH,
      height: HEIGHT,
      ...(unit ? { leftYAxis: { label: unit, showUnits: false } } : {}),
    });

  const dashboard = new Dashboard(scope, 'Dashboard', { dashboardName: target.name });
  dashboard.addWidgets(
    new TextWidget({
      markdown: `# sluice query \`${target.query}\`\nPer minute, all shards. Progress records: \`PREFIX/${target.query}/_progress/\`; \`sluice status ${target.query}\` and \`sluice ui\` show them per shard.`,
      width: 2 * WIDTH,
      height: 2,
    }),
  );
  dashboard.addWidgets(
    graph('Rows in / out', [
      handler(HANDLER_METRICS.inputRows, 'Sum', 'input rows'),
      handler(HANDLER_METRICS.outputRows, 'Sum', 'output rows'),
    ]),
    graph(
      'Batch duration (ms)',
      [
        handler(HANDLER_METRICS.batchDuration, 'Average', 'average'),
        handler(HANDLER_METRICS.batchDuration, 'Maximum', 'maximum'),
      ],
      'ms',
    ),
  );
  dashboard.addWidgets(
    graph(
      'Watermark delay behind wall clock (ms)',
      [handler(HANDLER_METRICS.watermarkDelay, 'Maximum', 'watermark delay')],
      'ms',
    ),
    graph(
      'Iterator age (ms)',
      [target.fn.metric('IteratorAge', { statistic: 'Maximum', period: PERIOD, label: 'iterator age' })],
      'ms',
    ),
  );
  dashboard.addWidgets(
    graph('Dead letters and late rows', [
      handler(HANDLER_METRICS.deadLetters, 'Sum', 'dead letters'),
      handler(HANDLER_METRICS.lateRows, 'Sum', 'late input rows (dropped by the watermark)'),
    ]),
    graph('State rows', [handler(HANDLER_METRICS.stateRows, 'Maximum', 'state rows (largest shard)')]),
  );
  dashboard.addWidgets(
    new LogQueryWidget({
      title: 'Errors per shard',
      logGroupNames: [target.logGroup.logGroupName],
      view: LogQueryVisualizationType.STACKEDAREA,
      queryLines: ["filter message like 'batch failed'", 'stats count(*) as errors by bin(1m), shardId'],
      width: WIDTH,
      height: HEIGHT,
    }),
    graph('Event source mapping (events)', [
      ...EVENT_COUNT_METRICS.map(eventCount),
      target.fn.metricErrors({ statistic: 'Sum', period: PERIOD, label: 'function errors' }),
    ]),
  );
  return dashboard;
}
