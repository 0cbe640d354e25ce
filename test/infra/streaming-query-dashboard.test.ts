import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEAD_LETTERS_METRIC } from '../../infra/streaming-query/alarms.js';
import { EVENT_COUNT_METRICS, HANDLER_METRICS } from '../../infra/streaming-query/dashboard.js';
import { ESM, newStack, pageViews, resource, templateOf } from './synth.js';

interface Widget {
  readonly type: string;
  readonly properties: {
    readonly title?: string;
    readonly metrics?: unknown[][];
    readonly query?: string;
    readonly markdown?: string;
  };
}

/**
 * The dashboard body is JSON joined with tokens (the function's name, the mapping's id, the log
 * group): tokens become `«LogicalId»` so the body parses and references stay checkable.
 */
function dashboardOf(template: Template): { name: unknown; widgets: Widget[] } {
  const [, dashboard] = resource(template, 'AWS::CloudWatch::Dashboard');
  const body = dashboard.Properties!.DashboardBody as { 'Fn::Join': [string, unknown[]] };
  const text = body['Fn::Join'][1]
    .map((part) => {
      if (typeof part === 'string') return part;
      const token = part as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
      return `«${token.Ref ?? token['Fn::GetAtt']?.[0] ?? 'token'}»`;
    })
    .join('');
  return { name: dashboard.Properties!.DashboardName, widgets: JSON.parse(text).widgets };
}

const byTitle = (widgets: Widget[], title: string) => {
  const widget = widgets.find((candidate) => candidate.properties.title === title);
  if (widget === undefined)
    throw new Error(`no widget '${title}' in ${widgets.map((w) => w.properties.title)}`);
  return widget;
};
/** Metric names of a graph widget (a metric row is [namespace, name, dimension, value, …, options]). */
const metricNames = (widget: Widget) => (widget.properties.metrics ?? []).map((row) => `${row[0]}/${row[1]}`);

describe('StreamingQuery dashboard', () => {
  let template: Template;
  let widgets: Widget[];
  beforeAll(() => {
    template = templateOf((stack) => pageViews(stack));
    ({ widgets } = dashboardOf(template));
  });

  it('is named after the stack and the query', () => {
    expect(dashboardOf(template).name).toBe('Test-page-views');
  });

  it('graphs the handler metrics of this query (namespace sluice, dimensions service and query)', () => {
    expect(metricNames(byTitle(widgets, 'Rows in / out'))).toEqual([
      `sluice/${HANDLER_METRICS.inputRows}`,
      `sluice/${HANDLER_METRICS.outputRows}`,
    ]);
    expect(metricNames(byTitle(widgets, 'Batch duration (ms)'))).toEqual([
      `sluice/${HANDLER_METRICS.batchDuration}`,
      `sluice/${HANDLER_METRICS.batchDuration}`,
    ]);
    expect(metricNames(byTitle(widgets, 'Dead letters and late rows'))).toEqual([
      `sluice/${DEAD_LETTERS_METRIC}`,
      `sluice/${HANDLER_METRICS.lateRows}`,
    ]);
    expect(metricNames(byTitle(widgets, 'State rows'))).toEqual([`sluice/${HANDLER_METRICS.stateRows}`]);
    const [row] = byTitle(widgets, 'Watermark delay behind wall clock (ms)').properties.metrics!;
    expect(row!.slice(0, 6)).toEqual([
      'sluice',
      'WatermarkDelay',
      'query',
      'page-views',
      'service',
      'page-views',
    ]);
    expect(row![6]).toMatchObject({ stat: 'Maximum', period: 60 });
  });

  it("graphs the function's iterator age and the mapping's event counts by its UUID", () => {
    const [age] = byTitle(widgets, 'Iterator age (ms)').properties.metrics!;
    expect(age!.slice(0, 3)).toEqual(['AWS/Lambda', 'IteratorAge', 'FunctionName']);
    expect(age![3]).toMatch(/^«PageViewsQueryFunction/);
    const events = byTitle(widgets, 'Event source mapping (events)').properties.metrics!;
    const [mappingId] = resource(template, ESM);
    expect(events.slice(0, EVENT_COUNT_METRICS.length).map((row) => [row[1], row[2], row[3]])).toEqual(
      EVENT_COUNT_METRICS.map((name) => [name, 'EventSourceMappingUUID', `«${mappingId}»`]),
    );
  });

  it("counts errors per shard from the handler's failure log lines in the function's log group", () => {
    const widget = byTitle(widgets, 'Errors per shard');
    expect(widget.type).toBe('log');
    expect(widget.properties.query).toMatch(
      /^SOURCE '«PageViewsQueryFunctionLogs[^']*' \| filter message like 'batch failed'/,
    );
    expect(widget.properties.query).toContain('stats count(*) as errors by bin(1m), shardId');
  });

  it("turns on the event source mapping's EventCount metrics", () => {
    template.hasResourceProperties(ESM, { MetricsConfig: { Metrics: ['EventCount'] } });
  });

  it('is left out with dashboard: false', () => {
    const { stack } = newStack();
    const query = pageViews(stack, { dashboard: false });
    expect(query.dashboard).toBeUndefined();
    Template.fromStack(stack).resourceCountIs('AWS::CloudWatch::Dashboard', 0);
  });
});
