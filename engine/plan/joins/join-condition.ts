import type { Expression } from '../expressions/expression.js';
import { someExpression, transformExpression } from '../expressions/expression.js';
import type { StreamJoinNode } from '../nodes.js';

/**
 * A stream-stream join's ON condition as one list of conjuncts over qualified columns
 * (`left.x`, `right.y`), whatever API built it: `on` columns become `left.c = right.c`, a
 * `timeRange` becomes `right.rc - left.lc >= min AND right.rc - left.lc <= max`, and `condition`
 * (already resolved to the `left` / `right` qualifiers) is split at its ANDs. `BETWEEN` is split
 * into its two comparisons, as Spark's parser does, so the time bounds in it can be solved.
 */

export type JoinSideName = 'left' | 'right';

export const sideColumn = (side: JoinSideName, name: string): Expression => ({
  kind: 'column',
  name,
  qualifier: side,
});

/** The conjuncts of the whole join condition, in a stable order (keys, range, condition). */
export function joinConjuncts(node: StreamJoinNode): Expression[] {
  const out: Expression[] = node.on.map((c) => ({
    kind: 'binary',
    op: '=',
    left: sideColumn('left', c),
    right: sideColumn('right', c),
  }));
  const range = node.timeRange;
  if (range !== undefined) {
    const gap: Expression = {
      kind: 'binary',
      op: '-',
      left: sideColumn('right', range.rightColumn),
      right: sideColumn('left', range.leftColumn),
    };
    out.push({ kind: 'binary', op: '>=', left: gap, right: { kind: 'interval', ms: range.minMs } });
    out.push({ kind: 'binary', op: '<=', left: gap, right: { kind: 'interval', ms: range.maxMs } });
  }
  if (node.condition !== undefined) out.push(...splitConjuncts(node.condition));
  return out;
}

/** `a AND b AND c` → `[a, b, c]`; `x BETWEEN lo AND hi` → `[x >= lo, x <= hi]`. */
export function splitConjuncts(expr: Expression): Expression[] {
  if (expr.kind === 'alias') return splitConjuncts(expr.operand);
  if (expr.kind === 'binary' && expr.op === 'and')
    return [...splitConjuncts(expr.left), ...splitConjuncts(expr.right)];
  if (expr.kind === 'between' && !expr.negated)
    return [
      { kind: 'binary', op: '>=', left: expr.operand, right: expr.low },
      { kind: 'binary', op: '<=', left: expr.operand, right: expr.high },
    ];
  return [expr];
}

/** The sides an expression reads (`left` / `right` qualifiers). */
export function sidesOf(expr: Expression): Set<JoinSideName> {
  const sides = new Set<JoinSideName>();
  someExpression(expr, (e) => {
    if (e.kind === 'column' && (e.qualifier === 'left' || e.qualifier === 'right')) sides.add(e.qualifier);
    return false;
  });
  return sides;
}

/** The expression with its side qualifiers removed, to be evaluated on one side's row. */
export function sideLocal(expr: Expression): Expression {
  return transformExpression(expr, (e) =>
    e.kind === 'column' ? { kind: 'column', name: e.name } : undefined,
  );
}

/** `a AND b AND ...` of a non-empty list. */
export function conjunction(exprs: readonly Expression[]): Expression | undefined {
  if (exprs.length === 0) return undefined;
  return exprs.reduce((acc, e) => ({ kind: 'binary', op: 'and', left: acc, right: e }));
}
