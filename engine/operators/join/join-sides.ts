import { InvalidQueryError } from '../../errors.js';
import type { StreamJoinNode } from '../../plan/nodes.js';
import { eventTimeOf } from '../../runtime/event-time.js';
import type { Row } from '../../types.js';
import { timeBoundOf } from './join-rows.js';

export type JoinSide = 'left' | 'right';

/**
 * How one side of a stream-stream join meets the watermark (Spark's state watermark predicates
 * of `StreamingSymmetricHashJoinHelper`, decided once when the query is compiled).
 *
 * A stored row expires — can never match a future row of the other side — when either
 * - a join key column carries a watermark (on either side; Spark's "watermark on the join key"):
 *   the row's key time (a window by its end) ≤ the watermark, or
 * - the time range `right.rightColumn - left.leftColumn ∈ [minMs, maxMs]` bounds it and the
 *   *other* side's range column is watermarked (so the other side's late rows are dropped and its
 *   future rows lie after the watermark W): a left row when `leftTime + maxMs ≤ W` (a future
 *   right row has `rightTime > W ≥ leftTime + maxMs`), a right row when `rightTime - minMs ≤ W`.
 * With both, the earlier of the two applies. Spark's value predicate is one millisecond more
 * conservative at the boundary (`<` instead of `≤`); both never drop a row that could still match.
 */
export class JoinSideSpec {
  constructor(
    readonly side: JoinSide,
    /** The outer side: its unmatched rows are output null-padded when they expire. */
    readonly preserved: boolean,
    /** Input rows whose value here (a window by its end) ≤ the late-events watermark are dropped. */
    readonly lateColumn: string | undefined,
    /** The side's time-range column. */
    readonly timeColumn: string | undefined,
    /** A watermarked join key column: rows expire when its time ≤ the watermark. */
    private readonly keyTimeColumn: string | undefined,
    /** Rows expire when `time(timeColumn) + rangeOffsetMs ≤ W`; `undefined` if the range does not expire them. */
    private readonly rangeOffsetMs: number | undefined,
  ) {}

  /** Whether rows of this side ever leave the state. */
  get evicts(): boolean {
    return this.keyTimeColumn !== undefined || this.rangeOffsetMs !== undefined;
  }

  /** The watermark at which a stored row can no longer match, or `undefined` (kept, or invalid time). */
  evictAt(row: Row): number | undefined {
    let at = this.keyTimeColumn === undefined ? undefined : timeBoundOf(row[this.keyTimeColumn]);
    if (this.rangeOffsetMs !== undefined) {
      const t = eventTimeOf(row[this.timeColumn!]);
      if (t !== undefined)
        at = at === undefined ? t + this.rangeOffsetMs : Math.min(at, t + this.rangeOffsetMs);
    }
    return at;
  }
}

/**
 * Builds both sides' specs from the plan and the columns carrying a watermark on each side. An
 * outer join whose outer side can never expire is rejected (its null rows could never be
 * output); the plan checker reports the same first, with the same rule name, for built queries.
 */
export function joinSideSpecs(
  node: StreamJoinNode,
  leftWatermarked: ReadonlySet<string>,
  rightWatermarked: ReadonlySet<string>,
): { left: JoinSideSpec; right: JoinSideSpec } {
  const range = node.timeRange;
  // Spark's findJoinKeyOrdinalForWatermark: the first key watermarked on the left, else on the right.
  const keyTimeColumn =
    node.on.find((column) => leftWatermarked.has(column)) ??
    node.on.find((column) => rightWatermarked.has(column));
  const leftByRange = range !== undefined && rightWatermarked.has(range.rightColumn);
  const rightByRange = range !== undefined && leftWatermarked.has(range.leftColumn);
  const lateColumn = (watermarked: ReadonlySet<string>, timeColumn: string | undefined) => {
    if (timeColumn !== undefined && watermarked.has(timeColumn)) return timeColumn;
    if (keyTimeColumn !== undefined && watermarked.has(keyTimeColumn)) return keyTimeColumn;
    return [...watermarked][0];
  };
  const left = new JoinSideSpec(
    'left',
    node.how === 'left_outer',
    lateColumn(leftWatermarked, range?.leftColumn),
    range?.leftColumn,
    keyTimeColumn,
    leftByRange ? range.maxMs : undefined,
  );
  const right = new JoinSideSpec(
    'right',
    node.how === 'right_outer',
    lateColumn(rightWatermarked, range?.rightColumn),
    range?.rightColumn,
    keyTimeColumn,
    rightByRange ? -range.minMs : undefined,
  );
  for (const spec of [left, right]) {
    if (spec.preserved && !spec.evicts) {
      const other = spec.side === 'left' ? 'right' : 'left';
      throw new InvalidQueryError(
        'OUTER_STREAM_JOIN_WITHOUT_WATERMARK',
        `A ${node.how} stream-stream join needs a way to expire ${spec.side} rows, or their null rows are never output: add a timeRange whose ${other} column has a watermark (withWatermark on the ${other} stream), or join on a watermarked event-time column.`,
        { on: node.on, how: node.how },
      );
    }
  }
  return { left, right };
}
