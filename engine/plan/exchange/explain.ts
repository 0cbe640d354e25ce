import type { QueryDefinition } from '../../api/writer.js';
import type { SinkSpec } from '../../sinks/sink.js';
import { sqlText } from '../expressions/sql-text.js';
import type { GroupingKey, PlanNode } from '../nodes.js';
import { childrenOf } from '../nodes.js';
import { describeKeys } from './exchange-shape.js';
import { planStages } from './plan-stages.js';

/**
 * The plan as the runtime runs it, like Spark's `explain()`: each stage's operators as a tree,
 * sink first, and the exchange between stages with the key it routes by and why it was planned.
 *
 * @example
 * console.log(explain(query));
 * // == Stage 2: per-campaign (per internal shard) ==
 * // Sink memory, append mode
 * // +- Aggregate [window(ts, 60000 ms), campaign] → clicks=count, cost=sum(cost)
 * //    +- WithWatermark ts, 10000 ms
 * //       +- ExchangeReader per-campaign.exchange
 * // == Stage 1: per-campaign.stage-1 (per source shard) ==
 * // Sink ExchangeWriter per-campaign.exchange routed by [campaign], append mode
 * // +- PartialAggregate [window(ts, 60000 ms), campaign] → clicks=count, cost=sum(cost)
 * //    +- Filter
 * //       +- WithWatermark ts, 10000 ms
 * //          +- Source clicks partitioned by user
 * // Exchange planned: aggregation by [window(ts), campaign] does not follow 'user', the partition key of 'clicks'.
 */
export function explain(query: QueryDefinition): string {
  const staged = planStages(query);
  const lines: string[] = [];
  const stages = [...staged.stages].reverse();
  const readers = new Set(staged.exchanges.map((exchange) => exchange.name));
  for (const stage of stages) {
    const where =
      staged.stages.length === 1 ? '' : stage.id === 1 ? ' (per source shard)' : ' (per internal shard)';
    lines.push(`== Stage ${stage.id}: ${stage.query.name}${where} ==`);
    lines.push(`Sink ${describeSink(stage.query.sink)}, ${stage.query.outputMode} mode`);
    const partial = stage.id === 1 ? stage.exchange?.partialAggregate : undefined;
    if (partial !== undefined) lines.push(`+- Partial${describe(partial, readers)}`);
    printTree(stage.query.plan, partial === undefined ? '' : '   ', lines, readers);
  }
  if (staged.exchange !== undefined) {
    lines.push(`Exchange planned: ${staged.exchange.reason}.`);
  }
  return lines.join('\n');
}

function printTree(node: PlanNode, indent: string, lines: string[], readers: ReadonlySet<string>): void {
  lines.push(`${indent}+- ${describe(node, readers)}`);
  for (const child of childrenOf(node)) printTree(child, `${indent}   `, lines, readers);
}

function describe(node: PlanNode, readers: ReadonlySet<string>): string {
  switch (node.kind) {
    case 'source':
      if (readers.has(node.name)) return `ExchangeReader ${node.name}`;
      return `Source ${node.name}${typeof node.partitionKey === 'string' ? ` partitioned by ${node.partitionKey}` : ''}`;
    case 'watermark':
      return `WithWatermark ${node.column}, ${node.delayMs} ms`;
    case 'aggregate':
      return `Aggregate [${node.keys.map(describeKey).join(', ')}] → ${Object.entries(node.aggregates)
        .map(([name, fn]) => `${name}=${fn.name}${fn.column === undefined ? '' : `(${fn.column})`}`)
        .join(', ')}`;
    case 'dedup':
      return `${node.withinWatermark ? 'DropDuplicatesWithinWatermark' : 'DropDuplicates'} [${node.columns.join(', ')}]`;
    case 'groupsWithState':
      return `${node.flat ? 'FlatMapGroupsWithState' : 'MapGroupsWithState'} timeout ${node.timeout}`;
    case 'streamJoin':
      return `StreamJoin ${node.how} on ${describeKeys(node)}${node.timeRange === undefined ? '' : ` within [${node.timeRange.minMs}, ${node.timeRange.maxMs}] ms of ${node.timeRange.rightColumn} − ${node.timeRange.leftColumn}`}`;
    case 'staticJoin':
      return `StaticJoin ${node.how} on [${node.on.join(', ')}]`;
    case 'select':
      return `Select [${node.columns.join(', ')}]`;
    case 'union':
      return 'Union';
    case 'sort':
      return `Sort [${node.orders.map((o) => `${sqlText(o.expr)} ${o.ascending ? 'ASC' : 'DESC'} NULLS ${o.nullsFirst ? 'FIRST' : 'LAST'}`).join(', ')}]`;
    case 'limit':
      return `Limit ${node.n}`;
    default:
      return node.kind.charAt(0).toUpperCase() + node.kind.slice(1);
  }
}

function describeKey(key: GroupingKey): string {
  if (key.kind === 'column') return key.column;
  if (key.kind === 'window') return `window(${key.column}, ${key.durationMs} ms)`;
  return `session_window(${key.column}, ${key.gapColumn ?? `${key.gapMs} ms`})`;
}

function describeSink(sink: SinkSpec): string {
  if (sink.kind === 'exchange') {
    const keys = sink.exchange.routeKeys ?? [];
    const route =
      keys.length > 0
        ? `join key [${keys.map(sqlText).join(', ')}]`
        : sink.exchange.routeGroupKey !== undefined
          ? 'group key'
          : sink.exchange.routeColumns.length > 0
            ? `[${sink.exchange.routeColumns.join(', ')}]`
            : sink.exchange.routeWindow !== undefined
              ? `window start of ${sink.exchange.routeWindow.column}`
              : 'one partition';
    return `ExchangeWriter ${sink.exchange.name} routed by ${route}`;
  }
  if (sink.kind === 'files') return `files (${sink.format})`;
  return sink.kind;
}
