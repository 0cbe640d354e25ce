import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type Shard,
  SplitShardCommand,
} from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbCheckpointStore } from '../../../../engine/aws/dynamodb/dynamodb-checkpoint-store.js';
import { createStateTable } from '../../../../engine/aws/dynamodb/table-layout.js';
import { sendHeartbeats } from '../../../../engine/aws/heartbeat/index.js';
import { HEARTBEAT_PARTITION_KEY } from '../../../../engine/aws/kinesis/heartbeat.js';
import { type Emulators, startEmulators } from '../../../../local/emulators/index.js';

const QUIET_MS = 60_000;
const NOW = 1_800_000_000_000;

/** A name no other test uses. */
const unique = (prefix: string) =>
  `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

describe('sendHeartbeats on kinesalite and dynalite', () => {
  let aws: Emulators;
  let table: string;

  beforeAll(async () => {
    aws = await startEmulators({ backend: 'emulators' });
    table = unique('state');
    await createStateTable(aws.clients.dynamodb, table);
  });
  afterAll(() => aws?.stop());

  async function createStream(shards: number): Promise<{ name: string; shards: Shard[] }> {
    const name = unique('stream');
    await aws.clients.kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
    await waitActive(name);
    return { name, shards: await listShards(name) };
  }

  async function waitActive(name: string): Promise<void> {
    for (;;) {
      const { StreamDescriptionSummary } = await aws.clients.kinesis.send(
        new DescribeStreamSummaryCommand({ StreamName: name }),
      );
      if (StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
      await sleep(10);
    }
  }

  async function listShards(name: string): Promise<Shard[]> {
    const { Shards = [] } = await aws.clients.kinesis.send(new ListShardsCommand({ StreamName: name }));
    return Shards;
  }

  /** Every record in one shard, as partition key and decoded payload. */
  async function readShard(
    stream: string,
    shardId: string,
  ): Promise<{ partitionKey: string; data: unknown }[]> {
    const records: { partitionKey: string; data: unknown }[] = [];
    let { ShardIterator } = await aws.clients.kinesis.send(
      new GetShardIteratorCommand({
        StreamName: stream,
        ShardId: shardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    while (ShardIterator) {
      const page = await aws.clients.kinesis.send(new GetRecordsCommand({ ShardIterator }));
      for (const record of page.Records ?? []) {
        records.push({
          partitionKey: record.PartitionKey ?? '',
          data: JSON.parse(Buffer.from(record.Data ?? []).toString('utf8')),
        });
      }
      if ((page.Records ?? []).length === 0) break;
      ShardIterator = page.NextShardIterator;
    }
    return records;
  }

  /** Commits one batch for (query, shard) through the engine's own checkpoint store. */
  async function commitBatch(query: string, shardId: string, batchTimestampMs: number): Promise<void> {
    const store = new DynamoDbCheckpointStore({
      client: aws.clients.documents,
      tableName: table,
      query,
      partition: shardId,
    });
    await store.initialize('fingerprint');
    const batchId = await store.nextBatchId();
    await store.plan({
      batchId,
      startOffsets: {},
      endOffsets: {},
      batchTimestampMs,
      watermarkForLateEventsMs: 0,
      watermarkForEvictionMs: 0,
      isFirstBatch: true,
      isNoDataBatch: false,
    });
    await store.commit({
      batchId,
      endOffsets: {},
      batchTimestampMs,
      batchWatermarkMs: 0,
      watermark: { globalMs: 0, operatorsMs: {} },
      stateRows: {},
    });
  }

  function tick(stream: string, query: string) {
    return sendHeartbeats({
      kinesis: aws.clients.kinesis,
      documents: aws.clients.documents,
      streamName: stream,
      tableName: table,
      query,
      quietMs: QUIET_MS,
      nowMs: NOW,
    });
  }

  it('puts exactly one heartbeat, into the shard without a recent commit', async () => {
    const query = unique('q');
    const stream = await createStream(2);
    const [busy, quiet] = stream.shards.map((s) => s.ShardId!) as [string, string];
    await commitBatch(query, busy, NOW - 1_000);

    const result = await tick(stream.name, query);

    expect(result.openShards).toEqual([busy, quiet]);
    expect(result.heartbeats).toEqual([quiet]);
    expect(await readShard(stream.name, busy)).toEqual([]);
    expect(await readShard(stream.name, quiet)).toEqual([
      { partitionKey: HEARTBEAT_PARTITION_KEY, data: { sluice: 'heartbeat', v: 1, sentAt: NOW } },
    ]);
  });

  it('counts a shard whose last commit is one tick old as quiet, and ignores other queries', async () => {
    const query = unique('q');
    const stream = await createStream(2);
    const [stale, other] = stream.shards.map((s) => s.ShardId!) as [string, string];
    await commitBatch(query, stale, NOW - QUIET_MS);
    // A recent commit by another query on the same shard id must not hide this query's quiet shard.
    await commitBatch(unique('other'), other, NOW);

    const result = await tick(stream.name, query);

    expect(result.heartbeats).toEqual([stale, other]);
    for (const shardId of [stale, other]) {
      expect((await readShard(stream.name, shardId)).map((r) => r.partitionKey)).toEqual([
        HEARTBEAT_PARTITION_KEY,
      ]);
    }
  });

  it('skips closed shards after a split: heartbeats go to the open children only', async () => {
    const query = unique('q');
    const stream = await createStream(1);
    const parent = stream.shards[0]!;
    const middle = (BigInt(parent.HashKeyRange!.EndingHashKey!) + 1n) / 2n;
    await aws.clients.kinesis.send(
      new SplitShardCommand({
        StreamName: stream.name,
        ShardToSplit: parent.ShardId,
        NewStartingHashKey: middle.toString(),
      }),
    );
    await waitActive(stream.name);
    const children = (await listShards(stream.name)).filter((s) => s.ParentShardId === parent.ShardId);
    expect(children).toHaveLength(2);

    const result = await tick(stream.name, query);

    expect(result.openShards).toEqual(children.map((s) => s.ShardId));
    expect(result.heartbeats).toEqual(children.map((s) => s.ShardId));
    expect(await readShard(stream.name, parent.ShardId!)).toEqual([]);
    for (const child of children) expect(await readShard(stream.name, child.ShardId!)).toHaveLength(1);
  });
});
