/**
 * A stream's shard lineage, as the engine sees it: Kinesis shards of a source stream, or the
 * partitions of an exchange (an internal stream, or the test kit's in-memory one). Read from
 * ListShards on AWS (`engine/aws/resharding/shard-lineage.ts`).
 */

/** An inclusive range of 128-bit partition hashes. */
export interface HashRange {
  readonly start: bigint;
  readonly end: bigint;
}

/** A shard's place in the stream's lineage: its parents and the hash range it owns. */
export interface ShardLineage {
  readonly shardId: string;
  readonly parents: readonly string[];
  readonly hashRange: HashRange;
  /** True once the shard was split or merged (it has an ending sequence number). */
  readonly closed?: boolean;
}

/** Every shard ListShards still reports (closed ones until they pass the retention period). */
export type StreamShards = ReadonlyMap<string, ShardLineage>;

/** The shards that name `shardId` as a parent. */
export function childrenOf(shards: StreamShards, shardId: string): ShardLineage[] {
  return [...shards.values()].filter((shard) => shard.parents.includes(shardId));
}

/** The overlap of two hash ranges, or `undefined` when they are disjoint. */
export function intersect(a: HashRange, b: HashRange): HashRange | undefined {
  // Math.max/min do not take bigints.
  let start = a.start;
  if (b.start > start) start = b.start;
  let end = a.end;
  if (b.end < end) end = b.end;
  return start <= end ? { start, end } : undefined;
}

/** Whether `hash` lies in `range`. */
export function inRange(hash: bigint, range: HashRange): boolean {
  return hash >= range.start && hash <= range.end;
}
