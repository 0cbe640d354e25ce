import type { CastType, Expression } from './expression.js';

const CAST_NAMES: Readonly<Record<CastType, string>> = {
  string: 'STRING',
  int: 'INT',
  bigint: 'BIGINT',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  timestamp: 'TIMESTAMP',
  date: 'DATE',
};

/**
 * The column name Spark gives an unaliased expression (its "pretty SQL"): `page` for a column,
 * `(price * qty)`, `upper(page)`, `count(1)` for `count(*)`, `CAST(x AS INT)`. Output columns
 * of `select`, `groupBy` keys and `agg` results are named by it, as in Spark.
 */
export function outputName(expr: Expression): string {
  switch (expr.kind) {
    case 'column':
      return expr.name;
    case 'alias':
      return expr.name;
    case 'field':
      return expr.name;
    case 'cast':
      // Spark's ResolveAliases: a cast of a named column keeps the column's name.
      return expr.operand.kind === 'column' || expr.operand.kind === 'field'
        ? outputName(expr.operand)
        : sqlText(expr);
    case 'call':
      // groupBy(window(...)) names its column `window`, as Spark does.
      if (expr.name === 'window' || expr.name === 'session_window') return expr.name;
      return sqlText(expr);
    default:
      return sqlText(expr);
  }
}

/** The expression as Spark SQL text, in Spark's pretty-printed shape. */
export function sqlText(expr: Expression): string {
  switch (expr.kind) {
    case 'column':
      return expr.qualifier === undefined ? expr.name : `${expr.qualifier}.${expr.name}`;
    case 'literal':
      return expr.value === null ? 'NULL' : String(expr.value);
    case 'interval':
      return `INTERVAL '${expr.ms / 1000}' SECOND`;
    case 'binary':
      return `(${sqlText(expr.left)} ${expr.op === 'and' || expr.op === 'or' || expr.op === 'div' ? expr.op.toUpperCase() : expr.op} ${sqlText(expr.right)})`;
    case 'not':
      return `(NOT ${sqlText(expr.operand)})`;
    case 'negate':
      return `(- ${sqlText(expr.operand)})`;
    case 'isNull':
      return `(${sqlText(expr.operand)} IS ${expr.negated ? 'NOT ' : ''}NULL)`;
    case 'in':
      return `(${sqlText(expr.operand)}${expr.negated ? ' NOT' : ''} IN (${expr.list.map(sqlText).join(', ')}))`;
    case 'between':
      return `(${sqlText(expr.operand)}${expr.negated ? ' NOT' : ''} BETWEEN ${sqlText(expr.low)} AND ${sqlText(expr.high)})`;
    case 'case': {
      const head = expr.operand === undefined ? 'CASE' : `CASE ${sqlText(expr.operand)}`;
      const branches = expr.branches
        .map((b) => ` WHEN ${sqlText(b.when)} THEN ${sqlText(b.result)}`)
        .join('');
      const otherwise = expr.otherwise === undefined ? '' : ` ELSE ${sqlText(expr.otherwise)}`;
      return `${head}${branches}${otherwise} END`;
    }
    case 'cast':
      return `CAST(${sqlText(expr.operand)} AS ${CAST_NAMES[expr.to]})`;
    case 'field':
      return `${sqlText(expr.operand)}.${expr.name}`;
    case 'call':
      return `${expr.name}(${expr.args.map(sqlText).join(', ')})`;
    case 'aggregate': {
      const args = expr.args.map((arg) => (arg.kind === 'star' ? '1' : sqlText(arg)));
      return `${expr.name}(${expr.distinct ? 'DISTINCT ' : ''}${args.join(', ')})`;
    }
    case 'alias':
      return `${sqlText(expr.operand)} AS ${expr.name}`;
    case 'star':
      return expr.qualifier === undefined ? '*' : `${expr.qualifier}.*`;
  }
}
