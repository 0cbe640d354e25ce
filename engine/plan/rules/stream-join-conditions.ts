import type { QueryDefinition } from '../../api/writer.js';
import { InvalidQueryError } from '../../errors.js';
import { watermarkedColumnsOf } from '../../runtime/watermarked-columns.js';
import { analyzeStreamJoin } from '../joins/analyze-join.js';
import type { JoinSideName } from '../joins/join-condition.js';
import type { JoinType, StreamJoinNode } from '../nodes.js';
import { collectNodes, sourceNamesOf } from './plan-queries.js';

const streamJoins = (query: QueryDefinition): StreamJoinNode[] =>
  collectNodes(query.plan, (n) => n.kind === 'streamJoin');

const analysisOf = (join: StreamJoinNode) =>
  analyzeStreamJoin(join, watermarkedColumnsOf(join.left), watermarkedColumnsOf(join.right));

/**
 * Each side keeps its rows in state by the join key and looks up the other side's rows by it;
 * without keys every row would be buffered against every other. Spark's planner plans a
 * stream-stream join only with an equality between the two sides (`ExtractEquiJoinKeys`) too.
 */
export function streamJoinNeedsKeys(query: QueryDefinition): void {
  for (const join of streamJoins(query)) {
    if (analysisOf(join).keyLabels.length > 0) continue;
    throw new InvalidQueryError(
      'STREAM_JOIN_WITHOUT_KEYS',
      `Query '${query.name}' joins streams ${sideNames(join)} without an equality between the two sides: a stream-stream join keeps each side's rows in state by the join key, and without one every row would wait for every other row. Pass the columns both sides share, e.g. join(other, { on: ['adId'] }), or an equality in the condition (a.adId = b.impressionAdId).`,
      { query: query.name },
    );
  }
}

/** A time range with `min > max` can match nothing; most likely the bounds are swapped. */
export function joinTimeRangeIsNotEmpty(query: QueryDefinition): void {
  for (const join of streamJoins(query)) {
    const range = join.timeRange;
    if (range === undefined || range.minMs <= range.maxMs) continue;
    throw new InvalidQueryError(
      'EMPTY_JOIN_TIME_RANGE',
      `Query '${query.name}' joins streams ${sideNames(join)} with a time range whose min (${range.minMs} ms) is greater than its max (${range.maxMs} ms): right.${range.rightColumn} - left.${range.leftColumn} can never lie in it. Swap min and max (negative bounds are written as '-5 minutes').`,
      { query: query.name, minMs: range.minMs, maxMs: range.maxMs },
    );
  }
}

/** The sides whose rows a join type must be able to expire (Spark's `checkForStreamStreamJoinWatermark`). */
function sidesToExpire(how: JoinType): JoinSideName[] {
  switch (how) {
    case 'left_outer':
    case 'left_semi':
      return ['left'];
    case 'right_outer':
      return ['right'];
    case 'full_outer':
      return ['left', 'right'];
    default:
      return [];
  }
}

/**
 * An outer join emits a row with nulls only once its unmatched row leaves the state, which needs
 * a watermark in the join keys, or a watermark on both sides and a time condition bounding the
 * preserved side's time by the other side's (Spark's rule; a full outer join needs it for both
 * sides, a left semi join for the left). This rule names the missing watermark;
 * {@link outerStreamJoinHasTimeRange} the missing condition.
 *
 * Where Spark accepts a preserved side without a watermark of its own (its rows then never leave
 * the state and its null rows never appear), sluice rejects the query: state lives in the
 * function's memory, which such a join would fill (see docs/spark-differences.md).
 */
export function outerStreamJoinHasWatermarks(query: QueryDefinition): void {
  for (const join of streamJoins(query)) {
    const analysis = analysisOf(join);
    for (const side of sidesToExpire(join.how)) {
      if (analysis[side].eviction !== undefined) continue;
      const other: JoinSideName = side === 'left' ? 'right' : 'left';
      const plans = { left: join.left, right: join.right };
      const own = watermarkedColumnsOf(plans[side]);
      const theirs = watermarkedColumnsOf(plans[other]);
      const rangeColumn = join.timeRange?.[other === 'left' ? 'leftColumn' : 'rightColumn'];
      let what: string;
      let fix: { side: JoinSideName; column: string };
      if (own.size === 0) {
        what = `its ${side} side (${sourceNamesOf(plans[side]).join(', ')}) has no watermark`;
        fix = {
          side,
          column: join.timeRange?.[side === 'left' ? 'leftColumn' : 'rightColumn'] ?? '<time column>',
        };
      } else if (rangeColumn !== undefined && !theirs.has(rangeColumn)) {
        what = `the ${other} side's time-range column '${rangeColumn}' (${sourceNamesOf(plans[other]).join(', ')}) has no watermark`;
        fix = { side: other, column: rangeColumn };
      } else if (theirs.size === 0) {
        what = `its ${other} side (${sourceNamesOf(plans[other]).join(', ')}) has no watermark`;
        fix = { side: other, column: '<time column>' };
      } else continue;
      throw new InvalidQueryError(
        'OUTER_STREAM_JOIN_WITHOUT_WATERMARK',
        `Query '${query.name}' uses a ${join.how} stream-stream join but ${what}: an outer join emits a null-padded row only when the watermark evicts the unmatched row, so both sides need one. Call withWatermark('${fix.column}', '<delay>') on the ${fix.side} stream before the join.`,
        { query: query.name, side },
      );
    }
  }
}

/**
 * See {@link outerStreamJoinHasWatermarks}: with watermarks on both sides but neither a watermarked
 * join key nor a time condition bounding the preserved side, no row ever stops waiting for a match.
 */
export function outerStreamJoinHasTimeRange(query: QueryDefinition): void {
  for (const join of streamJoins(query)) {
    const analysis = analysisOf(join);
    const side = sidesToExpire(join.how).find((s) => analysis[s].eviction === undefined);
    if (side === undefined) continue;
    throw new InvalidQueryError(
      'OUTER_STREAM_JOIN_WITHOUT_TIME_RANGE',
      `Query '${query.name}' uses a ${join.how} stream-stream join ${sideNames(join)} without a time range bounding the ${side} side: a row can be emitted with nulls only once no match can arrive any more, which the range bounds. Add timeRange: { leftColumn, rightColumn, min, max } (right time - left time must lie in [min, max]), e.g. { leftColumn: 'impressionTime', rightColumn: 'clickTime', min: 0, max: '1 hour' }, or a condition such as right.clickTime BETWEEN left.impressionTime AND left.impressionTime + INTERVAL 1 HOUR, or join on a watermarked window.`,
      { query: query.name },
    );
  }
}

function sideNames(join: StreamJoinNode): string {
  return `(${sourceNamesOf(join.left).join(', ')}) and (${sourceNamesOf(join.right).join(', ')})`;
}
