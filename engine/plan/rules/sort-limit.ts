import type { QueryDefinition } from '../../api/writer.js';
import { InvalidQueryError } from '../../errors.js';
import { collectNodes, hasAggregation } from './plan-queries.js';

/**
 * Spark's rule for `Sort` on a stream (`containsCompleteData`): only the output of an aggregation
 * in complete mode is a whole table each batch; anywhere else a batch holds only new or changed
 * rows, and sorting them would order one batch, not the result.
 */
export function sortOnlyOnCompleteAggregation(query: QueryDefinition): void {
  for (const sort of collectNodes(query.plan, (n) => n.kind === 'sort')) {
    if (query.outputMode === 'complete' && hasAggregation(sort.child)) continue;
    throw new InvalidQueryError(
      'SORT_NOT_ON_COMPLETE_AGGREGATION',
      `Query '${query.name}' sorts a stream in ${query.outputMode} mode${hasAggregation(sort.child) ? '' : ' without an aggregation below the sort'}: only the result table of an aggregation in complete mode is whole in every batch. Sort after groupBy(...).agg(...) with outputMode('complete'), or sort where the output is read (sluice query --sql ... ORDER BY).`,
      { query: query.name, outputMode: query.outputMode },
    );
  }
}

/**
 * Spark rejects a limit in update mode (a batch holds only changed rows, so "the first n" means
 * nothing). In append mode Spark runs it with a stateful global counter (`StreamingGlobalLimitExec`);
 * sluice does not: its state lives per shard, so a counter would limit each shard, not the stream.
 * Complete mode takes the first n rows of the result table, as Spark.
 */
export function limitOnlyInCompleteMode(query: QueryDefinition): void {
  const limits = collectNodes(query.plan, (n) => n.kind === 'limit');
  if (limits.length === 0 || query.outputMode === 'complete') return;
  const update = query.outputMode === 'update';
  throw new InvalidQueryError(
    'LIMIT_NOT_IN_COMPLETE_MODE',
    update
      ? `Query '${query.name}' uses limit(${limits[0]!.n}) in update mode: a batch holds only the changed rows, so Spark rejects a limit there too. Use outputMode('complete') after an aggregation.`
      : `Query '${query.name}' uses limit(${limits[0]!.n}) in append mode: Spark keeps a global row counter for it, but sluice's state lives per shard, so a limit would cap each shard, not the stream. Use outputMode('complete') after an aggregation, or limit where the output is read.`,
    { query: query.name, outputMode: query.outputMode },
  );
}
