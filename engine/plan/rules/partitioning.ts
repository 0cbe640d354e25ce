import type { QueryDefinition } from '../../api/writer.js';
import { InvalidQueryError } from '../../errors.js';
import type { PlanNode, SourceNode, StatefulNode } from '../nodes.js';
import { collectNodes } from './plan-queries.js';

/**
 * DESIGN.md's partitioning contract: each group's records must reach one Kinesis shard, because
 * each shard keeps its own state. When a source declares its partition key as a column, every
 * stateful operator reading it must group by that column; otherwise one group would be split
 * across shards and counted separately in each (a global `groupBy(window)` across shards needs a
 * shuffle, which sluice does not have). Key functions (`groupByKey`, function partition keys)
 * cannot be checked here; the record decoder still checks each record's partition key at run time.
 */
export function statefulOperatorsFollowPartitionKey(query: QueryDefinition): void {
  const stateful = collectNodes(
    query.plan,
    (node): node is StatefulNode =>
      node.kind === 'aggregate' || node.kind === 'dedup' || node.kind === 'streamJoin',
  );
  for (const node of stateful) {
    for (const source of inputSources(node)) {
      const partitionKey = source.partitionKey;
      if (typeof partitionKey !== 'string' || groupsBy(node, source, partitionKey)) continue;
      throw new InvalidQueryError(
        'GROUPING_IGNORES_PARTITION_KEY',
        `Query '${query.name}' has a stateful ${describe(node)} that does not group by '${partitionKey}', the partition key of stream '${source.name}': its groups would be split across Kinesis shards, each keeping separate state, and results would be wrong. Add '${partitionKey}' to the grouping (e.g. groupBy(window(...), '${partitionKey}')), or have producers partition '${source.name}' by a column the operator groups by and declare it with readStream(..., { partitionKey }).`,
        { query: query.name, source: source.name, partitionKey },
      );
    }
  }
}

function inputSources(node: StatefulNode): SourceNode[] {
  const inputs: PlanNode[] = node.kind === 'streamJoin' ? [node.left, node.right] : [node.child];
  return inputs.flatMap((input) =>
    collectNodes(input, (candidate): candidate is SourceNode => candidate.kind === 'source'),
  );
}

function groupsBy(node: StatefulNode, source: SourceNode, column: string): boolean {
  switch (node.kind) {
    case 'aggregate':
      return node.keys.some((key) => key.kind === 'column' && key.column === column);
    case 'dedup':
      return node.columns.length === 0 || node.columns.includes(column);
    case 'streamJoin':
      return node.on.includes(column);
    default:
      return source.partitionKey === undefined;
  }
}

function describe(node: StatefulNode): string {
  switch (node.kind) {
    case 'aggregate':
      return 'aggregation';
    case 'dedup':
      return 'deduplication';
    case 'streamJoin':
      return 'stream-stream join';
    default:
      return 'operator';
  }
}
