import type { QueryDefinition } from '../../api/writer.js';
import { InvalidQueryError } from '../../errors.js';
import { watermarkedColumnsOf } from '../../runtime/watermarked-columns.js';
import type { StreamJoinNode } from '../nodes.js';
import { collectNodes, isOuterJoin, sourceNamesOf } from './plan-queries.js';

const streamJoins = (query: QueryDefinition): StreamJoinNode[] =>
  collectNodes(query.plan, (n) => n.kind === 'streamJoin');

/**
 * Each side keeps its rows in state by the join key and looks up the other side's rows by it;
 * without keys every row would be buffered against every other. Spark's planner rejects a
 * stream-stream join without an equality condition too.
 */
export function streamJoinNeedsKeys(query: QueryDefinition): void {
  for (const join of streamJoins(query)) {
    if (join.on.length > 0) continue;
    throw new InvalidQueryError(
      'STREAM_JOIN_WITHOUT_KEYS',
      `Query '${query.name}' joins streams ${sideNames(join)} with an empty 'on': a stream-stream join keeps each side's rows in state by the join key, and without one every row would wait for every other row. Pass the columns both sides share, e.g. join(other, { on: ['adId'] }).`,
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

/**
 * An outer join emits a row with nulls only once its unmatched row is evicted, and eviction
 * needs both a watermark on each side and a time range that bounds how late a match can come.
 * sluice asks for both on every outer stream-stream join, or, as Spark does, a join key that is
 * watermarked on both sides (e.g. a window).
 */
export function outerStreamJoinHasWatermarks(query: QueryDefinition): void {
  for (const join of streamJoins(query)) {
    if (!isOuterJoin(join.how)) continue;
    const sides = [
      ['left', join.left, join.timeRange?.leftColumn],
      ['right', join.right, join.timeRange?.rightColumn],
    ] as const;
    for (const [side, plan, rangeColumn] of sides) {
      const watermarked = watermarkedColumnsOf(plan);
      const ok = rangeColumn === undefined ? watermarked.size > 0 : watermarked.has(rangeColumn);
      if (ok) continue;
      const what =
        rangeColumn === undefined
          ? `its ${side} side (${sourceNamesOf(plan).join(', ')}) has no watermark`
          : `the ${side} side's time-range column '${rangeColumn}' (${sourceNamesOf(plan).join(', ')}) has no watermark`;
      throw new InvalidQueryError(
        'OUTER_STREAM_JOIN_WITHOUT_WATERMARK',
        `Query '${query.name}' uses a ${join.how} stream-stream join but ${what}: an outer join emits a null-padded row only when the watermark evicts the unmatched row, so both sides need one. Call withWatermark('${rangeColumn ?? '<time column>'}', '<delay>') on the ${side} stream before the join.`,
        { query: query.name, side },
      );
    }
  }
}

/**
 * See {@link outerStreamJoinHasWatermarks}: without a time range, or a join key that is event time
 * on both sides (Spark's windowed outer join), no row ever stops waiting for a match.
 */
export function outerStreamJoinHasTimeRange(query: QueryDefinition): void {
  for (const join of streamJoins(query)) {
    if (!isOuterJoin(join.how) || join.timeRange !== undefined) continue;
    const left = watermarkedColumnsOf(join.left);
    const right = watermarkedColumnsOf(join.right);
    if (join.on.some((column) => left.has(column) && right.has(column))) continue;
    throw new InvalidQueryError(
      'OUTER_STREAM_JOIN_WITHOUT_TIME_RANGE',
      `Query '${query.name}' uses a ${join.how} stream-stream join ${sideNames(join)} without a time range: a row can be emitted with nulls only once no match can arrive any more, which the range bounds. Add timeRange: { leftColumn, rightColumn, min, max } (right time - left time must lie in [min, max]), e.g. { leftColumn: 'impressionTime', rightColumn: 'clickTime', min: 0, max: '1 hour' }.`,
      { query: query.name },
    );
  }
}

function sideNames(join: StreamJoinNode): string {
  return `(${sourceNamesOf(join.left).join(', ')}) and (${sourceNamesOf(join.right).join(', ')})`;
}
