import { ExpressionError } from '../plan/expressions/errors.js';
import type { Expression } from '../plan/expressions/expression.js';
import { parseStatements, type SqlAst } from './sql-parser.js';
import { errorAt, type SqlSource, tagOf, toExpression } from './to-expression.js';

const PREFIX = 'SELECT ';

/**
 * Parses one Spark SQL expression, as `expr("...")`, `selectExpr("...")` and `where("...")` take
 * it: `price * qty AS revenue`, `page IS NOT NULL AND status IN (200, 304)`, `*`. The text is
 * parsed as a select list of one item, so an alias is allowed where Spark allows it.
 */
export function parseExpression(text: string): Expression {
  const source: SqlSource = { text, prefix: PREFIX.length, qualifiers: new Set() };
  let statements: SqlAst[];
  try {
    statements = parseStatements(`${PREFIX}${text}`);
  } catch (error) {
    throw shifted(error, text);
  }
  const select = statements.length === 1 ? statements[0]?.Query?.body?.Select : undefined;
  const items: SqlAst[] | undefined = select?.projection;
  if (select === undefined || items?.length !== 1 || (select.from?.length ?? 0) > 0 || select.selection) {
    throw new ExpressionError(
      'Expected one expression (e.g. "price * qty AS revenue"); use sql("SELECT ...") for a whole query.',
      { text },
    );
  }
  return selectItem(items[0], source);
}

/** One item of a select list: an expression, an aliased expression, `*` or `t.*`. */
export function selectItem(item: SqlAst, source: SqlSource): Expression {
  const tag = tagOf(item);
  switch (tag) {
    case 'UnnamedExpr':
      return toExpression(item.UnnamedExpr, source);
    case 'ExprWithAlias':
      return {
        kind: 'alias',
        operand: toExpression(item.ExprWithAlias.expr, source),
        name: item.ExprWithAlias.alias.value,
      };
    case 'Wildcard':
      return { kind: 'star' };
    case 'QualifiedWildcard': {
      const name = item.QualifiedWildcard[0]?.ObjectName?.[0]?.Identifier?.value;
      return typeof name === 'string' ? { kind: 'star', qualifier: name } : { kind: 'star' };
    }
    default:
      throw errorAt(`Unsupported select item (${tag}).`, item, source);
  }
}

/** Moves a syntax error's column back over the `SELECT ` this module prepended. */
function shifted(error: unknown, text: string): unknown {
  if (!(error instanceof ExpressionError) || error.position === undefined) return error;
  const { line, column } = error.position;
  const message = error.message.split(' (line ')[0] ?? error.message;
  return new ExpressionError(message, {
    text,
    position: { line, column: line === 1 ? Math.max(1, column - PREFIX.length) : column },
  });
}
