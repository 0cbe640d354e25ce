import { aggregationPlan, groupingPlan, projectPlan, wherePlan } from '../api/expression-plans.js';
import { ExpressionError } from '../plan/expressions/errors.js';
import { type Expression, hasAggregate } from '../plan/expressions/expression.js';
import { outputName } from '../plan/expressions/sql-text.js';
import { streamJoinNode } from '../plan/joins/join-plan.js';
import { knownColumnsOf, resolveJoinCondition } from '../plan/joins/resolve-condition.js';
import type { JoinType, PlanNode, SortOrder } from '../plan/nodes.js';
import type { TempViews } from './catalog.js';
import { selectItem } from './parse-expression.js';
import { parseStatements, type SqlAst } from './sql-parser.js';
import { errorAt, type SqlSource, tagOf, toExpression } from './to-expression.js';

/**
 * Plans a Spark SQL query over temporary views into the same logical plan the DataFrame API
 * builds for it, so the same checker, fingerprint and runtime apply:
 * `FROM v` is the view's plan, `WHERE` a `where`, `GROUP BY` (or aggregates in the select list)
 * an aggregation planned like `groupBy(...).agg(...)`, `HAVING` a `where` over its result, the
 * select list a projection, `SELECT DISTINCT` an aggregation over the output columns, `ORDER BY` a
 * `sort` and `LIMIT` a `limit` (which the checker allows in complete mode only);
 * `FROM (SELECT ...)` nests. Anything else is an {@link ExpressionError}
 * pointing at the clause.
 */
export function planSql(text: string, views: TempViews): PlanNode {
  const statements = parseStatements(text);
  if (statements.length !== 1 || tagOf(statements[0]) !== 'Query') {
    throw new ExpressionError('Expected one SELECT query.', { text });
  }
  return planQuery(statements[0].Query, { text, prefix: 0, qualifiers: new Set() }, views);
}

function planQuery(query: SqlAst, source: SqlSource, views: TempViews): PlanNode {
  if (query.with)
    throw errorAt(
      'WITH (common table expressions) is not supported yet; use FROM (SELECT ...).',
      query.with,
      source,
    );
  const body = query.body;
  let plan: PlanNode;
  switch (tagOf(body)) {
    case 'Select':
      plan = planSelect(body.Select, source, views);
      break;
    case 'Query':
      plan = planQuery(body.Query, source, views);
      break;
    case 'SetOperation':
      plan = planUnion(body.SetOperation, source, views);
      break;
    default:
      throw errorAt(`Unsupported query (${tagOf(body)}).`, body, source);
  }
  if (query.order_by) plan = { kind: 'sort', child: plan, orders: sortOrders(query.order_by, source) };
  if (query.limit_clause) plan = { kind: 'limit', child: plan, n: limitOf(query.limit_clause, source) };
  return plan;
}

/**
 * `ORDER BY e [ASC|DESC] [NULLS FIRST|LAST], ...` over the select list's output columns (names or
 * aliases), with Spark's defaults: ascending, NULLs first when ascending and last when descending.
 * Whether a sort may run at all is the checker's call (complete mode after an aggregation).
 */
function sortOrders(orderBy: SqlAst, source: SqlSource): SortOrder[] {
  const kind = orderBy.kind ?? {};
  if (!('Expressions' in kind)) throw errorAt('ORDER BY ALL is not supported.', orderBy, source);
  return (kind.Expressions as SqlAst[]).map((item) => {
    const e = toExpression(item.expr, source);
    if (hasAggregate(e))
      throw errorAt(
        'ORDER BY an aggregate: name it in the select list (count(*) AS n) and order by the name.',
        item.expr,
        source,
      );
    if (e.kind === 'literal')
      throw errorAt('ORDER BY a position or constant: order by a column name or alias.', item.expr, source);
    const ascending = item.options?.asc ?? true;
    const nullsFirst = item.options?.nulls_first ?? ascending;
    return { expr: e, ascending, nullsFirst };
  });
}

/** `LIMIT n` (a whole number); `OFFSET` is rejected, as Spark rejects it on streams. */
function limitOf(clause: SqlAst, source: SqlSource): number {
  const limitOffset = clause.LimitOffset;
  if (limitOffset === undefined || limitOffset.offset || (limitOffset.limit_by ?? []).length > 0)
    throw errorAt('Only LIMIT n is supported on streams (no OFFSET, no LIMIT BY).', clause, source);
  const value =
    limitOffset.limit === null || limitOffset.limit === undefined
      ? undefined
      : toExpression(limitOffset.limit, source);
  const n = value?.kind === 'literal' ? value.value : undefined;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
    throw errorAt('LIMIT takes a whole number ≥ 0.', clause, source);
  return n;
}

/** `UNION ALL` is a stream union; `UNION` (distinct) would need unbounded state, as in Spark. */
function planUnion(op: SqlAst, source: SqlSource, views: TempViews): PlanNode {
  if (tagOf(op.op) !== 'Union' || tagOf(op.set_quantifier) !== 'All') {
    throw errorAt('Only UNION ALL is supported between streams.', op, source);
  }
  const side = (node: SqlAst) => planQuery({ body: node }, source, views);
  return { kind: 'union', children: [side(op.left), side(op.right)] };
}

function planSelect(select: SqlAst, outer: SqlSource, views: TempViews): PlanNode {
  for (const clause of ['qualify', 'prewhere'] as const)
    if (select[clause]) throw errorAt(`${clause.toUpperCase()} is not supported.`, select[clause], outer);
  if (select.distinct !== null && select.distinct !== undefined && select.distinct !== 'Distinct')
    throw errorAt('SELECT DISTINCT ON is not supported.', select, outer);
  const from: SqlAst[] = select.from ?? [];
  if (from.length !== 1) {
    throw new ExpressionError(
      from.length === 0
        ? 'A streaming query needs FROM <view>.'
        : 'Only one relation in FROM (joins come with JOIN ... ON).',
      { text: outer.text },
    );
  }
  const { plan: input, qualifiers } = planFrom(from[0], outer, views);
  const source: SqlSource = { ...outer, qualifiers };
  const convert = (node: SqlAst) => toExpression(node, source);

  let plan = input;
  if (select.selection) plan = wherePlan(plan, convert(select.selection));

  const items: Expression[] = select.projection.map((item: SqlAst) => selectItem(item, source));
  const groupBy = groupByExpressions(select.group_by, source);
  const aggregated = groupBy.length > 0 || items.some(hasAggregate) || select.having;
  if (select.distinct === 'Distinct') {
    if (aggregated)
      throw errorAt(
        'SELECT DISTINCT with GROUP BY or aggregates would be a second aggregation; drop DISTINCT (the groups are distinct already).',
        select,
        outer,
      );
    return distinctPlan(plan, items, outer);
  }
  if (!aggregated) {
    if (items.length === 1 && items[0]!.kind === 'star') return plan;
    return projectPlan(plan, items);
  }
  if (items.some((item) => item.kind === 'star')) {
    throw new ExpressionError('SELECT * cannot be combined with GROUP BY; name the keys and aggregates.', {
      text: outer.text,
    });
  }
  const grouping = groupingPlan(plan, groupBy);
  if (!select.having) {
    return aggregationPlan(grouping.child, grouping.keys, items, grouping.exprs, { selectList: true });
  }
  const having: Expression = { kind: 'alias', operand: convert(select.having), name: HAVING_COLUMN };
  const withHaving = aggregationPlan(grouping.child, grouping.keys, [...items, having], grouping.exprs, {
    selectList: true,
  });
  const filtered = wherePlan(withHaving, { kind: 'column', name: HAVING_COLUMN });
  return { kind: 'project', child: filtered, keepInput: true, drop: [HAVING_COLUMN], columns: [] };
}

/**
 * `SELECT DISTINCT a, b`: as Spark (`ReplaceDistinctWithAggregate`), an aggregation grouped by every
 * output column with no aggregates, so the checker treats it as one (append mode needs a
 * watermarked column among them; complete and update output the distinct rows).
 */
function distinctPlan(input: PlanNode, items: readonly Expression[], source: SqlSource): PlanNode {
  if (items.some((item) => item.kind === 'star'))
    throw new ExpressionError('SELECT DISTINCT * needs the columns named: SELECT DISTINCT a, b.', {
      text: source.text,
    });
  const projected = projectPlan(input, items);
  const columns = items.map(outputName);
  return {
    kind: 'aggregate',
    child: projected,
    keys: columns.map((column) => ({ kind: 'column', column })),
    aggregates: {},
  };
}

/** The select list's hidden column holding the HAVING condition until it is filtered on. */
const HAVING_COLUMN = '__having';

function groupByExpressions(groupBy: SqlAst, source: SqlSource): Expression[] {
  if (groupBy === null || groupBy === undefined) return [];
  if (tagOf(groupBy) !== 'Expressions') throw errorAt('GROUP BY ALL is not supported.', groupBy, source);
  const [exprs, modifiers] = groupBy.Expressions as [SqlAst[], SqlAst[] | null];
  if (modifiers && modifiers.length > 0)
    throw errorAt('GROUP BY ... WITH ROLLUP/CUBE is not supported on streams.', groupBy, source);
  return exprs.map((node) => toExpression(node, source));
}

/**
 * `FROM relation [JOIN relation ON ... | USING (...)]...`: each join is a stream-stream join whose
 * condition is resolved by the relations' names (view names and aliases) and built like the
 * DataFrame API's `join(other, condition, how)`.
 */
function planFrom(
  from: SqlAst,
  source: SqlSource,
  views: TempViews,
): { plan: PlanNode; qualifiers: ReadonlySet<string> } {
  let current = planRelation(from.relation, source, views);
  for (const join of (from.joins ?? []) as SqlAst[]) {
    const right = planRelation(join.relation, source, views);
    const operator = join.join_operator;
    const tag = tagOf(operator);
    const how = JOIN_TYPES[tag];
    if (how === undefined)
      throw errorAt(
        `${tag} joins are not supported between streams; use JOIN, LEFT/RIGHT/FULL OUTER JOIN or LEFT SEMI JOIN with ON or USING.`,
        join,
        source,
      );
    const constraint = operator[tag];
    const on: string[] = [];
    let condition: Expression | undefined;
    if (constraint !== null && typeof constraint === 'object' && 'On' in constraint) {
      const joined: SqlSource = {
        ...source,
        qualifiers: new Set([...current.qualifiers, ...right.qualifiers]),
      };
      condition = resolveJoinCondition(
        toExpression(constraint.On, joined),
        { names: current.qualifiers, known: knownColumnsOf(current.plan) },
        { names: right.qualifiers, known: knownColumnsOf(right.plan) },
      );
    } else if (constraint !== null && typeof constraint === 'object' && 'Using' in constraint) {
      for (const name of constraint.Using as SqlAst[]) {
        const parts = Array.isArray(name) ? name : [name];
        on.push(parts.map((part: SqlAst) => (part.Identifier ?? part).value as string).join('.'));
      }
    } else {
      throw errorAt('A join between streams needs ON <condition> or USING (<columns>).', join, source);
    }
    current = {
      plan: streamJoinNode(current.plan, right.plan, how, {
        on,
        ...(condition === undefined ? {} : { condition }),
      }),
      qualifiers: new Set([...current.qualifiers, ...right.qualifiers]),
    };
  }
  return current;
}

/** sqlparser-rs join operators → join types. */
const JOIN_TYPES: Readonly<Record<string, JoinType>> = {
  Join: 'inner',
  Inner: 'inner',
  Left: 'left_outer',
  LeftOuter: 'left_outer',
  Right: 'right_outer',
  RightOuter: 'right_outer',
  FullOuter: 'full_outer',
  LeftSemi: 'left_semi',
  Semi: 'left_semi',
  LeftAnti: 'left_anti',
  Anti: 'left_anti',
};

/** `view [alias]` or `(SELECT ...) alias`. */
function planRelation(
  relation: SqlAst,
  source: SqlSource,
  views: TempViews,
): { plan: PlanNode; qualifiers: ReadonlySet<string> } {
  switch (tagOf(relation)) {
    case 'Table': {
      const table = relation.Table;
      if (table.args) throw errorAt('Table-valued functions are not supported.', relation, source);
      const parts = (table.name as SqlAst[]).map((part) => (part.Identifier ?? part).value as string);
      const name = parts.join('.');
      const plan = views.get(name);
      if (plan === undefined) {
        const known = views.names();
        throw errorAt(
          `Unknown view '${name}'. Register a stream with stream.createOrReplaceTempView('${name}')${known.length > 0 ? `; known views: ${known.join(', ')}` : ''}.`,
          relation,
          source,
        );
      }
      const alias = table.alias?.name?.value as string | undefined;
      return { plan, qualifiers: new Set([name, ...(alias === undefined ? [] : [alias])]) };
    }
    case 'Derived': {
      const derived = relation.Derived;
      const plan = planQuery(derived.subquery, source, views);
      const alias = derived.alias?.name?.value as string | undefined;
      return { plan, qualifiers: new Set(alias === undefined ? [] : [alias]) };
    }
    default:
      throw errorAt(`Unsupported FROM item (${tagOf(relation)}).`, relation, source);
  }
}
