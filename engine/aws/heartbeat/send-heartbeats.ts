import {
  type KinesisClient,
  ListShardsCommand,
  type ListShardsCommandOutput,
  PutRecordsCommand,
  type PutRecordsRequestEntry,
} from '@aws-sdk/client-kinesis';
import { type DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { TABLE_LAYOUT } from '../dynamodb/table-layout.js';
import { HEARTBEAT_PARTITION_KEY, heartbeatRecordData } from '../kinesis/heartbeat.js';
import { HeartbeatPutError, HeartbeatRequestError } from './errors.js';
import { type OpenShard, quietShards } from './quiet-shards.js';

/** PutRecords takes at most this many records per call. */
const PUT_RECORDS_LIMIT = 500;

export interface SendHeartbeatsOptions {
  readonly kinesis: KinesisClient;
  readonly documents: DynamoDBDocumentClient;
  readonly streamName: string;
  readonly tableName: string;
  readonly query: string;
  /** A shard with no committed batch in this many ms is quiet (the tick's period). */
  readonly quietMs: number;
  /** The tick's time; also written into the heartbeat payload. */
  readonly nowMs: number;
}

/** What one tick saw and did, for the function's log line. */
export interface HeartbeatTick {
  /** Open shards of the stream (closed parents after a reshard are skipped). */
  readonly openShards: readonly string[];
  /** Shards that were quiet and got one heartbeat record each. */
  readonly heartbeats: readonly string[];
}

/**
 * One tick of the heartbeat ticker: put a heartbeat record into every open shard of the query's
 * stream that committed no batch in the last `quietMs`, so that shard's function runs and can do a
 * due no-data batch (close windows, fire processing-time timeouts).
 *
 * It never invokes the query function itself: the event source mapping stays the only caller, so
 * there is still one writer per shard. The record uses the reserved partition key
 * {@link HEARTBEAT_PARTITION_KEY} (the edge never treats it as input) and the shard's starting hash
 * key as `ExplicitHashKey` (so it lands in that shard). Quietness is read from the checkpoint items
 * (`pk = C#<query>`, `sk` = shard id, `committed.batchTimestampMs`), consistently.
 *
 * @throws {@link HeartbeatPutError} when Kinesis refuses some records (the next tick retries)
 * @throws {@link HeartbeatRequestError} when listing shards or reading checkpoints fails
 */
export async function sendHeartbeats(options: SendHeartbeatsOptions): Promise<HeartbeatTick> {
  const [shards, lastCommits] = await Promise.all([
    listOpenShards(options.kinesis, options.streamName),
    readLastCommits(options.documents, options.tableName, options.query),
  ]);
  const quiet = quietShards(shards, lastCommits, options.nowMs, options.quietMs);
  await putHeartbeats(options.kinesis, options.streamName, quiet, options.nowMs);
  return { openShards: shards.map((s) => s.shardId), heartbeats: quiet.map((s) => s.shardId) };
}

/** Open shards only: a closed shard (one with an ending sequence number) takes no more records. */
async function listOpenShards(kinesis: KinesisClient, streamName: string): Promise<OpenShard[]> {
  const shards: OpenShard[] = [];
  let nextToken: string | undefined;
  do {
    const page: ListShardsCommandOutput = await request('ListShards', () =>
      kinesis.send(
        new ListShardsCommand(
          nextToken === undefined ? { StreamName: streamName } : { NextToken: nextToken },
        ),
      ),
    );
    for (const shard of page.Shards ?? []) {
      // Presence, not value: kinesis-mock reports Long.MaxValue for closed shards.
      if (shard.SequenceNumberRange?.EndingSequenceNumber !== undefined) continue;
      if (shard.ShardId === undefined || shard.HashKeyRange?.StartingHashKey === undefined) continue;
      shards.push({ shardId: shard.ShardId, startingHashKey: shard.HashKeyRange.StartingHashKey });
    }
    nextToken = page.NextToken;
  } while (nextToken !== undefined);
  return shards;
}

/** `committed.batchTimestampMs` per shard id, from the query's checkpoint items (strongly consistent). */
async function readLastCommits(
  documents: DynamoDBDocumentClient,
  tableName: string,
  query: string,
): Promise<Map<string, number>> {
  const lastCommits = new Map<string, number>();
  const pages = paginateQuery(
    { client: documents },
    {
      TableName: tableName,
      KeyConditionExpression: '#pk = :pk',
      ProjectionExpression: '#sk, #committed.#ts',
      ExpressionAttributeNames: {
        '#pk': TABLE_LAYOUT.partitionKey,
        '#sk': TABLE_LAYOUT.sortKey,
        '#committed': 'committed',
        '#ts': 'batchTimestampMs',
      },
      ExpressionAttributeValues: { ':pk': `C#${query}` },
      ConsistentRead: true,
    },
  );
  try {
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const timestamp = item.committed?.batchTimestampMs;
        if (typeof timestamp === 'number') lastCommits.set(String(item[TABLE_LAYOUT.sortKey]), timestamp);
      }
    }
  } catch (error) {
    throw new HeartbeatRequestError('Query(checkpoints)', error);
  }
  return lastCommits;
}

async function putHeartbeats(
  kinesis: KinesisClient,
  streamName: string,
  shards: readonly OpenShard[],
  nowMs: number,
): Promise<void> {
  const failures: { shardId: string; errorCode: string }[] = [];
  for (let start = 0; start < shards.length; start += PUT_RECORDS_LIMIT) {
    const chunk = shards.slice(start, start + PUT_RECORDS_LIMIT);
    const records: PutRecordsRequestEntry[] = chunk.map((shard) => ({
      PartitionKey: HEARTBEAT_PARTITION_KEY,
      ExplicitHashKey: shard.startingHashKey,
      Data: heartbeatRecordData(nowMs),
    }));
    const response = await request('PutRecords', () =>
      kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: records })),
    );
    (response.Records ?? []).forEach((result, i) => {
      if (result.ErrorCode !== undefined)
        failures.push({ shardId: chunk[i]!.shardId, errorCode: result.ErrorCode });
    });
  }
  if (failures.length > 0) throw new HeartbeatPutError(streamName, failures);
}

async function request<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new HeartbeatRequestError(operation, error);
  }
}
