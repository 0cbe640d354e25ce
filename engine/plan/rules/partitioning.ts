import type { QueryDefinition } from '../../api/writer.js';
import { InvalidQueryError } from '../../errors.js';
import { describeNode, exchangeRequirements, unsupportedExchange } from '../exchange/plan-stages.js';

/**
 * DESIGN.md's partitioning contract: each group's records must reach one Kinesis shard, because
 * each shard keeps its own state. When a stateful operator does not group by its source's declared
 * partition-key column, the planner inserts an exchange before it (`plan/exchange/plan-stages.ts`,
 * shown by `explain`), which moves each group's rows to one internal shard. This rule fails only
 * when that cannot happen: the query opted out (`writeStream.exchanges('off')`), or the exchange
 * is not built for that shape yet. Key functions (`groupByKey`, function partition keys) cannot be
 * checked here; the record decoder still checks each record's partition key at run time.
 */
export function statefulOperatorsFollowPartitionKey(query: QueryDefinition): void {
  for (const requirement of exchangeRequirements(query.plan)) {
    const { node, source, partitionKey } = requirement;
    const why =
      query.exchange === 'off'
        ? "the query turned exchanges off (writeStream.exchanges('off'))"
        : unsupportedExchange(query.plan, requirement);
    if (why === undefined) continue; // an exchange is planned here
    throw new InvalidQueryError(
      'GROUPING_IGNORES_PARTITION_KEY',
      `Query '${query.name}' has a stateful ${describeNode(node)} that does not group by '${partitionKey}', the partition key of stream '${source.name}', and no exchange can be planned before it: ${why}. Its groups would be split across Kinesis shards, each keeping separate state, and results would be wrong. Add '${partitionKey}' to the grouping (e.g. groupBy(window(...), '${partitionKey}')), have producers partition '${source.name}' by a column the operator groups by and declare it with readStream(..., { partitionKey })${query.exchange === 'off' ? ", or allow the exchange (writeStream.exchanges('auto'))" : ''}.`,
      { query: query.name, source: source.name, partitionKey },
    );
  }
}
