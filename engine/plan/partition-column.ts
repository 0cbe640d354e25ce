import { type PlanNode, walkPlan } from './nodes.js';

/**
 * The Kinesis partition-key column of the sources feeding `node`, when they all declare the same
 * column (`readStream(..., { partitionKey: 'user' })`); `undefined` otherwise. Stateful operators
 * use it to tell which shard's hash range each of their groups belongs to, so that after a
 * reshard a child shard can adopt exactly its parents' groups.
 */
export function partitionColumnBelow(node: PlanNode): string | undefined {
  const columns = new Set<unknown>();
  walkPlan(node, (candidate) => {
    if (candidate.kind === 'source') columns.add(candidate.partitionKey);
  });
  const [only] = columns;
  return columns.size === 1 && typeof only === 'string' ? only : undefined;
}

/** A column value as a Kinesis partition key, the way producers and the edge decoder write it. */
export function partitionKeyFromValue(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  return undefined;
}
