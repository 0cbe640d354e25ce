import {
  type _Record,
  CreateStreamCommand,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  MergeShardsCommand,
  PutRecordsCommand,
  SplitShardCommand,
} from '@aws-sdk/client-kinesis';
import { HEARTBEAT_PARTITION_KEY, heartbeatRecordData } from '../../engine/aws/kinesis/index.js';
import { payloadBytes } from './kinesis-events.js';

/** A record to put: a payload (string as text, anything else as JSON) or a heartbeat. */
export type PutEntry =
  | { readonly data: unknown; readonly partitionKey: string }
  | { readonly heartbeat: true };

/** Creates a one-shard stream and waits until it is ACTIVE. */
export async function createOneShardStream(client: KinesisClient, name: string): Promise<void> {
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
  await waitActive(client, name);
}

async function waitActive(client: KinesisClient, name: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const described = await client.send(new DescribeStreamCommand({ StreamName: name }));
    if (described.StreamDescription?.StreamStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`stream ${name} did not become ACTIVE`);
}

/** Puts the entries in order (one PutRecords call per 500) and checks none failed. */
export async function putAll(
  client: KinesisClient,
  stream: string,
  entries: readonly PutEntry[],
): Promise<void> {
  for (let i = 0; i < entries.length; i += 500) {
    const response = await client.send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: entries
          .slice(i, i + 500)
          .map((entry) =>
            'heartbeat' in entry
              ? { PartitionKey: HEARTBEAT_PARTITION_KEY, Data: heartbeatRecordData(1) }
              : { PartitionKey: entry.partitionKey, Data: payloadBytes(entry.data) },
          ),
      }),
    );
    if (response.FailedRecordCount) throw new Error(`${response.FailedRecordCount} records failed`);
  }
}

/** Every record of a shard, from TRIM_HORIZON to the tip, as GetRecords returns them. */
export async function readWholeShard(
  client: KinesisClient,
  stream: string,
  shardId: string,
): Promise<_Record[]> {
  const { ShardIterator } = await client.send(
    new GetShardIteratorCommand({ StreamName: stream, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }),
  );
  const records: _Record[] = [];
  let iterator = ShardIterator;
  while (iterator !== undefined) {
    const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator }));
    records.push(...(page.Records ?? []));
    if ((page.Records ?? []).length === 0 && page.MillisBehindLatest === 0) break;
    iterator = page.NextShardIterator;
  }
  return records;
}

/** Splits a shard at the middle of its hash range (the parent closes) and waits until ACTIVE. */
export async function splitShard(client: KinesisClient, stream: string, shardId: string): Promise<void> {
  const described = await client.send(new DescribeStreamCommand({ StreamName: stream }));
  const shard = described.StreamDescription!.Shards!.find((s) => s.ShardId === shardId)!;
  const low = BigInt(shard.HashKeyRange!.StartingHashKey!);
  const high = BigInt(shard.HashKeyRange!.EndingHashKey!);
  await client.send(
    new SplitShardCommand({
      StreamName: stream,
      ShardToSplit: shardId,
      NewStartingHashKey: ((low + high) / 2n).toString(),
    }),
  );
  await waitActive(client, stream);
}

/** Merges two adjacent shards (both close) and waits until the stream is ACTIVE again. */
export async function mergeShards(
  client: KinesisClient,
  stream: string,
  shard: string,
  adjacent: string,
): Promise<void> {
  await client.send(
    new MergeShardsCommand({ StreamName: stream, ShardToMerge: shard, AdjacentShardToMerge: adjacent }),
  );
  await waitActive(client, stream);
}
