import type { Expression } from '../expressions/expression.js';
import type { JoinTimeRange, JoinType, PlanNode, StreamJoinNode } from '../nodes.js';
import { conjunction, splitConjuncts } from './join-condition.js';
import { type LinearForm, linearForm } from './state-watermark.js';

/**
 * Builds a stream-stream join node in one canonical shape, whichever API described it, so the
 * closure API (`on`, `timeRange`), column expressions and SQL build equal plans for the same join:
 * - `left.c = right.c` over one same-named column on each side joins `on`;
 * - a pair of inclusive bounds on `right.rc - left.lc` (`r.t BETWEEN l.t AND l.t + INTERVAL 1 HOUR`,
 *   `r.t >= l.t AND r.t <= l.t + ...`) becomes the `timeRange`, unless one was given;
 * - the remaining conjuncts, in their order, are the `condition`.
 * `condition` must already be resolved (`left.` / `right.` qualifiers).
 */
export function streamJoinNode(
  left: PlanNode,
  right: PlanNode,
  how: JoinType,
  parts: { on?: readonly string[]; timeRange?: JoinTimeRange; condition?: Expression },
): StreamJoinNode {
  const on = [...(parts.on ?? [])];
  let rest: Expression[] = [];
  for (const conjunct of parts.condition === undefined ? [] : splitConjuncts(parts.condition)) {
    const same = sameNamedKey(conjunct);
    if (same !== undefined) {
      if (!on.includes(same)) on.push(same);
      continue;
    }
    rest.push(conjunct);
  }
  let timeRange = parts.timeRange;
  if (timeRange === undefined) {
    const folded = foldTimeRange(rest);
    if (folded !== undefined) {
      timeRange = folded.range;
      rest = rest.filter((_, i) => !folded.used.includes(i));
    }
  }
  const condition = conjunction(rest);
  return {
    kind: 'streamJoin',
    left,
    right,
    on,
    how,
    ...(timeRange === undefined ? {} : { timeRange }),
    ...(condition === undefined ? {} : { condition }),
  };
}

function sameNamedKey(conjunct: Expression): string | undefined {
  if (conjunct.kind !== 'binary' || conjunct.op !== '=') return undefined;
  const { left: a, right: b } = conjunct;
  if (a.kind !== 'column' || b.kind !== 'column' || a.name !== b.name) return undefined;
  const sides = new Set([a.qualifier, b.qualifier]);
  return sides.has('left') && sides.has('right') ? a.name : undefined;
}

/** An inclusive bound on `right.rc - left.lc`. */
interface GapBound {
  readonly leftColumn: string;
  readonly rightColumn: string;
  readonly kind: 'lower' | 'upper';
  readonly ms: number;
}

function gapBound(conjunct: Expression): GapBound | undefined {
  if (conjunct.kind !== 'binary' || (conjunct.op !== '<=' && conjunct.op !== '>=')) return undefined;
  const a = linearForm(conjunct.left);
  const b = linearForm(conjunct.right);
  if (a === undefined || b === undefined) return undefined;
  // f = a - b, and the conjunct says f <= 0 or f >= 0.
  const f: LinearForm = {
    columns: new Map(a.columns),
    constant: a.constant - b.constant,
  };
  for (const [c, v] of b.columns) f.columns.set(c, (f.columns.get(c) ?? 0) - v);
  const terms = [...f.columns].filter(([, v]) => v !== 0);
  if (terms.length !== 2) return undefined;
  const l = terms.find(([c]) => c.startsWith('left.'));
  const r = terms.find(([c]) => c.startsWith('right.'));
  if (l === undefined || r === undefined || Math.abs(r[1]) !== 1 || l[1] !== -r[1]) return undefined;
  // Make the right column's coefficient +1: f = R - L + k.
  const sign = r[1];
  const k = f.constant * sign;
  const upper = (conjunct.op === '<=') === (sign === 1);
  return {
    leftColumn: l[0].slice('left.'.length),
    rightColumn: r[0].slice('right.'.length),
    kind: upper ? 'upper' : 'lower',
    ms: -k,
  };
}

/** The first column pair with exactly one lower and one upper inclusive bound. */
function foldTimeRange(
  conjuncts: readonly Expression[],
): { range: JoinTimeRange; used: number[] } | undefined {
  const bounds = conjuncts.map(gapBound);
  for (let i = 0; i < bounds.length; i++) {
    const first = bounds[i];
    if (first === undefined) continue;
    const same = bounds
      .map((b, j) => [b, j] as const)
      .filter(
        ([b]) => b !== undefined && b.leftColumn === first.leftColumn && b.rightColumn === first.rightColumn,
      );
    const lower = same.filter(([b]) => b!.kind === 'lower');
    const upper = same.filter(([b]) => b!.kind === 'upper');
    if (lower.length !== 1 || upper.length !== 1) continue;
    return {
      range: {
        leftColumn: first.leftColumn,
        rightColumn: first.rightColumn,
        minMs: lower[0]![0]!.ms,
        maxMs: upper[0]![0]!.ms,
      },
      used: [lower[0]![1], upper[0]![1]],
    };
  }
  return undefined;
}
