import type { QueryDefinition } from '../../api/writer.js';
import { InvalidQueryError } from '../../errors.js';
import { collectNodes, labelOfKey } from './plan-queries.js';

/**
 * A row lands in every window of each time window key, so two window keys in one `groupBy`
 * would put it in the cartesian product of both; the aggregation (like Spark's) supports one
 * `window` or `sessionWindow` per grouping, and both would write to the same output column.
 */
export function oneTimeWindowPerGroupBy(query: QueryDefinition): void {
  for (const node of collectNodes(query.plan, (n) => n.kind === 'aggregate')) {
    const windows = node.keys.filter((key) => key.kind !== 'column');
    if (windows.length <= 1) continue;
    throw new InvalidQueryError(
      'MULTIPLE_TIME_WINDOWS_IN_GROUP_BY',
      `Query '${query.name}' groups by ${windows.length} time windows in one groupBy (${windows.map(labelOfKey).join(', ')}): a row would land in the cartesian product of their windows, which is not supported. Group by a single window(...) or sessionWindow(...); for two granularities, write two queries.`,
      { query: query.name },
    );
  }
}
