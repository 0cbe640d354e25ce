import type { QueryDefinition } from '../../api/writer.js';
import { InvalidQueryError } from '../../errors.js';
import { hasAggregation } from './plan-queries.js';

/** Complete mode re-emits the whole result table, which only an aggregation has. */
export function completeNeedsAggregation(query: QueryDefinition): void {
  if (query.outputMode !== 'complete' || hasAggregation(query.plan)) return;
  throw new InvalidQueryError(
    'COMPLETE_MODE_WITHOUT_AGGREGATION',
    `Query '${query.name}' uses complete mode but has no aggregation: complete mode re-emits the whole result table, which only an aggregation keeps. Use append or update, or add groupBy(...).agg(...).`,
    { query: query.name },
  );
}
