/**
 * Column expressions as data: the tree that `col(...)`, `lit(...)`, `expr("...")` and SQL text all
 * build, stored in plan nodes (`project`, `where`) and compiled once into closures when the query
 * runs (`compile-expression.ts`). Plain JSON-able objects, so two APIs that describe the same
 * query build equal plans, and the fingerprint can describe them.
 *
 * Values follow sluice's row model: timestamps are epoch milliseconds, intervals are milliseconds,
 * windows are `{ start, end }` objects, SQL NULL is `null` (an absent field reads as null).
 */

/** Binary operators, by Spark SQL's spelling. */
export type BinaryOperator =
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | 'div'
  | '='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | '<=>'
  | 'and'
  | 'or'
  | '||';

/** Target types of `CAST(x AS type)`. */
export type CastType = 'string' | 'int' | 'bigint' | 'double' | 'boolean' | 'timestamp' | 'date';

/** The aggregate functions expressions can name (each maps to an `AggregateFunction`). */
export type AggregateName =
  | 'count'
  | 'sum'
  | 'avg'
  | 'min'
  | 'max'
  | 'approx_count_distinct'
  | 'collect_list';

export type Literal = string | number | boolean | null;

export type Expression =
  | { readonly kind: 'column'; readonly name: string; readonly qualifier?: string }
  | { readonly kind: 'literal'; readonly value: Literal }
  /** An interval literal (`INTERVAL 10 MINUTES`), in milliseconds. */
  | { readonly kind: 'interval'; readonly ms: number }
  | {
      readonly kind: 'binary';
      readonly op: BinaryOperator;
      readonly left: Expression;
      readonly right: Expression;
    }
  | { readonly kind: 'not'; readonly operand: Expression }
  | { readonly kind: 'negate'; readonly operand: Expression }
  | { readonly kind: 'isNull'; readonly operand: Expression; readonly negated: boolean }
  | {
      readonly kind: 'in';
      readonly operand: Expression;
      readonly list: readonly Expression[];
      readonly negated: boolean;
    }
  | {
      readonly kind: 'between';
      readonly operand: Expression;
      readonly low: Expression;
      readonly high: Expression;
      readonly negated: boolean;
    }
  | {
      readonly kind: 'case';
      /** `CASE x WHEN v THEN ...` compares `x` with each `when`; without it each `when` is a condition. */
      readonly operand?: Expression;
      readonly branches: readonly { readonly when: Expression; readonly result: Expression }[];
      readonly otherwise?: Expression;
    }
  | { readonly kind: 'cast'; readonly operand: Expression; readonly to: CastType }
  /** A struct field, e.g. `window.start`. */
  | { readonly kind: 'field'; readonly operand: Expression; readonly name: string }
  /** A scalar function call; names are lower case (`upper`, `date_trunc`, `window`, ...). */
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly Expression[] }
  /** An aggregate call; `star` for `count(*)`. */
  | {
      readonly kind: 'aggregate';
      readonly name: AggregateName;
      readonly args: readonly Expression[];
      readonly distinct: boolean;
    }
  | { readonly kind: 'alias'; readonly operand: Expression; readonly name: string }
  /** `*` or `t.*` in a select list. */
  | { readonly kind: 'star'; readonly qualifier?: string };

/** A named output column of a projection. */
export interface NamedExpression {
  readonly name: string;
  readonly expr: Expression;
}

export const column = (name: string, qualifier?: string): Expression =>
  qualifier === undefined ? { kind: 'column', name } : { kind: 'column', name, qualifier };

export const literal = (value: Literal): Expression => ({ kind: 'literal', value });

/** The expression under any aliases. */
export function unalias(expr: Expression): Expression {
  return expr.kind === 'alias' ? unalias(expr.operand) : expr;
}

/** The direct subexpressions of `expr`, left to right. */
export function childrenOfExpression(expr: Expression): readonly Expression[] {
  switch (expr.kind) {
    case 'column':
    case 'literal':
    case 'interval':
    case 'star':
      return [];
    case 'binary':
      return [expr.left, expr.right];
    case 'not':
    case 'negate':
    case 'isNull':
    case 'cast':
    case 'field':
    case 'alias':
      return [expr.operand];
    case 'in':
      return [expr.operand, ...expr.list];
    case 'between':
      return [expr.operand, expr.low, expr.high];
    case 'case':
      return [
        ...(expr.operand === undefined ? [] : [expr.operand]),
        ...expr.branches.flatMap((branch) => [branch.when, branch.result]),
        ...(expr.otherwise === undefined ? [] : [expr.otherwise]),
      ];
    case 'call':
    case 'aggregate':
      return expr.args;
  }
}

/** Whether `expr` or any subexpression satisfies `predicate`. */
export function someExpression(expr: Expression, predicate: (e: Expression) => boolean): boolean {
  return predicate(expr) || childrenOfExpression(expr).some((child) => someExpression(child, predicate));
}

/** Rebuilds `expr` bottom-up, replacing each node for which `replace` returns an expression. */
export function transformExpression(
  expr: Expression,
  replace: (e: Expression) => Expression | undefined,
): Expression {
  const direct = replace(expr);
  if (direct !== undefined) return direct;
  const t = (e: Expression) => transformExpression(e, replace);
  switch (expr.kind) {
    case 'column':
    case 'literal':
    case 'interval':
    case 'star':
      return expr;
    case 'binary':
      return { ...expr, left: t(expr.left), right: t(expr.right) };
    case 'not':
    case 'negate':
    case 'isNull':
    case 'cast':
    case 'field':
    case 'alias':
      return { ...expr, operand: t(expr.operand) };
    case 'in':
      return { ...expr, operand: t(expr.operand), list: expr.list.map(t) };
    case 'between':
      return { ...expr, operand: t(expr.operand), low: t(expr.low), high: t(expr.high) };
    case 'case':
      return {
        kind: 'case',
        ...(expr.operand === undefined ? {} : { operand: t(expr.operand) }),
        branches: expr.branches.map((branch) => ({ when: t(branch.when), result: t(branch.result) })),
        ...(expr.otherwise === undefined ? {} : { otherwise: t(expr.otherwise) }),
      };
    case 'call':
    case 'aggregate':
      return { ...expr, args: expr.args.map(t) };
  }
}

/** Whether the expression contains an aggregate call. */
export const hasAggregate = (expr: Expression): boolean =>
  someExpression(expr, (e) => e.kind === 'aggregate');

/** The column names an expression reads. */
export function referencedColumns(expr: Expression): string[] {
  const names: string[] = [];
  someExpression(expr, (e) => {
    if (e.kind === 'column' && !names.includes(e.name)) names.push(e.name);
    return false;
  });
  return names;
}
