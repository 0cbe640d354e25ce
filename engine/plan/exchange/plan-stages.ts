import type { QueryDefinition } from '../../api/writer.js';
import { supportsPartialAggregation } from '../../exchange/partial-aggregate.js';
import type {
  AggregateNode,
  GroupingKey,
  PlanNode,
  SourceNode,
  StatefulNode,
  WatermarkNode,
} from '../nodes.js';
import { childrenOf, isStateful } from '../nodes.js';

/**
 * Where the rows of stage 1 go: the exchange between two stages (Spark's `ShuffleExchangeExec`,
 * a Kafka Streams repartition topic). Rows are routed by {@link ExchangeSpec.routeColumns}.
 */
export interface ExchangeSpec {
  /** The exchange's name: also the source name stage 2 reads it under. */
  readonly name: string;
  /** Columns whose values decide the internal partition of a row (the stateful operator's key). */
  readonly routeColumns: readonly string[];
  /** A window key without other columns routes by the tumbling window's start (see `routeKeyOf`). */
  readonly routeWindow?: { readonly column: string; readonly durationMs: number; readonly startMs: number };
  /** The event-time column stage 1 reports in its end-of-batch markers (the watermark's column). */
  readonly eventTime?: string;
  /**
   * The aggregation after the exchange, when stage 1 folds each batch's rows into partial
   * aggregates before writing (Spark's partial aggregate; see `partialAggregate`).
   */
  readonly partialAggregate?: AggregateNode;
  /** Why it was planned, for `explain()`. */
  readonly reason: string;
}

/** One stage: an ordinary query the runtime runs as it runs any other. */
export interface Stage {
  readonly id: 1 | 2;
  readonly query: QueryDefinition;
}

/** A query as the runtime runs it: one stage, or two around an exchange. */
export interface StagedQuery {
  readonly query: QueryDefinition;
  readonly stages: readonly Stage[];
  readonly exchange?: ExchangeSpec;
}

/** What the rewrite found about a stateful operator whose keys ignore the source's partition key. */
export interface ExchangeRequirement {
  readonly node: StatefulNode;
  readonly source: SourceNode;
  readonly partitionKey: string;
}

/**
 * The stateful operators whose keys do not determine their source's declared partition key (a
 * column): each group's rows may arrive on any shard, so the operator needs an exchange before it.
 * Key functions (`groupByKey`, function partition keys) cannot be told apart here and are trusted,
 * as the record decoder checks partition keys at run time.
 */
export function exchangeRequirements(plan: PlanNode): ExchangeRequirement[] {
  const found: ExchangeRequirement[] = [];
  const visit = (node: PlanNode) => {
    for (const child of childrenOf(node)) visit(child);
    if (!isStateful(node) || node.kind === 'groupsWithState') return;
    const inputs = node.kind === 'streamJoin' ? [node.left, node.right] : [node.child];
    for (const source of inputs.flatMap(sourcesBelow)) {
      const partitionKey = source.partitionKey;
      if (typeof partitionKey !== 'string' || groupsBy(node, partitionKey)) continue;
      found.push({ node, source, partitionKey });
    }
  };
  visit(plan);
  return found;
}

/** Why a requirement cannot be met by an exchange (yet), or `undefined` when it can. */
export function unsupportedExchange(plan: PlanNode, requirement: ExchangeRequirement): string | undefined {
  const { node } = requirement;
  if (node.kind === 'streamJoin')
    return 'a stream-stream join needs both sides exchanged, which is not built yet';
  const below = [...chainBelow(node.child)];
  // A stream-static join is a per-row step (its static side travels in the plan), so stage 1 runs it.
  if (below.some((n) => n.kind === 'union' || n.kind === 'streamJoin' || isStateful(n))) {
    return 'the exchange can only follow a chain of stateless steps from one source (no union, stream-stream join or stateful step before it)';
  }
  if (stateful(plan).indexOf(node) !== 0)
    return 'only the first stateful operator of a query can follow an exchange';
  return undefined;
}

/**
 * The plan rewrite that inserts an exchange (like Spark's `EnsureRequirements`): when the first
 * stateful operator's keys do not follow the source's partition key, the query splits into
 *
 * ```
 * stage 1 (per source shard):    source → stateless steps, withWatermark → [partial aggregate] → exchange writer (routed by the key)
 * stage 2 (per internal shard):  exchange reader → withWatermark (same column, delay) → the operator → rest → sink
 * ```
 * Each stage is an ordinary query (its own name, checkpoint and state): stage 1 `<name>.stage-1`
 * in append mode, stage 2 under the query's own name, so its output is where the user looks.
 * A query that needs no exchange is one stage, unchanged. The caller checks
 * {@link unsupportedExchange} first.
 */
export function planStages(query: QueryDefinition): StagedQuery {
  const requirement = exchangeRequirements(query.plan)[0];
  if (requirement === undefined || query.exchange === 'off') return { query, stages: [{ id: 1, query }] };
  const node = requirement.node as Exclude<StatefulNode, { kind: 'streamJoin' }>;
  const watermark = [...chainBelow(node.child)].find((n): n is WatermarkNode => n.kind === 'watermark');
  const name = `${query.name}.exchange`;
  const partial = node.kind === 'aggregate' && supportsPartialAggregation(node) ? node : undefined;
  const exchange: ExchangeSpec = {
    name,
    ...routingOf(node),
    ...(watermark === undefined ? {} : { eventTime: watermark.column }),
    ...(partial === undefined ? {} : { partialAggregate: partial }),
    reason: `${describeNode(node)} by ${describeKeys(node)} does not follow '${requirement.partitionKey}', the partition key of '${requirement.source.name}'`,
  };
  const stage1: QueryDefinition = {
    ...query,
    name: `${query.name}.stage-1`,
    plan: node.child,
    outputMode: 'append',
    sink: { kind: 'exchange', exchange },
  };
  const reader: SourceNode = {
    kind: 'source',
    name,
    ...(watermark === undefined ? {} : { eventTime: watermark.column }),
  };
  const input: PlanNode =
    watermark === undefined
      ? reader
      : { kind: 'watermark', child: reader, column: watermark.column, delayMs: watermark.delayMs };
  const stage2: QueryDefinition = {
    ...query,
    plan: replaceNode(query.plan, node, {
      ...node,
      child: input,
      ...(partial === undefined ? {} : { partialInput: true }),
    } as PlanNode),
  };
  return {
    query,
    stages: [
      { id: 1, query: stage1 },
      { id: 2, query: stage2 },
    ],
    exchange,
  };
}

function routingOf(
  node: Exclude<StatefulNode, { kind: 'streamJoin' }>,
): Pick<ExchangeSpec, 'routeColumns' | 'routeWindow'> {
  if (node.kind === 'dedup') return { routeColumns: node.columns };
  if (node.kind === 'groupsWithState') return { routeColumns: [] };
  const columns = node.keys.filter((key) => key.kind === 'column').map((key) => key.column);
  if (columns.length > 0) return { routeColumns: columns };
  const window = node.keys.find((key) => key.kind === 'window');
  // A tumbling window alone: its start routes (each row is in one window). Otherwise one partition.
  if (window?.kind === 'window' && window.slideMs === window.durationMs) {
    return {
      routeColumns: [],
      routeWindow: { column: window.column, durationMs: window.durationMs, startMs: window.startMs },
    };
  }
  return { routeColumns: [] };
}

function* chainBelow(node: PlanNode): Generator<PlanNode> {
  yield node;
  for (const child of childrenOf(node)) yield* chainBelow(child);
}

function sourcesBelow(node: PlanNode): SourceNode[] {
  return [...chainBelow(node)].filter((n): n is SourceNode => n.kind === 'source');
}

function stateful(plan: PlanNode): StatefulNode[] {
  const found: StatefulNode[] = [];
  const visit = (node: PlanNode) => {
    for (const child of childrenOf(node)) visit(child);
    if (isStateful(node)) found.push(node);
  };
  visit(plan);
  return found;
}

function groupsBy(node: StatefulNode, column: string): boolean {
  switch (node.kind) {
    case 'aggregate':
      return node.keys.some((key) => key.kind === 'column' && key.column === column);
    case 'dedup':
      return node.columns.length === 0 || node.columns.includes(column);
    case 'streamJoin':
      return node.on.includes(column);
    default:
      return true;
  }
}

function replaceNode(root: PlanNode, target: PlanNode, replacement: PlanNode): PlanNode {
  if (root === target) return replacement;
  switch (root.kind) {
    case 'source':
      return root;
    case 'streamJoin':
      return {
        ...root,
        left: replaceNode(root.left, target, replacement),
        right: replaceNode(root.right, target, replacement),
      };
    case 'union':
      return { ...root, children: root.children.map((child) => replaceNode(child, target, replacement)) };
    default:
      return { ...root, child: replaceNode(root.child, target, replacement) } as PlanNode;
  }
}

export function describeNode(node: StatefulNode): string {
  switch (node.kind) {
    case 'aggregate':
      return 'aggregation';
    case 'dedup':
      return 'deduplication';
    case 'streamJoin':
      return 'stream-stream join';
    default:
      return 'groupsWithState';
  }
}

function describeKey(key: GroupingKey): string {
  if (key.kind === 'column') return key.column;
  if (key.kind === 'window') return `window(${key.column})`;
  return `session_window(${key.column})`;
}

function describeKeys(node: StatefulNode): string {
  switch (node.kind) {
    case 'aggregate':
      return `[${node.keys.map(describeKey).join(', ')}]`;
    case 'dedup':
      return `[${node.columns.join(', ')}]`;
    case 'streamJoin':
      return `[${node.on.join(', ')}]`;
    default:
      return 'a key function';
  }
}
