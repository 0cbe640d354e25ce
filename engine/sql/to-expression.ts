import { ExpressionError, type TextPosition } from '../plan/expressions/errors.js';
import type { AggregateName, BinaryOperator, CastType, Expression } from '../plan/expressions/expression.js';
import { REFUSED_FUNCTIONS, SCALAR_FUNCTIONS } from '../plan/expressions/scalar-functions.js';
import { parseDuration } from '../time/duration.js';
import type { SqlAst } from './sql-parser.js';

/** Where the converted text came from, for error positions. */
export interface SqlSource {
  /** The text as the user wrote it. */
  readonly text: string;
  /** Characters prepended on line 1 before parsing (`SELECT ` for a bare expression). */
  readonly prefix: number;
  /** Table names and aliases in scope: `e.id` is column `id` of `e`, not field `id` of column `e`. */
  readonly qualifiers: ReadonlySet<string>;
}

const BINARY: Readonly<Record<string, BinaryOperator>> = {
  Plus: '+',
  Minus: '-',
  Multiply: '*',
  Divide: '/',
  Modulo: '%',
  MyIntegerDivide: 'div',
  Eq: '=',
  NotEq: '!=',
  Lt: '<',
  LtEq: '<=',
  Gt: '>',
  GtEq: '>=',
  Spaceship: '<=>',
  And: 'and',
  Or: 'or',
  StringConcat: '||',
};

const AGGREGATES: Readonly<Record<string, AggregateName>> = {
  count: 'count',
  sum: 'sum',
  avg: 'avg',
  mean: 'avg',
  min: 'min',
  max: 'max',
  approx_count_distinct: 'approx_count_distinct',
  collect_list: 'collect_list',
};

const CASTS: Readonly<Record<string, CastType>> = {
  String: 'string',
  Varchar: 'string',
  Char: 'string',
  Text: 'string',
  Int: 'int',
  Integer: 'int',
  SmallInt: 'int',
  TinyInt: 'int',
  BigInt: 'bigint',
  Long: 'bigint',
  Double: 'double',
  DoublePrecision: 'double',
  Float: 'double',
  Real: 'double',
  Decimal: 'double',
  Numeric: 'double',
  Dec: 'double',
  Boolean: 'boolean',
  Bool: 'boolean',
  Timestamp: 'timestamp',
  TimestampNtz: 'timestamp',
  Datetime: 'timestamp',
  Date: 'date',
};

const INTERVAL_UNITS: Readonly<Record<string, number>> = {
  Millisecond: 1,
  Milliseconds: 1,
  Second: 1000,
  Seconds: 1000,
  Minute: 60_000,
  Minutes: 60_000,
  Hour: 3_600_000,
  Hours: 3_600_000,
  Day: 86_400_000,
  Days: 86_400_000,
  Week: 604_800_000,
  Weeks: 604_800_000,
};

/** The name of an externally tagged enum value: `"Null"` → `Null`, `{ Cast: {...} }` → `Cast`. */
export function tagOf(node: SqlAst): string {
  if (typeof node === 'string') return node;
  if (node !== null && typeof node === 'object') return Object.keys(node)[0] ?? '';
  return '';
}

/** The first source position found in a node, for error messages. */
export function positionOf(node: SqlAst, source: SqlSource): TextPosition | undefined {
  const span = findSpan(node);
  if (span === undefined) return undefined;
  const { line, column } = span.start as TextPosition;
  if (line === 0) return undefined;
  return { line, column: line === 1 ? column - source.prefix : column };
}

function findSpan(node: SqlAst): SqlAst | undefined {
  if (node === null || typeof node !== 'object') return undefined;
  if (node.span?.start !== undefined) return node.span;
  for (const value of Object.values(node)) {
    const found = findSpan(value);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** An {@link ExpressionError} pointing at `node` in the source text. */
export function errorAt(message: string, node: SqlAst, source: SqlSource): ExpressionError {
  const position = positionOf(node, source);
  return new ExpressionError(message, { text: source.text, ...(position === undefined ? {} : { position }) });
}

/** Converts one sqlparser-rs expression into sluice's {@link Expression}. */
export function toExpression(node: SqlAst, source: SqlSource): Expression {
  const convert = (child: SqlAst) => toExpression(child, source);
  const tag = tagOf(node);
  const body = node[tag];
  switch (tag) {
    case 'Identifier':
      return { kind: 'column', name: body.value };
    case 'CompoundIdentifier': {
      const parts = (body as SqlAst[]).map((part) => part.value as string);
      const qualified = parts.length > 1 && source.qualifiers.has(parts[0]!);
      let expr: Expression = qualified
        ? { kind: 'column', name: parts[1]!, qualifier: parts[0]! }
        : { kind: 'column', name: parts[0]! };
      for (const field of parts.slice(qualified ? 2 : 1))
        expr = { kind: 'field', operand: expr, name: field };
      return expr;
    }
    case 'Value':
      return { kind: 'literal', value: literalOf(body.value, node, source) };
    case 'Nested':
      return convert(body);
    case 'Interval':
      return intervalOf(body, node, source);
    case 'BinaryOp': {
      const op = BINARY[tagOf(body.op)];
      if (op === undefined) throw errorAt(`Unsupported operator ${tagOf(body.op)}.`, node, source);
      return { kind: 'binary', op, left: convert(body.left), right: convert(body.right) };
    }
    case 'UnaryOp': {
      const operand = convert(body.expr);
      switch (tagOf(body.op)) {
        case 'Not':
          return { kind: 'not', operand };
        case 'Minus':
          return operand.kind === 'literal' && typeof operand.value === 'number'
            ? { kind: 'literal', value: -operand.value }
            : operand.kind === 'interval'
              ? { kind: 'interval', ms: -operand.ms }
              : { kind: 'negate', operand };
        case 'Plus':
          return operand;
        default:
          throw errorAt(`Unsupported operator ${tagOf(body.op)}.`, node, source);
      }
    }
    case 'IsNull':
    case 'IsNotNull':
      return { kind: 'isNull', operand: convert(body), negated: tag === 'IsNotNull' };
    case 'InList':
      return { kind: 'in', operand: convert(body.expr), list: body.list.map(convert), negated: body.negated };
    case 'Between':
      return {
        kind: 'between',
        operand: convert(body.expr),
        low: convert(body.low),
        high: convert(body.high),
        negated: body.negated,
      };
    case 'Like':
    case 'ILike':
    case 'RLike': {
      const fn = tag === 'RLike' ? 'rlike' : 'like';
      const lower = (e: Expression): Expression =>
        tag === 'ILike' ? { kind: 'call', name: 'lower', args: [e] } : e;
      const call: Expression = {
        kind: 'call',
        name: fn,
        args: [lower(convert(body.expr)), lower(convert(body.pattern))],
      };
      return body.negated ? { kind: 'not', operand: call } : call;
    }
    case 'Case':
      return {
        kind: 'case',
        ...(body.operand ? { operand: convert(body.operand) } : {}),
        branches: body.conditions.map((c: SqlAst) => ({
          when: convert(c.condition),
          result: convert(c.result),
        })),
        ...(body.else_result ? { otherwise: convert(body.else_result) } : {}),
      };
    case 'Cast':
      return { kind: 'cast', operand: convert(body.expr), to: castTypeOf(body.data_type, node, source) };
    case 'TypedString': {
      const text = body.value?.value?.SingleQuotedString ?? body.value?.SingleQuotedString;
      return {
        kind: 'cast',
        operand: { kind: 'literal', value: typeof text === 'string' ? text : null },
        to: castTypeOf(body.data_type, node, source),
      };
    }
    case 'Function':
      return functionOf(body, node, source);
    // Functions with SQL-standard syntax of their own get nodes of their own in sqlparser-rs.
    case 'Substring':
      if (!body.substring_from) throw errorAt('substring takes 2 or more argument(s), got 1.', node, source);
      return {
        kind: 'call',
        name: 'substring',
        args: [body.expr, body.substring_from, body.substring_for].filter((a) => a).map(convert),
      };
    case 'Trim':
      if (body.trim_where || body.trim_what || body.trim_characters)
        throw errorAt('Only trim(str) is supported.', node, source);
      return { kind: 'call', name: 'trim', args: [convert(body.expr)] };
    case 'Ceil':
    case 'Floor':
      return { kind: 'call', name: tag.toLowerCase(), args: [convert(body.expr)] };
    default:
      throw errorAt(`Unsupported expression (${tag}) in a streaming query.`, node, source);
  }
}

function literalOf(value: SqlAst, node: SqlAst, source: SqlSource): string | number | boolean | null {
  const tag = tagOf(value);
  switch (tag) {
    case 'Null':
      return null;
    case 'Number':
      return Number(value.Number[0]);
    case 'SingleQuotedString':
    case 'DoubleQuotedString':
      return value[tag] as string;
    case 'Boolean':
      return value.Boolean as boolean;
    default:
      throw errorAt(`Unsupported literal (${tag}).`, node, source);
  }
}

function intervalOf(body: SqlAst, node: SqlAst, source: SqlSource): Expression {
  const value = toExpression(body.value, source);
  const unit =
    body.leading_field === null || body.leading_field === undefined ? undefined : tagOf(body.leading_field);
  if (unit === undefined && value.kind === 'literal' && typeof value.value === 'string')
    return { kind: 'interval', ms: parseDuration(value.value) };
  const size = unit === undefined ? undefined : INTERVAL_UNITS[unit];
  const amount =
    value.kind === 'literal'
      ? typeof value.value === 'string'
        ? Number(value.value)
        : value.value
      : undefined;
  if (size === undefined || typeof amount !== 'number' || Number.isNaN(amount) || body.last_field) {
    throw errorAt(
      'Unsupported interval: write a number and one unit from milliseconds to weeks, e.g. INTERVAL 10 MINUTES.',
      node,
      source,
    );
  }
  return { kind: 'interval', ms: Math.round(amount * size) };
}

function castTypeOf(dataType: SqlAst, node: SqlAst, source: SqlSource): CastType {
  const tag = tagOf(dataType);
  const to = CASTS[tag];
  if (to === undefined) throw errorAt(`Unsupported CAST target type ${tag}.`, node, source);
  return to;
}

function functionOf(body: SqlAst, node: SqlAst, source: SqlSource): Expression {
  const nameParts = (body.name as SqlAst[]).map((part) => (part.Identifier ?? part).value as string);
  const name = nameParts.join('.').toLowerCase();
  if (body.over)
    throw errorAt(`${name}(...) OVER (...) is not supported on streams (as in Spark).`, node, source);
  if (body.filter) throw errorAt(`${name}(...) FILTER (WHERE ...) is not supported yet.`, node, source);
  const list = typeof body.args === 'object' && body.args !== null ? body.args.List : undefined;
  const rawArgs: SqlAst[] = list?.args ?? [];
  const distinct = tagOf(list?.duplicate_treatment) === 'Distinct';
  const args: Expression[] = rawArgs.map((arg) => {
    const unnamed = arg.Unnamed;
    if (unnamed === undefined)
      throw errorAt(`Named arguments are not supported in ${name}(...).`, node, source);
    if (unnamed === 'Wildcard') return { kind: 'star' };
    if (unnamed.QualifiedWildcard !== undefined)
      throw errorAt(`t.* is not allowed in ${name}(...).`, node, source);
    return toExpression(unnamed.Expr, source);
  });
  const aggregate = AGGREGATES[name];
  if (aggregate !== undefined) return { kind: 'aggregate', name: aggregate, args, distinct };
  if (distinct) throw errorAt(`DISTINCT is only allowed in aggregates, not in ${name}(...).`, node, source);
  if (args.some((arg) => arg.kind === 'star')) throw errorAt(`* is only allowed in count(*).`, node, source);
  const refused = REFUSED_FUNCTIONS[name];
  if (refused !== undefined && name !== 'session_window')
    throw errorAt(`${name}() cannot be used in a streaming query: ${refused}.`, node, source);
  const fn = SCALAR_FUNCTIONS[name];
  if (fn === undefined && name !== 'session_window') {
    throw errorAt(
      `Unknown function '${name}'. Supported: ${Object.keys(SCALAR_FUNCTIONS).sort().join(', ')}, session_window; aggregates ${Object.keys(AGGREGATES).join(', ')}.`,
      node,
      source,
    );
  }
  if (fn !== undefined && (args.length < fn.minArgs || args.length > fn.maxArgs))
    throw errorAt(
      `${name} takes ${fn.minArgs === fn.maxArgs ? fn.minArgs : `${fn.minArgs} or more`} argument(s), got ${args.length}.`,
      node,
      source,
    );
  return { kind: 'call', name, args };
}
