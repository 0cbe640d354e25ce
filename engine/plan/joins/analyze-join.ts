import { eventTimeSourceOf } from '../expressions/event-time-lineage.js';
import type { Expression } from '../expressions/expression.js';
import { sqlText } from '../expressions/sql-text.js';
import type { StreamJoinNode } from '../nodes.js';
import { conjunction, type JoinSideName, joinConjuncts, sideLocal, sidesOf } from './join-condition.js';
import { stateValueWatermark, type ValueWatermark } from './state-watermark.js';

/** How one side's buffered rows leave the state (Spark's `JoinStateWatermarkPredicate`). */
export type SideEviction =
  /** A join key carries a watermark: a row goes when its key's time (a window by its end) ≤ W. */
  | { readonly kind: 'key'; readonly keyIndex: number }
  /** A time condition bounds it: a row goes when `column ≤ min(W + offsetMs, ceilingMs)`. */
  | ({ readonly kind: 'value'; readonly column: string } & Omit<ValueWatermark, 'columns'>);

/** One side of an analyzed join. */
export interface JoinSideAnalysis {
  readonly side: JoinSideName;
  /** The side's key expressions, evaluated on its own rows, in key order. */
  readonly keys: readonly Expression[];
  /** Conjuncts reading this side only (Spark's pre-join filter), on its own rows. */
  readonly filter?: Expression;
  /** The first column of this side carrying a watermark: its late rows are dropped by it. */
  readonly lateColumn?: string;
  readonly eviction?: SideEviction;
}

/**
 * A stream-stream join condition, analyzed as Spark's planner and `StreamingSymmetricHashJoinHelper`
 * do it:
 * - equi-join keys: conjuncts `l = r` with `l` reading only the left side and `r` only the right
 *   (either way round), neither a constant (`ExtractEquiJoinKeys`);
 * - the other conjuncts split into left-only and right-only filters (applied before a row is
 *   buffered or matched; a constant conjunct goes to both) and the rest, checked on each pair;
 * - state eviction per side: with a watermarked join key (a watermarked column or a window of
 *   one, first on the left, then on the right), both sides evict by the key's time; otherwise a
 *   side with a watermark of its own evicts by its state value watermark, solved from the time
 *   comparisons (see `state-watermark.ts`); otherwise it never evicts.
 */
export interface JoinAnalysis {
  readonly left: JoinSideAnalysis;
  readonly right: JoinSideAnalysis;
  /** Conjuncts reading both sides, over `left.` / `right.` qualified columns. */
  readonly postFilter?: Expression;
  /** Key names for messages: `left.id = right.userId`. */
  readonly keyLabels: readonly string[];
}

export function analyzeStreamJoin(
  node: StreamJoinNode,
  leftWatermarked: ReadonlySet<string>,
  rightWatermarked: ReadonlySet<string>,
): JoinAnalysis {
  const conjuncts = joinConjuncts(node);
  const leftKeys: Expression[] = [];
  const rightKeys: Expression[] = [];
  const keyLabels: string[] = [];
  const others: Expression[] = [];
  for (const conjunct of conjuncts) {
    const pair = equiKeyPair(conjunct);
    if (pair === undefined) {
      others.push(conjunct);
      continue;
    }
    leftKeys.push(pair.left);
    rightKeys.push(pair.right);
    keyLabels.push(`${sqlText(pair.left)} = ${sqlText(pair.right)}`);
  }
  const leftOnly: Expression[] = [];
  const rightOnly: Expression[] = [];
  const both: Expression[] = [];
  for (const conjunct of others) {
    const sides = sidesOf(conjunct);
    const onLeft = !sides.has('right');
    const onRight = !sides.has('left');
    if (onLeft) leftOnly.push(sideLocal(conjunct));
    if (onRight) rightOnly.push(sideLocal(conjunct));
    if (!onLeft && !onRight) both.push(conjunct);
  }

  const keyIndex = watermarkedKey(leftKeys, leftWatermarked) ?? watermarkedKey(rightKeys, rightWatermarked);
  const eviction = (side: JoinSideName): SideEviction | undefined => {
    if (keyIndex !== undefined) return { kind: 'key', keyIndex };
    const own = side === 'left' ? leftWatermarked : rightWatermarked;
    const other = side === 'left' ? rightWatermarked : leftWatermarked;
    if (own.size === 0) return undefined; // Spark: no watermark on this side's input, no value predicate
    const bound = stateValueWatermark(others, side, other);
    if (bound === undefined) return undefined;
    // Spark applies the bound to the side's watermarked column; when the conjuncts solved for one
    // watermarked column, that is the one.
    const solved = bound.columns.filter((c) => own.has(c));
    const column = solved.length === 1 ? solved[0]! : [...own][0]!;
    const { columns: _columns, ...limits } = bound;
    return { kind: 'value', column, ...limits };
  };
  const sideAnalysis = (
    side: JoinSideName,
    keys: Expression[],
    filter: Expression[],
    watermarked: ReadonlySet<string>,
  ): JoinSideAnalysis => {
    const evicts = eviction(side);
    const filterExpr = conjunction(filter);
    const lateColumn = [...watermarked][0];
    return {
      side,
      keys: keys.map(sideLocal),
      ...(filterExpr === undefined ? {} : { filter: filterExpr }),
      ...(lateColumn === undefined ? {} : { lateColumn }),
      ...(evicts === undefined ? {} : { eviction: evicts }),
    };
  };
  const postFilter = conjunction(both);
  return {
    left: sideAnalysis('left', leftKeys, leftOnly, leftWatermarked),
    right: sideAnalysis('right', rightKeys, rightOnly, rightWatermarked),
    ...(postFilter === undefined ? {} : { postFilter }),
    keyLabels,
  };
}

/** `l = r` with one side's expression on each side (either order), neither a constant. */
function equiKeyPair(conjunct: Expression): { left: Expression; right: Expression } | undefined {
  if (conjunct.kind !== 'binary' || conjunct.op !== '=') return undefined;
  const a = sidesOf(conjunct.left);
  const b = sidesOf(conjunct.right);
  const only = (sides: Set<JoinSideName>, side: JoinSideName) => sides.size === 1 && sides.has(side);
  if (only(a, 'left') && only(b, 'right')) return { left: conjunct.left, right: conjunct.right };
  if (only(a, 'right') && only(b, 'left')) return { left: conjunct.right, right: conjunct.left };
  return undefined;
}

/**
 * Spark's `findJoinKeyOrdinalForWatermark`: the first key that is a column carrying a watermark
 * (or, as Spark's window rewrite makes it, a `window(...)` of one).
 */
function watermarkedKey(keys: readonly Expression[], watermarked: ReadonlySet<string>): number | undefined {
  const local = keys.map(sideLocal);
  const index = local.findIndex((key) => eventTimeSourceOf(key, watermarked) !== undefined);
  return index < 0 ? undefined : index;
}
