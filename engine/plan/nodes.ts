import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { AggregateFunction } from '../operators/aggregate/functions.js';
import type { GroupStateTimeout, GroupsWithStateFunction } from '../operators/groups-with-state/types.js';
import type { Row } from '../types.js';
import type { Expression, NamedExpression } from './expressions/expression.js';
import type { Schema } from './schema/data-type.js';

/** A grouping key: a column, a time window over a column, or a session window over a column. */
export type GroupingKey =
  | { readonly kind: 'column'; readonly column: string }
  | {
      readonly kind: 'window';
      readonly column: string;
      readonly durationMs: number;
      readonly slideMs: number;
      readonly startMs: number;
    }
  | {
      readonly kind: 'session';
      readonly column: string;
      /** The gap, when it is one constant (`gapColumn` absent). */
      readonly gapMs: number;
      /**
       * Spark's dynamic gap (`session_window(ts, gapExpr)`): the column holding each row's gap
       * (an interval in ms, or a duration string), computed below the aggregation. A row whose gap
       * is NULL or not positive opens no session and is dropped, as Spark filters it out.
       */
      readonly gapColumn?: string;
    };

export interface SourceNode {
  readonly kind: 'source';
  readonly name: string;
  /** The column holding event time (epoch ms), if the source has one. */
  readonly eventTime?: string;
  readonly schema?: StandardSchemaV1<unknown, Row>;
  /**
   * How producers set the Kinesis partition key: a column, or a function of the row. Each group of
   * a stateful operator must reach one shard, so its grouping key must determine this.
   */
  readonly partitionKey?: string | ((row: Row) => string);
  /** The Kinesis stream it is read from, when a query reads several (`readStream`'s `stream`). */
  readonly stream?: string;
}

export interface MapNode {
  readonly kind: 'map';
  readonly child: PlanNode;
  readonly fn: (row: Row) => Row;
  /** The declared output columns (a closure's output type is unknown to the plan otherwise). */
  readonly schema?: Schema;
}

export interface FilterNode {
  readonly kind: 'filter';
  readonly child: PlanNode;
  readonly fn: (row: Row) => boolean;
}

export interface FlatMapNode {
  readonly kind: 'flatMap';
  readonly child: PlanNode;
  readonly fn: (row: Row) => Iterable<Row>;
  /** The declared output columns. */
  readonly schema?: Schema;
}

export interface SelectNode {
  readonly kind: 'select';
  readonly child: PlanNode;
  readonly columns: readonly string[];
}

/**
 * A projection by column expressions (`select(col(...))`, `selectExpr`, `withColumn`,
 * `withColumnRenamed`, `drop`). Every expression reads the input row.
 */
export interface ProjectNode {
  readonly kind: 'project';
  readonly child: PlanNode;
  /** Start from a copy of the input row (less `drop`), as `withColumn` and `*` in a select list do. */
  readonly keepInput: boolean;
  readonly drop: readonly string[];
  readonly columns: readonly NamedExpression[];
}

/** A filter by a column expression (`where("...")`, `filter(col(...))`): keeps rows where it is TRUE. */
export interface WhereNode {
  readonly kind: 'where';
  readonly child: PlanNode;
  readonly condition: Expression;
}

export interface WatermarkNode {
  readonly kind: 'watermark';
  readonly child: PlanNode;
  readonly column: string;
  readonly delayMs: number;
}

export interface AggregateNode {
  readonly kind: 'aggregate';
  readonly child: PlanNode;
  readonly keys: readonly GroupingKey[];
  readonly aggregates: Readonly<Record<string, AggregateFunction>>;
  /**
   * Set by `planStages` on stage 2 of a two-stage query: input rows may be partial aggregates of
   * this aggregation made by stage 1 (see `engine/exchange/partial-aggregate.ts`), merged with
   * `merge` instead of added row by row.
   */
  readonly partialInput?: true;
}

export interface DedupNode {
  readonly kind: 'dedup';
  readonly child: PlanNode;
  /** Columns forming the duplicate key; empty means the whole row. */
  readonly columns: readonly string[];
  /** `dropDuplicatesWithinWatermark`: state expires at event time + watermark delay. */
  readonly withinWatermark: boolean;
}

export interface GroupsWithStateNode {
  readonly kind: 'groupsWithState';
  readonly child: PlanNode;
  readonly keyFn: (row: Row) => unknown;
  /** The columns the key is made of, when declared (`groupByKey`'s `keyColumns`): the planner checks them. */
  readonly keyColumns?: readonly string[];
  /** `mapGroupsWithState` (one output per call) or `flatMapGroupsWithState`. */
  readonly flat: boolean;
  readonly outputMode: 'append' | 'update';
  readonly timeout: GroupStateTimeout;
  readonly fn: GroupsWithStateFunction;
  readonly initialState?: ReadonlyArray<readonly [unknown, unknown]>;
  /**
   * Spark's `spark.sql.streaming.flatMapGroupsWithState.skipEmittingInitialStateKeys`: in the first
   * batch, keys that have only initial state (no input rows) are not passed to the function; their
   * state is still stored. Absent (Spark's default, false): they are called with no rows.
   */
  readonly skipEmittingInitialStateKeys?: true;
  /** The declared output columns of `fn`'s rows (Spark's output encoder). */
  readonly schema?: Schema;
}

/**
 * Join types by Spark's names. Stream-static joins (the stream on the left) take `inner`,
 * `left_outer`, `left_semi` and `left_anti`; stream-stream joins all but `left_anti`.
 */
export type JoinType = 'inner' | 'left_outer' | 'right_outer' | 'full_outer' | 'left_semi' | 'left_anti';

export interface StaticJoinNode {
  readonly kind: 'staticJoin';
  readonly child: PlanNode;
  readonly rows: readonly Row[];
  readonly on: readonly string[];
  readonly how: JoinType;
}

/** `right.rightTime - left.leftTime` must lie within `[minMs, maxMs]`. */
export interface JoinTimeRange {
  readonly leftColumn: string;
  readonly rightColumn: string;
  readonly minMs: number;
  readonly maxMs: number;
}

export interface StreamJoinNode {
  readonly kind: 'streamJoin';
  readonly left: PlanNode;
  readonly right: PlanNode;
  readonly on: readonly string[];
  readonly how: JoinType;
  readonly timeRange?: JoinTimeRange;
  /**
   * The rest of the ON condition (column expressions or SQL), ANDed with `on` and `timeRange`. Its
   * columns are qualified `left` or `right` (resolved when the join was built), so the plan does
   * not depend on the aliases the query used.
   */
  readonly condition?: Expression;
}

/** One sort key (Spark's `SortOrder`): ascending puts NULLs first by default, descending last. */
export interface SortOrder {
  readonly expr: Expression;
  readonly ascending: boolean;
  readonly nullsFirst: boolean;
}

/**
 * `orderBy` / `sort` / SQL `ORDER BY`: sorts each batch's output. Only the complete result table
 * of an aggregation (complete mode) is a whole table to sort; the checker rejects it elsewhere, as
 * Spark's does.
 */
export interface SortNode {
  readonly kind: 'sort';
  readonly child: PlanNode;
  readonly orders: readonly SortOrder[];
}

/** `limit(n)` / SQL `LIMIT n`: the first `n` rows of each batch's (complete) output. */
export interface LimitNode {
  readonly kind: 'limit';
  readonly child: PlanNode;
  readonly n: number;
}

export interface UnionNode {
  readonly kind: 'union';
  readonly children: readonly PlanNode[];
}

export type StatelessNode = MapNode | FilterNode | FlatMapNode | SelectNode | ProjectNode | WhereNode;
export type StatefulNode = AggregateNode | DedupNode | GroupsWithStateNode | StreamJoinNode;

/** A node of the logical plan. Plans are immutable trees built by the `DataStream` API. */
export type PlanNode =
  | SourceNode
  | StatelessNode
  | WatermarkNode
  | StatefulNode
  | StaticJoinNode
  | UnionNode
  | SortNode
  | LimitNode;

/** The children of a node, left to right. */
export function childrenOf(node: PlanNode): readonly PlanNode[] {
  switch (node.kind) {
    case 'source':
      return [];
    case 'streamJoin':
      return [node.left, node.right];
    case 'union':
      return node.children;
    default:
      return [node.child];
  }
}

export function isStateful(node: PlanNode): node is StatefulNode {
  return (
    node.kind === 'aggregate' ||
    node.kind === 'dedup' ||
    node.kind === 'groupsWithState' ||
    node.kind === 'streamJoin'
  );
}

/** Visits every node once, children before parents (post-order), left to right. */
export function walkPlan(root: PlanNode, visit: (node: PlanNode) => void): void {
  for (const child of childrenOf(root)) walkPlan(child, visit);
  visit(root);
}
