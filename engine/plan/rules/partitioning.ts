import type { QueryDefinition } from '../../api/writer.js';
import { InvalidQueryError } from '../../errors.js';
import {
  describeNode,
  type ExchangeRequirement,
  exchangeRequirements,
  exchangeShape,
} from '../exchange/exchange-shape.js';

/**
 * DESIGN.md's partitioning contract: each group's records must reach one Kinesis shard, because
 * each shard keeps its own state. When a stateful operator does not group by its source's declared
 * partition-key column (a stream-stream join: when no equality pair joins both sides' partition
 * keys), the planner inserts an exchange before it (`plan/exchange/plan-stages.ts`, shown by
 * `explain`), which moves each group's rows to one internal shard. This rule fails only when that
 * cannot happen: the query opted out (`writeStream.exchanges('off')`), or the shape is not covered
 * (`exchangeShape` names why: a stateful operator before the one needing the exchange, a second
 * exchange after it, an input that is not a chain of stateless steps from one source, an input
 * whose watermark column does not reach the exchange as it is, a groupsWithState key function).
 * Key functions (`groupByKey`, function partition keys) cannot be checked here; the record
 * decoder still checks each record's partition key at run time.
 */
export function statefulOperatorsFollowPartitionKey(query: QueryDefinition): void {
  const requirements = exchangeRequirements(query.plan);
  if (requirements.length === 0) return;
  if (query.exchange === 'off') {
    fail(query, requirements[0]!, "the query turned exchanges off (writeStream.exchanges('off'))");
  }
  const shape = exchangeShape(query.plan);
  if (shape.kind === 'unsupported') fail(query, shape.requirement, shape.why);
}

function fail(query: QueryDefinition, requirement: ExchangeRequirement, why: string): never {
  const { node, source, partitionKey, streams } = requirement;
  if (streams !== undefined) {
    throw new InvalidQueryError(
      'GROUPING_IGNORES_PARTITION_KEY',
      `Query '${query.name}' has a stateful ${describeNode(node)} over sources of two Kinesis streams ('${streams[0]}' and '${streams[1]}'), and no exchange can be planned before it: ${why}. Shards of different streams never hold the same keys, so each shard would keep separate state and results would be wrong. Read the sources from one stream (drop readStream's \`stream\`)${query.exchange === 'off' ? ", or allow the exchange (writeStream.exchanges('auto'))" : ''}.`,
      { query: query.name, source: source.name, streams: [...streams] },
    );
  }
  throw new InvalidQueryError(
    'GROUPING_IGNORES_PARTITION_KEY',
    `Query '${query.name}' has a stateful ${describeNode(node)} that does not group by '${partitionKey}', the partition key of stream '${source.name}', and no exchange can be planned before it: ${why}. Its groups would be split across Kinesis shards, each keeping separate state, and results would be wrong. Add '${partitionKey}' to the grouping (e.g. groupBy(window(...), '${partitionKey}')), have producers partition '${source.name}' by a column the operator groups by and declare it with readStream(..., { partitionKey })${query.exchange === 'off' ? ", or allow the exchange (writeStream.exchanges('auto'))" : ''}.`,
    { query: query.name, source: source.name, partitionKey },
  );
}
