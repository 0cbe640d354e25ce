import type { StandardSchemaV1 } from '@standard-schema/spec';
import { InvalidQueryError } from '../errors.js';
import type { AggregateFunction } from '../operators/aggregate/functions.js';
import { count as countFn } from '../operators/aggregate/functions.js';
import type { GroupState } from '../operators/groups-with-state/types.js';
import { GroupStateTimeout } from '../operators/groups-with-state/types.js';
import type { Expression } from '../plan/expressions/expression.js';
import { streamJoinNode } from '../plan/joins/join-plan.js';
import { knownColumnsOf, resolveJoinCondition } from '../plan/joins/resolve-condition.js';
import type { GroupingKey, JoinType, PlanNode } from '../plan/nodes.js';
import { declaredSchema, type OutputSchema } from '../plan/schema/source-schema.js';
import { defaultViews, type TempViews } from '../sql/catalog.js';
import { parseDuration } from '../time/duration.js';
import type { Duration, Row, TimeWindow } from '../types.js';
import { Column as ColumnExpression, expr as parseExpr, type SortItem, sortOrderOf } from './column.js';
import {
  aggregationPlan,
  type Grouping,
  groupingPlan,
  itemExpression,
  projectPlan,
  type SelectItem,
  wherePlan,
  withColumnsPlan,
} from './expression-plans.js';
import type { SessionWindowKey, WindowKey } from './windows.js';
import { DataStreamWriter } from './writer.js';

type Column<T> = keyof T & string;
type KeySpec<T> = Column<T> | WindowKey | SessionWindowKey | ColumnExpression;

/** The output columns of a grouping: the plain key columns, plus `window` / `session_window`. */
type KeyColumns<T, K extends readonly KeySpec<T>[]> = Pick<T, Extract<K[number], string>> &
  (Extract<K[number], WindowKey> extends never ? unknown : { window: TimeWindow }) &
  (Extract<K[number], SessionWindowKey> extends never ? unknown : { session_window: TimeWindow });

type AggregateColumns<A extends Record<string, AggregateFunction>> = {
  [name in keyof A]: ReturnType<A[name]['result']>;
};

/** Options of {@link readStream}. */
export interface ReadStreamOptions<T> {
  /** The column holding event time as epoch milliseconds. */
  readonly eventTime?: Column<T>;
  /** Validates each record at the edge; invalid records become dead letters. */
  readonly schema?: StandardSchemaV1<unknown, T>;
  /**
   * How producers set the Kinesis partition key: a column name, or a function of the row. The
   * checker then requires every stateful operator to group by it (one group, one shard), and a
   * record whose partition key disagrees becomes a dead letter.
   */
  readonly partitionKey?: Column<T> | ((row: T) => string);
  /**
   * The Kinesis stream this source is read from, for a query that reads several (a join of
   * `orders` and `payments`, as Spark's Kinesis source names its `streamName`). Shards of different
   * streams never hold the same keys, so an operator over sources of different streams goes
   * through the exchange even when each is partitioned by the operator's key.
   * @default the query's one stream, shared by all its sources
   */
  readonly stream?: string;
}

/** Options of {@link DataStream.map} and {@link DataStream.flatMap}. */
export interface ClosureOptions {
  /**
   * The function's output columns (`{ page: 'string', n: 'long' }`, or a zod schema), so the
   * query's output schema (Glue columns, Parquet types) can be inferred past the closure.
   * @default unknown: the output schema cannot be inferred
   */
  readonly schema?: OutputSchema;
}

/** A static dataset to join a stream with (Spark's stream-static join). */
export interface StaticDataset<U extends object> {
  readonly kind: 'static';
  readonly rows: readonly U[];
}

/** Wraps rows as a static dataset for {@link DataStream.join}. */
export function staticRows<U extends object>(rows: readonly U[]): StaticDataset<U> {
  return { kind: 'static', rows };
}

/** Options of {@link DataStream.join}. */
export interface JoinOptions {
  /** Equi-join columns, present on both sides with the same name. */
  readonly on?: readonly string[];
  /**
   * More of the ON condition, as a column expression or Spark SQL text, ANDed with `on` and
   * `timeRange`: equality of differently named columns (`a.id = b.userId`), time bounds (strict or
   * inclusive, `BETWEEN`), predicates on either side or both. Columns are qualified by the sides'
   * names (`stream.alias('a')`, `stream.col('x')`) or resolved by the columns each side is known
   * to have. Stream-stream joins only.
   */
  readonly condition?: ColumnExpression | string;
  /** @default 'inner' */
  readonly how?: JoinType;
  /**
   * Stream-stream joins: the event-time constraint `right[rightColumn] - left[leftColumn] ∈ [min, max]`,
   * which lets the watermark evict state (required for outer joins).
   */
  readonly timeRange?: { leftColumn: string; rightColumn: string; min: Duration; max: Duration };
}

/**
 * An unbounded table of rows, built fluently with Spark's vocabulary. Each method returns a new
 * stream; nothing runs until the query is started by a runtime (test kit, local runner, Lambda).
 */
export class DataStream<T extends object = Row> {
  /** The names this stream answers to in a join condition (`alias`, and the token of `col`). */
  private readonly names: Set<string>;

  constructor(
    readonly plan: PlanNode,
    names: Iterable<string> = [],
  ) {
    this.names = new Set(names);
  }

  /** Names the stream for join conditions and SQL-like qualifiers (`a.id`), as Spark's `alias`. */
  alias(name: string): DataStream<T> {
    return new DataStream<T>(this.plan, [name]);
  }

  /**
   * A column of this stream, to use in a join condition where a name alone would be ambiguous
   * (Spark's `df("id")` / `df.id`): `clicks.col('adId').equalTo(impressions.col('adId'))`.
   */
  col(name: string): ColumnExpression {
    let token = [...this.names].find((n) => n.startsWith('#'));
    if (token === undefined) {
      token = `#${++streamTokens}`;
      this.names.add(token);
    }
    return new ColumnExpression({ kind: 'column', name, qualifier: token });
  }

  /**
   * Keeps only the named columns, or projects column expressions (`col`, `expr`, `F.*`, `'*'`);
   * a select of aggregates (`select(F.count('*'))`) is a global aggregation, as in Spark.
   */
  select<K extends Column<T>>(...columns: K[]): DataStream<Pick<T, K>>;
  select(...columns: SelectItem[]): DataStream<Row>;
  select(...columns: SelectItem[]): DataStream<any> {
    return new DataStream(projectPlan(this.plan, columns.map(itemExpression)));
  }

  /** Projects Spark SQL expressions: `selectExpr('*', 'price * qty AS revenue')`. */
  selectExpr(...expressions: string[]): DataStream<Row> {
    return new DataStream(
      projectPlan(
        this.plan,
        expressions.map((text) => parseExpr(text).expr),
      ),
    );
  }

  /** Adds (or replaces) a column computed by an expression. */
  withColumn<N extends string>(name: N, column: ColumnExpression): DataStream<T & Record<N, unknown>> {
    return new DataStream(withColumnsPlan(this.plan, [{ name, expr: column.expr }]));
  }

  /** Renames a column; its watermark (if any) goes with it. */
  withColumnRenamed<F extends Column<T>, N extends string>(
    from: F,
    to: N,
  ): DataStream<Omit<T, F> & Record<N, T[F]>> {
    return new DataStream(
      withColumnsPlan(this.plan, [{ name: to, expr: { kind: 'column', name: from } }], [from]),
    );
  }

  /** Drops columns. */
  drop<K extends Column<T>>(...columns: K[]): DataStream<Omit<T, K>> {
    return new DataStream(withColumnsPlan(this.plan, [], columns));
  }

  /** Transforms each row. The function must be deterministic (replays must give the same rows). */
  map<U extends object>(fn: (row: T) => U, options: ClosureOptions = {}): DataStream<U> {
    return new DataStream({
      kind: 'map',
      child: this.plan,
      fn: fn as (row: Row) => Row,
      ...declared(options.schema, 'map(fn)'),
    });
  }

  /**
   * Keeps rows for which `condition` is true: a function of the row, a column expression, or
   * Spark SQL text (`"status = 200 AND page IS NOT NULL"`; NULL counts as false, as in SQL).
   */
  filter(condition: ((row: T) => boolean) | ColumnExpression | string): DataStream<T> {
    if (typeof condition === 'function')
      return new DataStream({ kind: 'filter', child: this.plan, fn: condition as (row: Row) => boolean });
    const expression = typeof condition === 'string' ? parseExpr(condition).expr : condition.expr;
    return new DataStream(wherePlan(this.plan, expression));
  }

  /** Alias of {@link filter}, as in Spark. */
  where(condition: ((row: T) => boolean) | ColumnExpression | string): DataStream<T> {
    return this.filter(condition);
  }

  /** Maps each row to any number of rows. */
  flatMap<U extends object>(fn: (row: T) => Iterable<U>, options: ClosureOptions = {}): DataStream<U> {
    return new DataStream({
      kind: 'flatMap',
      child: this.plan,
      fn: fn as (row: Row) => Iterable<Row>,
      ...declared(options.schema, 'flatMap(fn)'),
    });
  }

  /**
   * Declares `column` as event time with a lateness bound: the watermark trails the largest
   * event time seen by `delay`, and state older than it is finalized and dropped.
   */
  withWatermark(column: Column<T>, delay: Duration): DataStream<T> {
    return new DataStream({ kind: 'watermark', child: this.plan, column, delayMs: parseDuration(delay) });
  }

  /** Groups by columns and/or a `window(...)` / `sessionWindow(...)`; follow with `agg` or `count`. */
  groupBy<const K extends readonly KeySpec<T>[]>(...keys: K): GroupedStream<KeyColumns<T, K>> {
    if (keys.some((key) => typeof key === 'object' && 'expr' in key)) {
      const grouping = groupingPlan(
        this.plan,
        keys.map((key) => (typeof key === 'object' && 'expr' in key ? key.expr : keyExpression(key))),
      );
      return new GroupedStream(grouping.child, grouping.keys, grouping.exprs);
    }
    const grouping: GroupingKey[] = keys.map((key) =>
      typeof key === 'string' ? { kind: 'column', column: key } : (key as GroupingKey),
    );
    return new GroupedStream(this.plan, grouping);
  }

  /**
   * Drops rows whose `columns` repeat an earlier row (the whole row when empty). With a
   * watermark and the event-time column among `columns`, state expires with the watermark.
   */
  dropDuplicates(columns: Column<T>[] = []): DataStream<T> {
    return new DataStream({ kind: 'dedup', child: this.plan, columns, withinWatermark: false });
  }

  /** Drops duplicates of `columns` seen within the watermark delay of the first occurrence. */
  dropDuplicatesWithinWatermark(columns: Column<T>[] = []): DataStream<T> {
    return new DataStream({ kind: 'dedup', child: this.plan, columns, withinWatermark: true });
  }

  /**
   * Groups by a key function, for `mapGroupsWithState` / `flatMapGroupsWithState`. A function
   * cannot be checked against the source's partition key, so it is trusted to follow it, unless
   * `keyColumns` names the columns the key is made of (equal keys, equal values): then the planner
   * checks them, and when they do not include the partition key it routes rows through the
   * exchange by the key (as Spark shuffles before `groupByKey`).
   */
  groupByKey<K>(
    keyFn: (row: T) => K,
    options: { readonly keyColumns?: Column<T>[] } = {},
  ): KeyedStream<T, K> {
    return new KeyedStream(
      this.plan,
      keyFn as (row: Row) => unknown,
      options.keyColumns as string[] | undefined,
    );
  }

  /**
   * Joins with a static dataset or another stream, as Spark's `join`: by same-named columns
   * (`join(other, ['adId'])`, `join(other, { on: ['adId'] })`), or by a condition
   * (`join(other, expr('a.adId = b.impressionAdId AND b.t BETWEEN a.t AND a.t + INTERVAL 1 HOUR'), 'left_outer')`).
   * Output rows merge both sides' columns (the right side's value wins for a shared name).
   */
  join<U extends object>(
    other: DataStream<U> | StaticDataset<U>,
    on: JoinOptions | ColumnExpression | readonly string[] | string,
    how?: JoinType,
  ): DataStream<T & U> {
    const options: JoinOptions =
      typeof on === 'string'
        ? { on: [on] }
        : Array.isArray(on)
          ? { on: on as readonly string[] }
          : on instanceof ColumnExpression
            ? { condition: on }
            : (on as JoinOptions);
    const type = how ?? options.how ?? 'inner';
    if (other instanceof DataStream) {
      const timeRange = options.timeRange && {
        leftColumn: options.timeRange.leftColumn,
        rightColumn: options.timeRange.rightColumn,
        minMs: signedDuration(options.timeRange.min),
        maxMs: signedDuration(options.timeRange.max),
      };
      const condition =
        options.condition === undefined
          ? undefined
          : resolveJoinCondition(
              typeof options.condition === 'string'
                ? parseExpr(options.condition).expr
                : options.condition.expr,
              { names: this.names, known: knownColumnsOf(this.plan) },
              { names: other.names, known: knownColumnsOf(other.plan) },
            );
      return new DataStream(
        streamJoinNode(this.plan, other.plan, type, {
          on: options.on ?? [],
          ...(timeRange === undefined ? {} : { timeRange }),
          ...(condition === undefined ? {} : { condition }),
        }),
      );
    }
    if (options.condition !== undefined || options.timeRange !== undefined) {
      throw new InvalidQueryError(
        'STREAM_STATIC_JOIN_CONDITION',
        'A join with a static dataset takes same-named equality columns only (on: [...]); compute the columns to compare with withColumn(...) first.',
      );
    }
    return new DataStream({
      kind: 'staticJoin',
      child: this.plan,
      rows: other.rows as readonly Row[],
      on: options.on ?? [],
      how: type,
    });
  }

  /**
   * Sorts the output (Spark's `orderBy` / `sort`): only the complete result table of an
   * aggregation in complete mode, as in Spark — the checker rejects it anywhere else. Keys are
   * names, expressions or `col('n').desc()`.
   */
  orderBy(...items: SortItem[]): DataStream<T> {
    return new DataStream<T>({ kind: 'sort', child: this.plan, orders: items.map(sortOrderOf) });
  }

  sort(...items: SortItem[]): DataStream<T> {
    return this.orderBy(...items);
  }

  /** The first `n` rows of the output (complete mode; Spark also runs it in append mode, see docs). */
  limit(n: number): DataStream<T> {
    if (!Number.isInteger(n) || n < 0)
      throw new InvalidQueryError('INVALID_LIMIT', `limit(${n}) needs a whole number ≥ 0.`, { n });
    return new DataStream<T>({ kind: 'limit', child: this.plan, n });
  }

  /** Spark's `Dataset.distinct()`: `dropDuplicates()` over whole rows. */
  distinct(): DataStream<T> {
    return this.dropDuplicates();
  }

  /** All rows of this stream and the others; each keeps its own watermark (global = min). */
  union(...others: DataStream<T>[]): DataStream<T> {
    return new DataStream({ kind: 'union', children: [this.plan, ...others.map((other) => other.plan)] });
  }

  /**
   * Registers this stream (with its watermarks) under `name` for {@link sql} queries, as Spark's
   * `createOrReplaceTempView`. Pass a `TempViews` catalog to keep views apart (tests).
   */
  createOrReplaceTempView(name: string, views: TempViews = defaultViews): void {
    views.register(name, this.plan);
  }

  /** Starts describing the output: mode, sink and name. */
  get writeStream(): DataStreamWriter<T> {
    return new DataStreamWriter<T>(this.plan);
  }
}

let streamTokens = 0;

/** A declared output schema as a plan field. */
function declared(schema: OutputSchema | undefined, where: string) {
  return schema === undefined ? {} : { schema: declaredSchema(schema, where) };
}

/** A closure-API grouping key as an expression, when it is mixed with column expressions. */
function keyExpression(key: string | GroupingKey): Expression {
  if (typeof key === 'string') return { kind: 'column', name: key };
  const time: Expression = { kind: 'column', name: key.column };
  if (key.kind === 'column') return time;
  if (key.kind === 'session')
    return {
      kind: 'call',
      name: 'session_window',
      args: [
        time,
        key.gapColumn === undefined
          ? { kind: 'literal', value: key.gapMs }
          : { kind: 'column', name: key.gapColumn },
      ],
    };
  return {
    kind: 'call',
    name: 'window',
    args: [
      time,
      ...[key.durationMs, key.slideMs, key.startMs].map((ms): Expression => ({ kind: 'literal', value: ms })),
    ],
  };
}

/** Durations in time ranges may be negative (`'-5 minutes'`). */
function signedDuration(value: Duration): number {
  if (typeof value === 'number') return Math.trunc(value);
  const text = value.trim();
  return text.startsWith('-') ? -parseDuration(text.slice(1)) : parseDuration(text);
}

/** The result of `groupBy`. */
export class GroupedStream<Keys> {
  constructor(
    private readonly child: PlanNode,
    private readonly keys: readonly GroupingKey[],
    private readonly keyExprs: Grouping['exprs'] = [],
  ) {}

  /**
   * Aggregates each group, e.g. `agg({ views: count(), revenue: sum('price') })`, or with column
   * expressions as in Spark: `agg(F.count('*').alias('views'), expr('sum(price * qty) AS revenue'))`.
   */
  agg(...columns: ColumnExpression[]): DataStream<Keys & Row>;
  agg<A extends Record<string, AggregateFunction>>(
    aggregates: A,
  ): DataStream<Keys & AggregateColumns<A> & Row>;
  agg(...args: unknown[]): DataStream<any> {
    if (args.length > 0 && args.every((arg) => typeof arg === 'object' && arg !== null && 'expr' in arg)) {
      const exprs = (args as ColumnExpression[]).map((column) => column.expr);
      return new DataStream(aggregationPlan(this.child, this.keys, exprs, this.keyExprs));
    }
    const aggregates = (args[0] ?? {}) as Record<string, AggregateFunction>;
    if (Object.keys(aggregates).length === 0) {
      throw new InvalidQueryError(
        'EMPTY_AGGREGATION',
        'agg() needs at least one aggregate, e.g. agg({ n: count() }).',
      );
    }
    return new DataStream({ kind: 'aggregate', child: this.child, keys: this.keys, aggregates });
  }

  /** Counts rows per group into a `count` column. */
  count(): DataStream<Keys & { count: number } & Row> {
    return this.agg({ count: countFn() });
  }
}

/** Options of `mapGroupsWithState` / `flatMapGroupsWithState`. */
export interface GroupsWithStateOptions<K, S> {
  /** @default GroupStateTimeout.NoTimeout */
  readonly timeout?: GroupStateTimeout;
  /** State applied in the first batch only, as Spark's `initialState`. */
  readonly initialState?: ReadonlyArray<readonly [K, S]>;
  /**
   * Spark's `skipEmittingInitialStateKeys`: in the first batch, do not call the function for keys
   * that have initial state but no rows (their state is still applied).
   * @default false (as Spark: they are called with no rows)
   */
  readonly skipEmittingInitialStateKeys?: boolean;
  /**
   * The output rows' columns (Spark's output encoder): `{ user: 'string', views: 'long' }` or a
   * zod schema. Needed to infer the query's output schema (Glue columns, Parquet types).
   * @default unknown
   */
  readonly schema?: OutputSchema;
}

/** The result of `groupByKey`. */
export class KeyedStream<T extends object, K> {
  constructor(
    private readonly child: PlanNode,
    private readonly keyFn: (row: Row) => unknown,
    private readonly keyColumns?: readonly string[],
  ) {}

  /** Calls `fn` once per key with data (and per timed-out key); it returns one output row. Update mode only. */
  mapGroupsWithState<S, U extends object>(
    fn: (key: K, rows: readonly T[], state: GroupState<S>) => U,
    options: GroupsWithStateOptions<K, S> = {},
  ): DataStream<U> {
    return this.build(false, 'update', fn as never, options);
  }

  /** Calls `fn` once per key with data (and per timed-out key); it returns any number of rows. */
  flatMapGroupsWithState<S, U extends object>(
    outputMode: 'append' | 'update',
    fn: (key: K, rows: readonly T[], state: GroupState<S>) => Iterable<U>,
    options: GroupsWithStateOptions<K, S> = {},
  ): DataStream<U> {
    return this.build(true, outputMode, fn as never, options);
  }

  private build<U extends object>(
    flat: boolean,
    outputMode: 'append' | 'update',
    fn: (key: unknown, rows: readonly Row[], state: GroupState<unknown>) => Iterable<Row> | Row,
    options: GroupsWithStateOptions<K, unknown>,
  ): DataStream<U> {
    return new DataStream({
      kind: 'groupsWithState',
      child: this.child,
      keyFn: this.keyFn,
      ...(this.keyColumns === undefined ? {} : { keyColumns: this.keyColumns }),
      flat,
      outputMode,
      timeout: options.timeout ?? GroupStateTimeout.NoTimeout,
      fn,
      ...(options.initialState === undefined ? {} : { initialState: options.initialState }),
      ...(options.skipEmittingInitialStateKeys === true
        ? { skipEmittingInitialStateKeys: true as const }
        : {}),
      ...declared(options.schema, flat ? 'flatMapGroupsWithState' : 'mapGroupsWithState'),
    });
  }
}

/** Starts a query definition from a named input stream (a Kinesis stream or a test `MemoryStream`). */
export function readStream<T extends object>(
  name: string,
  options: ReadStreamOptions<T> = {},
): DataStream<T> {
  return new DataStream<T>({
    kind: 'source',
    name,
    ...(options.eventTime === undefined ? {} : { eventTime: options.eventTime }),
    ...(options.schema === undefined ? {} : { schema: options.schema as StandardSchemaV1<unknown, Row> }),
    ...(options.partitionKey === undefined
      ? {}
      : { partitionKey: options.partitionKey as string | ((row: Row) => string) }),
    ...(options.stream === undefined ? {} : { stream: options.stream }),
  });
}
