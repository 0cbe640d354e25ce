import { InvalidQueryError } from '../errors.js';
import {
  type AggregateFunction,
  approxCountDistinct,
  avg,
  collectList,
  count,
  max,
  min,
  sum,
} from '../operators/aggregate/functions.js';
import { ExpressionError } from '../plan/expressions/errors.js';
import {
  type Expression,
  hasAggregate,
  type NamedExpression,
  someExpression,
  transformExpression,
  unalias,
} from '../plan/expressions/expression.js';
import { constantDuration } from '../plan/expressions/scalar-functions.js';
import { outputName, sqlText } from '../plan/expressions/sql-text.js';
import type { GroupingKey, PlanNode } from '../plan/nodes.js';
import { Column } from './column.js';
import { dynamicSessionWindow, sessionWindow, window } from './windows.js';

/** An interval or a literal duration: a gap every row shares. */
const isConstantDuration = (e: Expression): boolean =>
  e.kind === 'interval' ||
  (e.kind === 'literal' && (typeof e.value === 'string' || typeof e.value === 'number'));

/**
 * Builds plan nodes from column expressions, so that `select(col(...))`, `selectExpr`, SQL text and
 * the closure API end in the same plan shapes: plain column lists stay `select` nodes, grouping
 * keys and aggregate inputs that are expressions are computed by a `project` below the aggregation
 * (as Spark's planner pulls them out), and anything computed over aggregates is a `project` above.
 */

/** A select-list item as the API takes it: a column name or a {@link Column}. */
export type SelectItem = string | Column;

export const itemExpression = (item: SelectItem): Expression =>
  typeof item === 'string' ? (item === '*' ? { kind: 'star' } : { kind: 'column', name: item }) : item.expr;

/** `select(...)`: a `select` node for plain columns, otherwise a `project` (or a global aggregation). */
export function projectPlan(child: PlanNode, exprs: readonly Expression[]): PlanNode {
  if (exprs.some(hasAggregate)) return aggregationPlan(child, [], exprs, []);
  if (exprs.every((e) => e.kind === 'column')) {
    return { kind: 'select', child, columns: exprs.map((e) => (e as { name: string }).name) };
  }
  const keepInput = exprs.some((e) => e.kind === 'star');
  const columns = exprs.filter((e) => e.kind !== 'star').map(named);
  return { kind: 'project', child, keepInput, drop: [], columns };
}

const named = (expr: Expression): NamedExpression => ({ name: outputName(expr), expr: unalias(expr) });

/** `withColumn(name, column)` and `withColumnRenamed(from, to)`. */
export function withColumnsPlan(
  child: PlanNode,
  columns: readonly NamedExpression[],
  drop: readonly string[] = [],
): PlanNode {
  for (const column of columns) rejectAggregate(column.expr, 'withColumn');
  return { kind: 'project', child, keepInput: true, drop, columns };
}

/** `where(condition)` with an expression. */
export function wherePlan(child: PlanNode, condition: Expression): PlanNode {
  rejectAggregate(condition, 'where');
  return { kind: 'where', child, condition: unalias(condition) };
}

function rejectAggregate(expr: Expression, where: string): void {
  if (hasAggregate(expr))
    throw new ExpressionError(
      `${where}(${sqlText(expr)}): aggregates are only allowed in agg(...) or a SQL SELECT with GROUP BY.`,
    );
}

/** A grouping key with the expression it came from (for SQL select lists that repeat it). */
export interface Grouping {
  readonly child: PlanNode;
  readonly keys: readonly GroupingKey[];
  /** Each key's source expression and the output column it becomes. */
  readonly exprs: readonly { readonly expr: Expression; readonly column: string }[];
}

/** `groupBy(...)` keys given as names, columns or expressions. */
export function groupingPlan(child: PlanNode, items: readonly Expression[]): Grouping {
  const computed: NamedExpression[] = [];
  const keys: GroupingKey[] = [];
  const exprs: { expr: Expression; column: string }[] = [];
  const asColumn = (expr: Expression): string => {
    const e = unalias(expr);
    if (e.kind === 'column' && expr.kind !== 'alias') return e.name;
    const name = outputName(expr);
    if (!computed.some((c) => c.name === name)) computed.push({ name, expr: e });
    return name;
  };
  for (const item of items) {
    rejectAggregate(item, 'groupBy');
    const e = unalias(item);
    if (e.kind === 'call' && (e.name === 'window' || e.name === 'session_window') && item.kind !== 'alias') {
      const call = sqlText(e);
      const [time, ...rest] = e.args;
      if (time === undefined || rest.length === 0)
        throw new ExpressionError(`${call}: needs a time column and a duration.`);
      const column = asColumn(time);
      if (e.name === 'session_window' && rest.length === 1 && !isConstantDuration(rest[0]!)) {
        keys.push(dynamicSessionWindow(column, asColumn(rest[0]!)));
        exprs.push({ expr: e, column: e.name });
        continue;
      }
      const durations = rest.map((arg) => constantDuration(arg, call));
      const key =
        e.name === 'window'
          ? window(column, durations[0]!, durations[1], durations[2])
          : sessionWindow(column, durations[0]!);
      keys.push(key);
      exprs.push({ expr: e, column: e.name });
      continue;
    }
    const column = asColumn(item);
    keys.push({ kind: 'column', column });
    exprs.push({ expr: e, column });
  }
  const base: PlanNode =
    computed.length === 0 ? child : { kind: 'project', child, keepInput: true, drop: [], columns: computed };
  return { child: base, keys, exprs };
}

/**
 * `agg(...)` or a SQL select list over a grouping: one aggregation node, a `project` below it for
 * aggregate inputs that are expressions, and a `project` above it when an output is more than one
 * aggregate (`sum(a) / count(*)`) or the select list reorders the keys.
 */
export function aggregationPlan(
  child: PlanNode,
  keys: readonly GroupingKey[],
  items: readonly Expression[],
  groupExprs: Grouping['exprs'],
  options: { selectList?: boolean } = {},
): PlanNode {
  const aggregates = new Map<string, Extract<Expression, { kind: 'aggregate' }>>();
  for (const item of items) {
    someExpression(item, (e) => {
      if (e.kind === 'aggregate') aggregates.set(sqlText(e), e);
      return false;
    });
  }
  const inputs: NamedExpression[] = [];
  const functions = new Map<string, AggregateFunction>();
  for (const [text, agg] of aggregates) functions.set(text, aggregateFunction(agg, inputs));
  const input: PlanNode =
    inputs.length === 0 ? child : { kind: 'project', child, keepInput: true, drop: [], columns: inputs };

  // A select list that repeats the keys in order, then names only aggregates, is exactly what the
  // aggregation emits: no projection above it, the same plan as groupBy(...).agg(...).
  const keyPrefix = options.selectList ? groupExprs.length : 0;
  const direct =
    items.length > keyPrefix &&
    items.slice(0, keyPrefix).every((item, i) => isKeyItem(item, groupExprs[i]!)) &&
    items.slice(keyPrefix).every((item) => unalias(item).kind === 'aggregate');
  if (direct) {
    const record: Record<string, AggregateFunction> = {};
    for (const item of items.slice(keyPrefix))
      record[outputName(item)] = functions.get(sqlText(unalias(item)))!;
    return { kind: 'aggregate', child: input, keys, aggregates: record };
  }
  const record: Record<string, AggregateFunction> = {};
  for (const [text, fn] of functions) record[text] = fn;
  const aggregated: PlanNode = { kind: 'aggregate', child: input, keys, aggregates: record };
  const keyColumns = new Set(groupExprs.map((g) => g.column));
  const columns: NamedExpression[] = [];
  const keepKeys = !options.selectList;
  if (keepKeys)
    for (const g of groupExprs) columns.push({ name: g.column, expr: { kind: 'column', name: g.column } });
  for (const item of items) {
    const rewritten = transformExpression(unalias(item), (e) => {
      if (e.kind === 'aggregate') return { kind: 'column', name: sqlText(e) };
      const key = groupExprs.find((g) => sqlText(g.expr) === sqlText(e));
      return key === undefined ? undefined : { kind: 'column', name: key.column };
    });
    someExpression(rewritten, (e) => {
      if (e.kind === 'column' && !keyColumns.has(e.name) && !aggregates.has(e.name))
        throw new ExpressionError(
          `Column '${e.name}' in ${sqlText(item)} is neither a grouping key nor inside an aggregate; add it to GROUP BY or wrap it in an aggregate such as max(${e.name}).`,
        );
      return false;
    });
    columns.push({ name: outputName(item), expr: rewritten });
  }
  return { kind: 'project', child: aggregated, keepInput: false, drop: [], columns };
}

function isKeyItem(item: Expression, key: Grouping['exprs'][number]): boolean {
  return (
    outputName(item) === key.column &&
    (sqlText(unalias(item)) === sqlText(key.expr) || sqlText(unalias(item)) === key.column)
  );
}

/** The aggregate function for `agg`, reading a column (computed below when its input is an expression). */
function aggregateFunction(
  agg: Extract<Expression, { kind: 'aggregate' }>,
  inputs: NamedExpression[],
): AggregateFunction {
  const text = sqlText(agg);
  if (agg.distinct) {
    throw new InvalidQueryError(
      'DISTINCT_AGGREGATION_ON_STREAM',
      `${text}: distinct aggregations are not supported on streams (as in Spark). Use approx_count_distinct(...), or dropDuplicates(...) before counting.`,
      { aggregate: text },
    );
  }
  const [arg, param] = agg.args;
  if (arg === undefined) throw new ExpressionError(`${text}: needs an argument.`);
  if (arg.kind === 'star') {
    if (agg.name !== 'count') throw new ExpressionError(`${text}: * is only allowed in count(*).`);
    return count();
  }
  if (hasAggregate(arg)) throw new ExpressionError(`${text}: aggregates cannot be nested.`);
  let column: string;
  if (arg.kind === 'column') column = arg.name;
  else if (arg.kind === 'literal' && agg.name === 'count' && arg.value !== null) return count();
  else {
    column = sqlText(arg);
    if (!inputs.some((i) => i.name === column)) inputs.push({ name: column, expr: arg });
  }
  switch (agg.name) {
    case 'count':
      return count(column);
    case 'sum':
      return sum(column);
    case 'avg':
      return avg(column);
    case 'min':
      return min(column);
    case 'max':
      return max(column);
    case 'collect_list':
      return collectList(column);
    case 'approx_count_distinct': {
      const rsd = param?.kind === 'literal' && typeof param.value === 'number' ? param.value : undefined;
      return approxCountDistinct(column, rsd);
    }
  }
}

export { Column };
