import { type KinesisClient, ListShardsCommand, type Shard } from '@aws-sdk/client-kinesis';
import { KinesisRequestError } from '../kinesis/errors.js';

/** A shard's place in the stream's lineage: its parents and the hash range it owns. */
export interface ShardLineage {
  readonly shardId: string;
  readonly parents: readonly string[];
  readonly hashRange: { readonly start: bigint; readonly end: bigint };
}

/** Reads a shard's parents and hash range with ListShards (paged). */
export async function shardLineage(
  client: KinesisClient,
  streamName: string,
  shardId: string,
): Promise<ShardLineage> {
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
  const shard = shards.find((candidate) => candidate.ShardId === shardId);
  if (shard?.HashKeyRange?.StartingHashKey === undefined || shard.HashKeyRange.EndingHashKey === undefined) {
    throw new KinesisRequestError('ListShards', new Error(`shard ${shardId} is not in stream ${streamName}`));
  }
  return {
    shardId,
    parents: [shard.ParentShardId, shard.AdjacentParentShardId].filter(
      (id): id is string => id !== undefined,
    ),
    hashRange: {
      start: BigInt(shard.HashKeyRange.StartingHashKey),
      end: BigInt(shard.HashKeyRange.EndingHashKey),
    },
  };
}
