import type { QueryDefinition } from '../../api/writer.js';
import { InvalidQueryError } from '../../errors.js';
import { watermarkedColumnsOf } from '../../runtime/watermarked-columns.js';
import { collectNodes, groupsWithStateLabel } from './plan-queries.js';

/**
 * An event-time timeout fires when the watermark passes the timestamp the function set; with no
 * watermark on the function's input it would never fire (Spark: "Event-time timeout not
 * supported without watermark").
 */
export function eventTimeTimeoutNeedsWatermark(query: QueryDefinition): void {
  for (const node of collectNodes(query.plan, (n) => n.kind === 'groupsWithState')) {
    if (node.timeout !== 'EventTimeTimeout' || watermarkedColumnsOf(node.child).size > 0) continue;
    throw new InvalidQueryError(
      'EVENT_TIME_TIMEOUT_WITHOUT_WATERMARK',
      `Query '${query.name}' uses ${groupsWithStateLabel(node)} with GroupStateTimeout.EventTimeTimeout but its input has no watermark: an event-time timeout fires when the watermark passes it, so it would never fire. Add withWatermark('<time column>', '<delay>') before groupByKey, or use GroupStateTimeout.ProcessingTimeTimeout.`,
      { query: query.name },
    );
  }
}

/**
 * `dropDuplicatesWithinWatermark` keeps a key until its event time + the watermark delay is
 * behind the watermark; without a watermark there is neither a delay nor an end, so Spark
 * rejects it.
 */
export function dedupWithinWatermarkNeedsWatermark(query: QueryDefinition): void {
  for (const node of collectNodes(query.plan, (n) => n.kind === 'dedup')) {
    if (!node.withinWatermark || watermarkedColumnsOf(node.child).size > 0) continue;
    throw new InvalidQueryError(
      'DEDUP_WITHIN_WATERMARK_WITHOUT_WATERMARK',
      `Query '${query.name}' calls dropDuplicatesWithinWatermark on a stream without a watermark: it forgets a key once its event time plus the watermark delay is behind the watermark, which needs one. Add withWatermark('<time column>', '<delay>') before it, or use dropDuplicates (which keeps every key unless the event-time column is among the columns).`,
      { query: query.name },
    );
  }
}
