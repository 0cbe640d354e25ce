import type { Row } from '../../types.js';
import { ExpressionError } from './errors.js';
import type { BinaryOperator, Expression } from './expression.js';
import { type Evaluator, REFUSED_FUNCTIONS, SCALAR_FUNCTIONS } from './scalar-functions.js';
import { sqlText } from './sql-text.js';
import { castValue, compareValues, isNull, toNumber } from './values.js';

export type { Evaluator };

/**
 * How column references compile, for expressions over something other than one row: a join
 * condition reads `left.x` and `right.y` from a pair of rows. Default: `row[name]`, absent as NULL.
 */
export type ColumnCompiler = (column: Extract<Expression, { kind: 'column' }>) => Evaluator;

/**
 * Compiles an expression once into a closure over a row: the tree is walked here, never per row.
 * Semantics are Spark SQL's (3.5, non-ANSI): three-valued logic for AND/OR/NOT, NULL through
 * arithmetic and comparisons, `x / 0` is NULL, `/` is always fractional and `DIV` integral.
 *
 * Throws {@link ExpressionError} for what cannot be evaluated per row: unknown or refused
 * functions, wrong argument counts, an aggregate outside `agg`, `*` outside a select list.
 */
export function compileExpression(expr: Expression, columns?: ColumnCompiler): Evaluator {
  const recurse = (e: Expression) => compileExpression(e, columns);
  switch (expr.kind) {
    case 'column': {
      if (columns !== undefined) return columns(expr);
      const name = expr.name;
      return (row) => {
        const value = row[name];
        return value === undefined ? null : value;
      };
    }
    case 'literal': {
      const value = expr.value;
      return () => value;
    }
    case 'interval': {
      const ms = expr.ms;
      return () => ms;
    }
    case 'alias':
      return recurse(expr.operand);
    case 'binary':
      return compileBinary(expr.op, recurse(expr.left), recurse(expr.right));
    case 'not': {
      const operand = recurse(expr.operand);
      return (row) => {
        const value = operand(row);
        return isNull(value) ? null : !truthy(value);
      };
    }
    case 'negate': {
      const operand = recurse(expr.operand);
      return (row) => {
        const n = toNumber(operand(row));
        return n === null ? null : -n;
      };
    }
    case 'isNull': {
      const operand = recurse(expr.operand);
      return expr.negated ? (row) => !isNull(operand(row)) : (row) => isNull(operand(row));
    }
    case 'in':
      return compileIn(expr.negated, recurse(expr.operand), expr.list.map(recurse));
    case 'between': {
      const operand = recurse(expr.operand);
      const low = compileBinary('>=', operand, recurse(expr.low));
      const high = compileBinary('<=', operand, recurse(expr.high));
      const both = compileBinary('and', low, high);
      return expr.negated ? (row) => not(both(row)) : both;
    }
    case 'case':
      return compileCase(expr, recurse);
    case 'cast': {
      const operand = recurse(expr.operand);
      const to = expr.to;
      return (row) => castValue(operand(row), to);
    }
    case 'field': {
      const operand = recurse(expr.operand);
      const name = expr.name;
      return (row) => {
        const value = operand(row);
        if (value === null || typeof value !== 'object') return null;
        const field = (value as Record<string, unknown>)[name];
        return field === undefined ? null : field;
      };
    }
    case 'call':
      return compileCall(expr, recurse);
    case 'aggregate':
      throw new ExpressionError(
        `The aggregate ${sqlText(expr)} can only be used in groupBy(...).agg(...) or a SQL query with GROUP BY.`,
      );
    case 'star':
      throw new ExpressionError(`'${sqlText(expr)}' is only allowed in a select list or count(*).`);
  }
}

/** A filter condition: rows pass only when it is TRUE (NULL and FALSE drop the row, as in SQL). */
export function compilePredicate(expr: Expression, columns?: ColumnCompiler): (row: Row) => boolean {
  const evaluate = compileExpression(expr, columns);
  return (row) => evaluate(row) === true;
}

const truthy = (value: unknown): boolean => value === true || (typeof value === 'number' && value !== 0);
const not = (value: unknown): unknown => (isNull(value) ? null : !truthy(value));

function compileBinary(op: BinaryOperator, left: Evaluator, right: Evaluator): Evaluator {
  switch (op) {
    case 'and':
      // FALSE wins over NULL; NULL wins over TRUE.
      return (row) => {
        const a = left(row);
        if (a === false) return false;
        const b = right(row);
        if (b === false) return false;
        return isNull(a) || isNull(b) ? null : truthy(a) && truthy(b);
      };
    case 'or':
      return (row) => {
        const a = left(row);
        if (a === true) return true;
        const b = right(row);
        if (b === true) return true;
        return isNull(a) || isNull(b) ? null : truthy(a) || truthy(b);
      };
    case '<=>':
      return (row) => {
        const a = left(row);
        const b = right(row);
        if (isNull(a) || isNull(b)) return isNull(a) && isNull(b);
        return compareValues(a, b) === 0;
      };
    case '=':
    case '!=':
    case '<':
    case '<=':
    case '>':
    case '>=': {
      const test = COMPARISONS[op];
      return (row) => {
        const a = left(row);
        const b = right(row);
        if (isNull(a) || isNull(b)) return null;
        const c = compareValues(a, b);
        return c === null ? null : test(c);
      };
    }
    case '||':
      return (row) => {
        const a = left(row);
        const b = right(row);
        return isNull(a) || isNull(b) ? null : `${stringOf(a)}${stringOf(b)}`;
      };
    default: {
      const arithmetic = ARITHMETIC[op];
      return (row) => {
        const a = left(row);
        const b = right(row);
        if (typeof a === 'number' && typeof b === 'number') return arithmetic(a, b);
        const x = toNumber(a);
        const y = toNumber(b);
        return x === null || y === null ? null : arithmetic(x, y);
      };
    }
  }
}

const stringOf = (value: unknown): string =>
  typeof value === 'object' ? JSON.stringify(value) : String(value);

const COMPARISONS: Readonly<Record<'=' | '!=' | '<' | '<=' | '>' | '>=', (c: number) => boolean>> = {
  '=': (c) => c === 0,
  '!=': (c) => c !== 0,
  '<': (c) => c < 0,
  '<=': (c) => c <= 0,
  '>': (c) => c > 0,
  '>=': (c) => c >= 0,
};

const ARITHMETIC: Readonly<
  Record<'+' | '-' | '*' | '/' | '%' | 'div', (a: number, b: number) => number | null>
> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => (b === 0 ? null : a / b),
  // Spark's % keeps the dividend's sign, like JavaScript's.
  '%': (a, b) => (b === 0 ? null : a % b),
  div: (a, b) => (b === 0 ? null : Math.trunc(a / b)),
};

/** `x IN (list)`: TRUE on a match; otherwise NULL if `x` or any element is NULL; else FALSE. */
function compileIn(negated: boolean, operand: Evaluator, list: readonly Evaluator[]): Evaluator {
  const test: Evaluator = (row) => {
    const value = operand(row);
    if (isNull(value)) return null;
    let sawNull = false;
    for (const element of list) {
      const candidate = element(row);
      if (isNull(candidate)) sawNull = true;
      else if (compareValues(value, candidate) === 0) return true;
    }
    return sawNull ? null : false;
  };
  return negated ? (row) => not(test(row)) : test;
}

function compileCase(
  expr: Extract<Expression, { kind: 'case' }>,
  recurse: (e: Expression) => Evaluator,
): Evaluator {
  const operand = expr.operand === undefined ? undefined : recurse(expr.operand);
  const branches = expr.branches.map((branch) => ({
    when: recurse(branch.when),
    result: recurse(branch.result),
  }));
  const otherwise = expr.otherwise === undefined ? () => null : recurse(expr.otherwise);
  if (operand === undefined) {
    return (row) => {
      for (const branch of branches) if (branch.when(row) === true) return branch.result(row);
      return otherwise(row);
    };
  }
  return (row) => {
    const value = operand(row);
    if (!isNull(value)) {
      for (const branch of branches) {
        const candidate = branch.when(row);
        if (!isNull(candidate) && compareValues(value, candidate) === 0) return branch.result(row);
      }
    }
    return otherwise(row);
  };
}

function compileCall(
  expr: Extract<Expression, { kind: 'call' }>,
  recurse: (e: Expression) => Evaluator,
): Evaluator {
  const call = sqlText(expr);
  const refused = REFUSED_FUNCTIONS[expr.name];
  if (refused !== undefined) throw new ExpressionError(`${expr.name}() cannot be used here: ${refused}.`);
  const fn = SCALAR_FUNCTIONS[expr.name];
  if (fn === undefined) {
    throw new ExpressionError(
      `Unknown function '${expr.name}' in ${call}. Supported: ${Object.keys(SCALAR_FUNCTIONS).sort().join(', ')}; aggregates count, sum, avg, min, max, approx_count_distinct, collect_list.`,
    );
  }
  if (expr.args.length < fn.minArgs || expr.args.length > fn.maxArgs) {
    const expected =
      fn.minArgs === fn.maxArgs
        ? `${fn.minArgs}`
        : fn.maxArgs === Number.POSITIVE_INFINITY
          ? `at least ${fn.minArgs}`
          : `${fn.minArgs} to ${fn.maxArgs}`;
    throw new ExpressionError(
      `${call}: ${expr.name} takes ${expected} argument(s), got ${expr.args.length}.`,
    );
  }
  return fn.make(expr.args.map(recurse), expr.args, call);
}
