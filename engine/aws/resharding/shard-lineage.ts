import { type KinesisClient, ListShardsCommand, type Shard } from '@aws-sdk/client-kinesis';
import { KinesisRequestError } from '../kinesis/errors.js';

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

/** Reads the lineage of every shard of the stream with ListShards (paged). */
export async function streamShards(client: KinesisClient, streamName: string): Promise<StreamShards> {
  const shards: Shard[] = [];
  let nextToken: string | undefined;
  do {
    try {
      const page = await client.send(
        new ListShardsCommand(
          nextToken === undefined ? { StreamName: streamName } : { NextToken: nextToken },
        ),
      );
      shards.push(...(page.Shards ?? []));
      nextToken = page.NextToken;
    } catch (error) {
      throw new KinesisRequestError('ListShards', error);
    }
  } while (nextToken !== undefined);
  const out = new Map<string, ShardLineage>();
  for (const shard of shards) {
    const range = shard.HashKeyRange;
    if (
      shard.ShardId === undefined ||
      range?.StartingHashKey === undefined ||
      range.EndingHashKey === undefined
    )
      continue;
    out.set(shard.ShardId, {
      shardId: shard.ShardId,
      parents: [shard.ParentShardId, shard.AdjacentParentShardId].filter(
        (id): id is string => id !== undefined,
      ),
      hashRange: { start: BigInt(range.StartingHashKey), end: BigInt(range.EndingHashKey) },
      closed: shard.SequenceNumberRange?.EndingSequenceNumber !== undefined,
    });
  }
  return out;
}

/** Reads a shard's parents and hash range with ListShards (paged). */
export async function shardLineage(
  client: KinesisClient,
  streamName: string,
  shardId: string,
): Promise<ShardLineage> {
  const shard = (await streamShards(client, streamName)).get(shardId);
  if (shard === undefined) {
    throw new KinesisRequestError('ListShards', new Error(`shard ${shardId} is not in stream ${streamName}`));
  }
  return shard;
}

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
