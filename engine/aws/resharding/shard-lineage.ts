import { type KinesisClient, ListShardsCommand, type Shard } from '@aws-sdk/client-kinesis';
import type { ShardLineage, StreamShards } from '../../reshard/lineage.js';
import { KinesisRequestError } from '../kinesis/errors.js';

export {
  childrenOf,
  type HashRange,
  intersect,
  type ShardLineage,
  type StreamShards,
} from '../../reshard/lineage.js';

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
