import type { BinaryOperator, CastType, Expression, Literal } from '../plan/expressions/expression.js';
import { outputName, sqlText } from '../plan/expressions/sql-text.js';
import type { SortOrder } from '../plan/nodes.js';
import { parseExpression } from '../sql/parse-expression.js';

/** A column or a literal value where a column is expected (`col('x').gt(5)`). */
export type ColumnLike = Column | Literal;

const CAST_ALIASES: Readonly<Record<string, CastType>> = {
  string: 'string',
  int: 'int',
  integer: 'int',
  bigint: 'bigint',
  long: 'bigint',
  double: 'double',
  float: 'double',
  boolean: 'boolean',
  timestamp: 'timestamp',
  date: 'date',
};

/**
 * A column expression, as Spark's `Column`: built with {@link col}, {@link lit}, {@link expr} and
 * the functions in `F`, combined with the Java-API method names (`gt`, `plus`, `and`, `isNull`,
 * `isin`, `between`, `cast`, `alias`, ...). Immutable: each method returns a new column. It is
 * data (`expr`), compiled once into a closure when the query runs.
 *
 * @example col('price').multiply(col('qty')).alias('revenue')
 */
export class Column<Name extends string = string> {
  constructor(readonly expr: Expression) {}

  /** Names the output column (Spark's `alias` / `as`). */
  alias<N extends string>(name: N): Column<N> {
    return new Column<N>({ kind: 'alias', operand: unaliased(this.expr), name });
  }

  as<N extends string>(name: N): Column<N> {
    return this.alias(name);
  }

  /** The column name Spark would give this expression. */
  get name(): Name {
    return outputName(this.expr) as Name;
  }

  plus(other: ColumnLike): Column {
    return this.binary('+', other);
  }
  minus(other: ColumnLike): Column {
    return this.binary('-', other);
  }
  multiply(other: ColumnLike): Column {
    return this.binary('*', other);
  }
  divide(other: ColumnLike): Column {
    return this.binary('/', other);
  }
  mod(other: ColumnLike): Column {
    return this.binary('%', other);
  }
  equalTo(other: ColumnLike): Column {
    return this.binary('=', other);
  }
  /** Alias of {@link equalTo} (Spark's `===`). */
  eq(other: ColumnLike): Column {
    return this.binary('=', other);
  }
  notEqual(other: ColumnLike): Column {
    return this.binary('!=', other);
  }
  /** Null-safe equality (`<=>`): NULL equals NULL. */
  eqNullSafe(other: ColumnLike): Column {
    return this.binary('<=>', other);
  }
  gt(other: ColumnLike): Column {
    return this.binary('>', other);
  }
  geq(other: ColumnLike): Column {
    return this.binary('>=', other);
  }
  lt(other: ColumnLike): Column {
    return this.binary('<', other);
  }
  leq(other: ColumnLike): Column {
    return this.binary('<=', other);
  }
  and(other: ColumnLike): Column {
    return this.binary('and', other);
  }
  or(other: ColumnLike): Column {
    return this.binary('or', other);
  }
  isNull(): Column {
    return new Column({ kind: 'isNull', operand: this.expr, negated: false });
  }
  isNotNull(): Column {
    return new Column({ kind: 'isNull', operand: this.expr, negated: true });
  }
  isin(...values: ColumnLike[]): Column {
    return new Column({ kind: 'in', operand: this.expr, list: values.map(toExpr), negated: false });
  }
  between(low: ColumnLike, high: ColumnLike): Column {
    return new Column({
      kind: 'between',
      operand: this.expr,
      low: toExpr(low),
      high: toExpr(high),
      negated: false,
    });
  }
  like(pattern: string): Column {
    return new Column({ kind: 'call', name: 'like', args: [this.expr, toExpr(pattern)] });
  }
  /** `CAST(this AS type)`: `'string'`, `'int'`, `'bigint'`, `'double'`, `'boolean'`, `'timestamp'`, `'date'`. */
  cast(type: CastType | 'integer' | 'long' | 'float'): Column {
    const to = CAST_ALIASES[type.toLowerCase()];
    if (to === undefined) throw new TypeError(`cast: unknown type '${type}'`);
    return new Column({ kind: 'cast', operand: this.expr, to });
  }
  /** A struct field, e.g. `col('window').getField('start')`. */
  getField(name: string): Column {
    return new Column({ kind: 'field', operand: this.expr, name });
  }

  /** Chains a `CASE WHEN` started with `F.when(...)`. */
  when(condition: ColumnLike, value: ColumnLike): Column {
    const base = this.expr;
    if (base.kind !== 'case' || base.otherwise !== undefined)
      throw new TypeError('when() chains only after F.when(...) and before otherwise()');
    return new Column({
      ...base,
      branches: [...base.branches, { when: toExpr(condition), result: toExpr(value) }],
    });
  }

  /** Ends a `CASE WHEN` chain with its `ELSE` value. */
  otherwise(value: ColumnLike): Column {
    const base = this.expr;
    if (base.kind !== 'case' || base.otherwise !== undefined)
      throw new TypeError('otherwise() ends a chain started with F.when(...)');
    return new Column({ ...base, otherwise: toExpr(value) });
  }

  /** Ascending sort key, NULLs first (Spark's default for ascending). */
  asc(): SortColumn {
    return new SortColumn({ expr: this.expr, ascending: true, nullsFirst: true });
  }
  asc_nulls_last(): SortColumn {
    return new SortColumn({ expr: this.expr, ascending: true, nullsFirst: false });
  }
  /** Descending sort key, NULLs last (Spark's default for descending). */
  desc(): SortColumn {
    return new SortColumn({ expr: this.expr, ascending: false, nullsFirst: false });
  }
  desc_nulls_first(): SortColumn {
    return new SortColumn({ expr: this.expr, ascending: false, nullsFirst: true });
  }

  toString(): string {
    return sqlText(this.expr);
  }

  private binary(op: BinaryOperator, other: ColumnLike): Column {
    return new Column({ kind: 'binary', op, left: this.expr, right: toExpr(other) });
  }
}

/** A sort key for `orderBy` / `sort`: `col('n').desc()`, `F.asc('page')`. */
export class SortColumn {
  constructor(readonly order: SortOrder) {}
}

/** A sort key: a column name or expression (ascending), or an explicit `asc()` / `desc()`. */
export type SortItem = string | Column | SortColumn;

/** The plan's sort order for a sort key. */
export function sortOrderOf(item: SortItem): SortOrder {
  if (item instanceof SortColumn) return item.order;
  const column = typeof item === 'string' ? expr(item) : item;
  return column.asc().order;
}

const unaliased = (expr: Expression): Expression => (expr.kind === 'alias' ? unaliased(expr.operand) : expr);

/** A column or a literal as an expression. */
export function toExpr(value: ColumnLike): Expression {
  return value instanceof Column ? value.expr : { kind: 'literal', value };
}

/** The column named `name` (`'*'` for all columns). */
export function col<N extends string>(name: N): Column<N> {
  return new Column<N>(name === '*' ? { kind: 'star' } : { kind: 'column', name });
}

/** A literal value. */
export function lit(value: Literal): Column {
  return new Column({ kind: 'literal', value });
}

/**
 * Parses a Spark SQL expression: `expr("price * qty AS revenue")`,
 * `expr("window(ts, '10 minutes')")`, `expr("count(*)")`. Syntax errors name the position.
 */
export function expr(text: string): Column {
  return new Column(parseExpression(text));
}
