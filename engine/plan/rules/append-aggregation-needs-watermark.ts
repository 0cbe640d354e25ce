import type { QueryDefinition } from '../../api/writer.js';
import { InvalidQueryError } from '../../errors.js';
import { watermarkedColumnsOf } from '../../runtime/watermarked-columns.js';
import { walkPlan } from '../nodes.js';

/**
 * Append mode emits a group once, when it can no longer change; that moment exists only when a
 * grouping key is event time (a window over, or the column of, a `withWatermark`).
 */
export function appendAggregationNeedsWatermark(query: QueryDefinition): void {
  if (query.outputMode !== 'append') return;
  walkPlan(query.plan, (node) => {
    if (node.kind !== 'aggregate') return;
    const watermarked = watermarkedColumnsOf(node.child);
    if (node.keys.some((key) => watermarked.has(key.column))) return;
    throw new InvalidQueryError(
      'APPEND_AGGREGATION_WITHOUT_WATERMARK',
      `Query '${query.name}' aggregates in append mode without a watermark on a grouping key: append emits a group only once it can no longer change. Add withWatermark('<time column>', '<delay>') before groupBy and group by window('<time column>', ...), or use update or complete mode.`,
      { query: query.name },
    );
  });
}
