import { InvalidQueryError } from '../../errors.js';
import { compileExpression, compilePredicate } from '../../plan/expressions/compile-expression.js';
import type { JoinAnalysis, JoinSideAnalysis } from '../../plan/joins/analyze-join.js';
import type { JoinType, StreamJoinNode } from '../../plan/nodes.js';
import type { Row } from '../../types.js';
import { encodeJoinKey, timeBoundOf } from './join-rows.js';

export type JoinSide = 'left' | 'right';

/** Whether a join type outputs the unmatched rows of `side` null-padded. */
export function preserves(how: JoinType, side: JoinSide): boolean {
  return how === 'full_outer' || how === (side === 'left' ? 'left_outer' : 'right_outer');
}

/**
 * One side of a stream-stream join, compiled from its {@link JoinSideAnalysis}: how to compute a
 * row's join key, whether the row can match at all (its side-only conjuncts), which column judges
 * it late, and when a buffered row can no longer match (Spark's state watermark predicates):
 * - by key: the watermarked key's time (a window by its end) ≤ W;
 * - by value: `time(column) ≤ min(W + offsetMs, ceilingMs)`, with Spark's `≤` (state whose time
 *   is at or below the state watermark goes).
 */
export class JoinSideSpec {
  private readonly keyFns: readonly ((row: Row) => unknown)[];
  private readonly filterFn: ((row: Row) => boolean) | undefined;
  readonly lateColumn: string | undefined;

  constructor(
    readonly side: JoinSide,
    /** The outer side: its unmatched rows are output null-padded when they expire. */
    readonly preserved: boolean,
    private readonly analysis: JoinSideAnalysis,
  ) {
    this.keyFns = analysis.keys.map((key) => compileExpression(key));
    this.filterFn = analysis.filter === undefined ? undefined : compilePredicate(analysis.filter);
    this.lateColumn = analysis.lateColumn;
  }

  /** Whether rows of this side ever leave the state. */
  get evicts(): boolean {
    return this.analysis.eviction !== undefined;
  }

  /**
   * The row's join key values, JSON-encoded (keeps `1` and `"1"` apart, stable across runs; struct
   * fields sorted, see `encodeJoinKey`);
   * `undefined` when one is NULL: as with SQL `=`, a null key never matches.
   */
  keyOf(row: Row): string | undefined {
    const values: unknown[] = new Array(this.keyFns.length);
    for (let i = 0; i < this.keyFns.length; i++) {
      const value = this.keyFns[i]!(row);
      if (value === null || value === undefined) return undefined;
      values[i] = value;
    }
    return encodeJoinKey(values);
  }

  /** Whether the row passes the conjuncts that read this side only (else it can never match). */
  canMatch(row: Row): boolean {
    return this.filterFn === undefined || this.filterFn(row);
  }

  /**
   * The watermark at which a stored row can no longer match: it goes once `evictAt ≤ W`.
   * `undefined`: kept (no eviction, or a constant bound it stays above); `null`: its time is not
   * epoch milliseconds (or a window), so it cannot be judged.
   */
  evictAt(row: Row): number | undefined | null {
    const eviction = this.analysis.eviction;
    if (eviction === undefined) return undefined;
    if (eviction.kind === 'key') {
      const t = timeBoundOf(this.keyFns[eviction.keyIndex]!(row));
      return t === undefined ? null : t;
    }
    const t = timeBoundOf(row[eviction.column]);
    if (t === undefined) return null;
    if (eviction.ceilingMs !== undefined && t > eviction.ceilingMs) {
      return eviction.offsetMs === undefined ? undefined : t - eviction.offsetMs;
    }
    return eviction.offsetMs === undefined ? Number.MIN_SAFE_INTEGER : t - eviction.offsetMs;
  }

  /** What an unusable time is called in a dead letter. */
  get timeLabel(): string {
    const eviction = this.analysis.eviction;
    if (eviction === undefined) return '';
    return eviction.kind === 'key' ? `join key ${eviction.keyIndex + 1}` : `column '${eviction.column}'`;
  }
}

/**
 * Builds both sides' specs. A preserved (outer) side that can never expire is rejected: its null
 * rows could never be output. The plan checker reports the same first, with the same rule name.
 */
export function joinSideSpecs(
  node: StreamJoinNode,
  analysis: JoinAnalysis,
): { left: JoinSideSpec; right: JoinSideSpec } {
  const left = new JoinSideSpec('left', preserves(node.how, 'left'), analysis.left);
  const right = new JoinSideSpec('right', preserves(node.how, 'right'), analysis.right);
  for (const spec of [left, right]) {
    if (spec.preserved && !spec.evicts) {
      throw new InvalidQueryError(
        'OUTER_STREAM_JOIN_WITHOUT_WATERMARK',
        `A ${node.how} stream-stream join needs a way to expire ${spec.side} rows, or their null rows are never output: give both sides a watermark and bound the ${spec.side} side's time by the other's (e.g. right.t BETWEEN left.t AND left.t + INTERVAL 1 HOUR), or join on a watermarked event-time column or window.`,
        { on: node.on, how: node.how },
      );
    }
  }
  return { left, right };
}
