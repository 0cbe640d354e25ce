import { aggregationPlan, groupingPlan, projectPlan, wherePlan } from '../api/expression-plans.js';
import { ExpressionError } from '../plan/expressions/errors.js';
import { type Expression, hasAggregate } from '../plan/expressions/expression.js';
import { streamJoinNode } from '../plan/joins/join-plan.js';
import { knownColumnsOf, resolveJoinCondition } from '../plan/joins/resolve-condition.js';
import type { JoinType, PlanNode } from '../plan/nodes.js';
import type { TempViews } from './catalog.js';
import { selectItem } from './parse-expression.js';
import { parseStatements, type SqlAst } from './sql-parser.js';
import { errorAt, type SqlSource, tagOf, toExpression } from './to-expression.js';

/**
 * Plans a Spark SQL query over temporary views into the same logical plan the DataFrame API
 * builds for it, so the same checker, fingerprint and runtime apply:
 * `FROM v` is the view's plan, `WHERE` a `where`, `GROUP BY` (or aggregates in the select list)
 * an aggregation planned like `groupBy(...).agg(...)`, `HAVING` a `where` over its result, the
 * select list a projection; `FROM (SELECT ...)` nests. Anything else is an {@link ExpressionError}
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
  if (query.order_by) throw errorAt('ORDER BY is not supported on streams yet.', query.order_by, source);
  if (query.limit_clause) throw errorAt('LIMIT is not supported on streams yet.', query.limit_clause, source);
  const body = query.body;
  switch (tagOf(body)) {
    case 'Select':
      return planSelect(body.Select, source, views);
    case 'Query':
      return planQuery(body.Query, source, views);
    case 'SetOperation':
      return planUnion(body.SetOperation, source, views);
    default:
      throw errorAt(`Unsupported query (${tagOf(body)}).`, body, source);
  }
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
  if (select.distinct)
    throw errorAt('SELECT DISTINCT is not supported on streams yet; use GROUP BY.', select, outer);
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
