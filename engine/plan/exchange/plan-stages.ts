import type { QueryDefinition } from '../../api/writer.js';
import { supportsPartialAggregation } from '../../exchange/partial-aggregate.js';
import type { Row } from '../../types.js';
import type { Expression } from '../expressions/expression.js';
import type { AggregateNode, PlanNode, SourceNode, StatefulNode, WatermarkNode } from '../nodes.js';
import { describeKeys, describeNode, type ExchangeInput, exchangeShape } from './exchange-shape.js';

export {
  describeNode,
  type ExchangeRequirement,
  type ExchangeShape,
  exchangeRequirements,
  exchangeShape,
} from './exchange-shape.js';

/**
 * Where the rows of stage 1 go: the exchange between two stages (Spark's `ShuffleExchangeExec`,
 * a Kafka Streams repartition topic). Rows are routed by {@link ExchangeSpec.routeColumns}.
 */
export interface ExchangeSpec {
  /** The exchange's name: also the source name stage 2 reads it under. */
  readonly name: string;
  /** Columns whose values decide the internal partition of a row (the stateful operator's key). */
  readonly routeColumns: readonly string[];
  /**
   * A stream-stream join side: its equality key expressions (on the side's rows). A row routes by
   * the canonical encoding of their values (`encodeJoinKey`, as the join compares keys), so the
   * two sides' rows with equal keys meet whatever their columns are called.
   */
  readonly routeKeys?: readonly Expression[];
  /**
   * (flat)mapGroupsWithState: rows route by their group key (the operator's key function, encoded
   * as its state key), so equal keys meet whatever columns they are made of.
   */
  readonly routeGroupKey?: (row: Row) => unknown;
  /** A window key without other columns routes by the tumbling window's start (see `routeKeyOf`). */
  readonly routeWindow?: { readonly column: string; readonly durationMs: number; readonly startMs: number };
  /** The event-time column stage 1 reports in its end-of-batch markers (the watermark's column). */
  readonly eventTime?: string;
  /**
   * The aggregation after the exchange, when stage 1 folds each batch's rows into partial
   * aggregates before writing (Spark's partial aggregate; see `partialAggregate`).
   */
  readonly partialAggregate?: AggregateNode;
  /**
   * Stage 2 reads several exchanged inputs (a join's sides, a union's inputs): records carry this
   * exchange's name (`input`), and stage 2 reads them as that source.
   */
  readonly tagged?: true;
  /** Why it was planned, for `explain()`. */
  readonly reason: string;
}

/** One stage: an ordinary query the runtime runs as it runs any other. */
export interface Stage {
  readonly id: 1 | 2;
  readonly query: QueryDefinition;
  /** Stage 1: the exchange it writes into (its sink). */
  readonly exchange?: ExchangeSpec;
  /** Stage 1: the source streams it reads. */
  readonly sources?: readonly string[];
}

/**
 * A query as the runtime runs it: one stage, or one stage 1 per exchanged input followed by
 * stage 2 (always last).
 */
export interface StagedQuery {
  readonly query: QueryDefinition;
  readonly stages: readonly Stage[];
  /** The first stage 1's exchange (the only one unless the query joins or unions inputs). */
  readonly exchange?: ExchangeSpec;
  /** Every stage 1's exchange, in stage order: the inputs stage 2 reads. Empty for one stage. */
  readonly exchanges: readonly ExchangeSpec[];
}

/**
 * The plan rewrite that inserts an exchange (like Spark's `EnsureRequirements`), where
 * {@link exchangeShape} finds one is needed, and splits the query into stages:
 *
 * ```
 * stage 1 (per source shard), one per input:  source → stateless steps, withWatermark → [partial aggregate] → exchange writer (routed by the key)
 * stage 2 (per internal shard):                exchange reader(s) → withWatermark (same column, delay) per input → the operator → rest → sink
 * ```
 * One input (the operator's child): stage 1 is `<name>.stage-1`, as before joins and unions were
 * covered. Several (a stream-stream join's sides, a union's inputs): one stage 1 per input,
 * `<name>.stage-1.<source>` (`.2`, `.3`, … for a source read by several inputs), each writing its
 * rows tagged with its own exchange name, which stage 2 reads as a source of its own: each input
 * keeps its own watermark there (from the markers of its stage 1's origins), combined by the
 * query's `watermarkPolicy` as Spark combines inputs. A join's sides are routed by the hash of the
 * join key's values (the canonical encoding the join compares), so `a.id = b.userId` meets.
 * Each stage is an ordinary query (its own name, checkpoint and state): stage 1 in append mode,
 * stage 2 under the query's own name, so its output is where the user looks. A query that needs
 * no exchange is one stage, unchanged. The caller checks {@link exchangeShape} first (the checker
 * rule `GROUPING_IGNORES_PARTITION_KEY`); an unsupported shape is left as one stage.
 */
export function planStages(query: QueryDefinition): StagedQuery {
  const shape = query.exchange === 'off' ? undefined : exchangeShape(query.plan);
  if (shape?.kind !== 'planned') return { query, stages: [{ id: 1, query }], exchanges: [] };
  const { node, requirement, inputs } = shape;
  const reason =
    requirement.streams === undefined
      ? `${describeNode(node)} by ${describeKeys(node)} does not follow '${requirement.partitionKey}', the partition key of '${requirement.source.name}'`
      : `${describeNode(node)} reads streams '${requirement.streams[0]}' and '${requirement.streams[1]}', whose shards never hold the same keys`;
  const partial =
    node.kind === 'aggregate' && supportsPartialAggregation(node) ? (node as AggregateNode) : undefined;
  const several = inputs.length > 1;
  const names = stageOneNames(inputs);
  const stageOnes: Stage[] = inputs.map((input, i) => {
    const exchange: ExchangeSpec = {
      name: several ? `${query.name}.exchange.${names[i]}` : `${query.name}.exchange`,
      ...(node.kind === 'streamJoin'
        ? { routeColumns: [], routeKeys: input.joinKeys ?? [] }
        : routingOf(node as Exclude<StatefulNode, { kind: 'streamJoin' }>)),
      ...(input.watermark === undefined ? {} : { eventTime: input.watermark.column }),
      ...(partial === undefined ? {} : { partialAggregate: partial }),
      ...(several ? { tagged: true as const } : {}),
      reason,
    };
    return {
      id: 1,
      query: {
        ...query,
        name: several ? `${query.name}.stage-1.${names[i]}` : `${query.name}.stage-1`,
        plan: input.plan,
        outputMode: 'append',
        sink: { kind: 'exchange', exchange },
      },
      exchange,
      sources: [input.source.name],
    };
  });
  const readers = stageOnes.map((stage, i) => readerOf(stage.exchange!, inputs[i]!.watermark));
  let operator: PlanNode;
  if (node.kind === 'streamJoin') operator = { ...node, left: readers[0]!, right: readers[1]! };
  else {
    const child = shape.union ? ({ kind: 'union', children: readers } as PlanNode) : readers[0]!;
    operator = { ...node, child, ...(partial === undefined ? {} : { partialInput: true }) } as PlanNode;
  }
  const stage2: QueryDefinition = { ...query, plan: replaceNode(query.plan, node, operator) };
  const exchanges = stageOnes.map((stage) => stage.exchange!);
  return {
    query,
    stages: [...stageOnes, { id: 2, query: stage2 }],
    exchange: exchanges[0]!,
    exchanges,
  };
}

/** Stage 2's input for one exchange: its reader, with the input's watermark re-applied. */
function readerOf(exchange: ExchangeSpec, watermark: WatermarkNode | undefined): PlanNode {
  const reader: SourceNode = {
    kind: 'source',
    name: exchange.name,
    ...(watermark === undefined ? {} : { eventTime: watermark.column }),
  };
  return watermark === undefined
    ? reader
    : { kind: 'watermark', child: reader, column: watermark.column, delayMs: watermark.delayMs };
}

/** Each input's stage-1 suffix: its source's name, numbered from the second input of a source on. */
function stageOneNames(inputs: readonly ExchangeInput[]): string[] {
  const seen = new Map<string, number>();
  return inputs.map((input) => {
    const n = (seen.get(input.source.name) ?? 0) + 1;
    seen.set(input.source.name, n);
    return n === 1 ? input.source.name : `${input.source.name}.${n}`;
  });
}

/** The stage 1s of a staged query (one per exchanged input), in plan order. */
export function stageOnes(staged: StagedQuery): Stage[] {
  return staged.stages.length === 1 ? [] : staged.stages.filter((stage) => stage.id === 1);
}

/** The stage that writes the query's output: stage 2, or the query itself. */
export function finalStage(staged: StagedQuery): Stage {
  return staged.stages.at(-1)!;
}

/**
 * The origin a stage-1 partition writes into the exchange as: the shard id alone with one stage 1
 * (as before several were possible, so running queries keep their stage-2 checkpoints), else the
 * stage-1 name and the shard, so origins of different stage 1s never collide.
 */
export function exchangeOrigin(staged: StagedQuery, stage: Stage, partition: string): string {
  return stageOnes(staged).length > 1 ? `${stage.query.name}/${partition}` : partition;
}

function routingOf(
  node: Exclude<StatefulNode, { kind: 'streamJoin' }>,
): Pick<ExchangeSpec, 'routeColumns' | 'routeWindow' | 'routeGroupKey'> {
  if (node.kind === 'dedup') return { routeColumns: node.columns };
  if (node.kind === 'groupsWithState') return { routeColumns: [], routeGroupKey: node.keyFn };
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
