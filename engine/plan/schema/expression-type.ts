import type { CastType, Expression } from '../expressions/expression.js';
import { sqlText } from '../expressions/sql-text.js';
import { commonType, type DataType, fieldType, type Schema, typeName } from './data-type.js';
import { SchemaInferenceError } from './errors.js';
import { FUNCTION_TYPES } from './function-types.js';

const CAST_TYPES: Readonly<Record<CastType, DataType>> = {
  string: 'string',
  int: 'long',
  bigint: 'long',
  double: 'double',
  boolean: 'boolean',
  timestamp: 'timestamp',
  date: 'timestamp',
};

const isIntegral = (type: DataType | undefined) => type === 'long';

/**
 * The type of an expression's values over rows of `input`, by the rules `compile-expression.ts`
 * evaluates with (Spark 3.5's, non-ANSI): `long ⊕ long` stays `long` except `/` (always `double`),
 * `timestamp ± interval` is a `timestamp`, comparisons and predicates are `boolean`, `CASE` and
 * `coalesce` widen their branches. `undefined` is the type of a NULL literal.
 */
export function expressionType(expr: Expression, input: Schema): DataType | undefined {
  const typeOf = (e: Expression) => expressionType(e, input);
  switch (expr.kind) {
    case 'column': {
      const type = fieldType(input, expr.name);
      if (type === undefined) {
        throw new SchemaInferenceError(
          `Column '${expr.name}' does not exist; the input has ${input.map((f) => f.name).join(', ') || 'no columns'}.`,
          { column: expr.name },
        );
      }
      return type;
    }
    case 'literal':
      if (expr.value === null) return undefined;
      if (typeof expr.value === 'number') return Number.isSafeInteger(expr.value) ? 'long' : 'double';
      return typeof expr.value === 'string' ? 'string' : 'boolean';
    case 'interval':
      return 'long';
    case 'alias':
      return typeOf(expr.operand);
    case 'binary':
      return binaryType(expr.op, typeOf(expr.left), typeOf(expr.right), expr.left, expr.right);
    case 'not':
    case 'isNull':
    case 'in':
    case 'between':
      return 'boolean';
    case 'negate': {
      const operand = typeOf(expr.operand);
      return isIntegral(operand) ? 'long' : 'double';
    }
    case 'case':
      return [...expr.branches.map((b) => b.result), ...(expr.otherwise ? [expr.otherwise] : [])]
        .map(typeOf)
        .reduce(commonType, undefined);
    case 'cast':
      return CAST_TYPES[expr.to];
    case 'field': {
      const operand = typeOf(expr.operand);
      if (typeof operand !== 'object') return 'json';
      if (operand.kind === 'map') return operand.value;
      if (operand.kind !== 'struct') return 'json';
      const field = operand.fields.find((f) => f.name === expr.name);
      if (field === undefined) {
        throw new SchemaInferenceError(
          `${sqlText(expr)}: ${sqlText(expr.operand)} is ${typeName(operand)}, which has no field '${expr.name}'.`,
          { field: expr.name },
        );
      }
      return field.type;
    }
    case 'call': {
      const rule = FUNCTION_TYPES[expr.name];
      if (rule === undefined)
        throw new SchemaInferenceError(`${sqlText(expr)}: the result type of '${expr.name}' is unknown.`);
      return rule(expr.args.map(typeOf));
    }
    case 'aggregate':
    case 'star':
      throw new SchemaInferenceError(`${sqlText(expr)} has no type outside a select list or agg(...).`);
  }
}

function binaryType(
  op: Extract<Expression, { kind: 'binary' }>['op'],
  left: DataType | undefined,
  right: DataType | undefined,
  leftExpr: Expression,
  rightExpr: Expression,
): DataType {
  switch (op) {
    case 'and':
    case 'or':
    case '=':
    case '!=':
    case '<':
    case '<=':
    case '>':
    case '>=':
    case '<=>':
      return 'boolean';
    case '||':
      return 'string';
    case '/':
      return 'double';
    case 'div':
      return 'long';
    case '+':
    case '-': {
      // Event time plus or minus a span stays a time; the difference of two times is a span (ms).
      const spanLeft = isIntegral(left) || leftExpr.kind === 'interval';
      const spanRight = isIntegral(right) || rightExpr.kind === 'interval';
      if (left === 'timestamp' && right === 'timestamp') return op === '-' ? 'long' : 'double';
      if (left === 'timestamp' && spanRight) return 'timestamp';
      if (right === 'timestamp' && spanLeft && op === '+') return 'timestamp';
      return isIntegral(left) && isIntegral(right) ? 'long' : 'double';
    }
    case '*':
    case '%':
      return isIntegral(left) && isIntegral(right) ? 'long' : 'double';
  }
}
