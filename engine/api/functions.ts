import type { AggregateName, Expression } from '../plan/expressions/expression.js';
import type { Duration } from '../types.js';
import { Column, type ColumnLike, col, expr, lit, type SortColumn, toExpr } from './column.js';

/** A column given by name (as Spark's functions accept `"ts"` or `col("ts")`). */
type ColumnRef = Column | string;

const ref = (value: ColumnRef): Expression => (typeof value === 'string' ? col(value).expr : value.expr);
const call = (name: string, ...args: Expression[]) => new Column({ kind: 'call', name, args });
const aggregate = (name: AggregateName, args: Expression[], distinct = false) =>
  new Column({ kind: 'aggregate', name, args, distinct });
const durationLiteral = (value: Duration): Expression => ({ kind: 'literal', value });

/**
 * Spark's `functions` (`import pyspark.sql.functions as F`), by their Spark names: column
 * builders, scalar functions and aggregates that return {@link Column}s for `select`,
 * `withColumn`, `where`, `groupBy` and `agg`.
 *
 * @example
 * events.withWatermark('ts', '10 minutes')
 *   .groupBy(F.window('ts', '1 minute'), 'page')
 *   .agg(F.count('*').alias('views'), F.sum(F.col('price').multiply(F.col('qty'))).alias('revenue'))
 */
export const F = {
  col,
  lit,
  expr,
  /** Starts `CASE WHEN condition THEN value`; chain `.when(...)` and end with `.otherwise(...)`. */
  when: (condition: ColumnLike, value: ColumnLike): Column =>
    new Column({ kind: 'case', branches: [{ when: toExpr(condition), result: toExpr(value) }] }),
  not: (value: ColumnLike): Column => new Column({ kind: 'not', operand: toExpr(value) }),
  coalesce: (...values: ColumnLike[]): Column => call('coalesce', ...values.map(toExpr)),
  // time
  /** The `[start, end)` window containing the time column; as a groupBy key, sliding windows too. */
  window: (timeColumn: ColumnRef, duration: Duration, slide?: Duration, startTime?: Duration): Column =>
    call(
      'window',
      ref(timeColumn),
      durationLiteral(duration),
      ...(slide === undefined && startTime === undefined ? [] : [durationLiteral(slide ?? duration)]),
      ...(startTime === undefined ? [] : [durationLiteral(startTime)]),
    ),
  /**
   * A session window (groupBy key only). The gap is a constant, or per row a column expression
   * giving an interval (Spark's dynamic gap: `F.when(...).otherwise(...)`); rows whose gap is NULL or
   * not positive are dropped.
   */
  session_window: (timeColumn: ColumnRef, gap: Duration | Column): Column =>
    call('session_window', ref(timeColumn), gap instanceof Column ? gap.expr : durationLiteral(gap)),
  /** The event time of a window: its end − 1 ms. */
  window_time: (windowColumn: ColumnRef): Column => call('window_time', ref(windowColumn)),
  date_trunc: (unit: string, ts: ColumnRef): Column => call('date_trunc', lit(unit).expr, ref(ts)),
  timestamp_millis: (ms: ColumnRef): Column => call('timestamp_millis', ref(ms)),
  timestamp_seconds: (s: ColumnRef): Column => call('timestamp_seconds', ref(s)),
  to_timestamp: (text: ColumnRef): Column => call('to_timestamp', ref(text)),
  hour: (ts: ColumnRef): Column => call('hour', ref(ts)),
  minute: (ts: ColumnRef): Column => call('minute', ref(ts)),
  // strings and numbers
  upper: (value: ColumnRef): Column => call('upper', ref(value)),
  lower: (value: ColumnRef): Column => call('lower', ref(value)),
  length: (value: ColumnRef): Column => call('length', ref(value)),
  trim: (value: ColumnRef): Column => call('trim', ref(value)),
  substring: (value: ColumnRef, pos: number, len: number): Column =>
    call('substring', ref(value), lit(pos).expr, lit(len).expr),
  concat: (...values: ColumnRef[]): Column => call('concat', ...values.map(ref)),
  concat_ws: (separator: string, ...values: ColumnRef[]): Column =>
    call('concat_ws', lit(separator).expr, ...values.map(ref)),
  abs: (value: ColumnRef): Column => call('abs', ref(value)),
  round: (value: ColumnRef, scale = 0): Column => call('round', ref(value), lit(scale).expr),
  floor: (value: ColumnRef): Column => call('floor', ref(value)),
  ceil: (value: ColumnRef): Column => call('ceil', ref(value)),
  greatest: (...values: ColumnRef[]): Column => call('greatest', ...values.map(ref)),
  least: (...values: ColumnRef[]): Column => call('least', ...values.map(ref)),
  // aggregates
  /** `count('*')` counts rows; `count(column)` counts non-null values. */
  count: (value: ColumnRef): Column => aggregate('count', [value === '*' ? { kind: 'star' } : ref(value)]),
  /** Spark's `count_distinct`: rejected on streams, as Spark does (use approx_count_distinct). */
  count_distinct: (value: ColumnRef): Column => aggregate('count', [ref(value)], true),
  sum: (value: ColumnRef): Column => aggregate('sum', [ref(value)]),
  avg: (value: ColumnRef): Column => aggregate('avg', [ref(value)]),
  mean: (value: ColumnRef): Column => aggregate('avg', [ref(value)]),
  min: (value: ColumnRef): Column => aggregate('min', [ref(value)]),
  max: (value: ColumnRef): Column => aggregate('max', [ref(value)]),
  approx_count_distinct: (value: ColumnRef, rsd?: number): Column =>
    aggregate('approx_count_distinct', rsd === undefined ? [ref(value)] : [ref(value), lit(rsd).expr]),
  collect_list: (value: ColumnRef): Column => aggregate('collect_list', [ref(value)]),
  // sort keys, for orderBy
  asc: (value: ColumnRef): SortColumn => new Column(ref(value)).asc(),
  desc: (value: ColumnRef): SortColumn => new Column(ref(value)).desc(),
};
