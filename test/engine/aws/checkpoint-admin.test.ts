import type { _Record } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../../engine/aws/clients.js';
import { resetWatermark, skipThrough } from '../../../engine/aws/dynamodb/checkpoint-admin.js';
import { createStateTable, DynamoDbCheckpointStore } from '../../../engine/aws/dynamodb/index.js';
import { kinesisHandler } from '../../../engine/aws/lambda/kinesis-handler.js';
import { S3OutputReader } from '../../../engine/aws/s3/index.js';
import { readStream } from '../../../engine/index.js';
import { type PageView, pageViewSchema, pageViewsQuery } from '../../../functions/queries/page-views.js';
import { type Emulators, startEmulators } from '../../../local/emulators/index.js';
import { kinesisEvent } from '../../support/kinesis-events.js';
import { createOneShardStream, putAll, readWholeShard } from '../../support/kinesis-stream.js';

// Operator repairs of a shard's checkpoint (engine/aws/dynamodb/checkpoint-admin.ts), driven
// through the real handler on the emulators: what the repair changes is what the next batches do.

let emulators: Emulators;
let clients: AwsClients;
const tableName = 'sluice';
const bucket = 'outputs';
const shard = 'shardId-000000000000';
const minute = 60_000;

beforeAll(async () => {
  emulators = await startEmulators();
  clients = {
    dynamodb: emulators.clients.documents,
    s3: emulators.clients.s3,
    kinesis: emulators.clients.kinesis,
  };
  await createStateTable(emulators.clients.dynamodb, tableName);
  await emulators.clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(async () => {
  await emulators?.stop();
});

const context = { getRemainingTimeInMillis: () => 60_000 } as Context;
const admin = (query: string) => ({ client: clients.dynamodb, tableName, query, nowMs: () => 1_234 });

async function streamOf(name: string, views: readonly PageView[]): Promise<_Record[]> {
  await createOneShardStream(emulators.clients.kinesis, name);
  await putAll(
    emulators.clients.kinesis,
    name,
    views.map((view) => ({ data: view, partitionKey: view.page })),
  );
  return readWholeShard(emulators.clients.kinesis, name, shard);
}

async function checkpointItem(query: string): Promise<Record<string, any>> {
  const response = await clients.dynamodb.send(
    new GetCommand({ TableName: tableName, Key: { pk: `C#${query}`, sk: shard }, ConsistentRead: true }),
  );
  return response.Item!;
}

describe('resetWatermark', () => {
  it('lets rows a far-future event time made late count again, and records the repair', async () => {
    const stream = 'reset-watermark';
    const views: PageView[] = [
      { page: '/a', user: 'u1', ts: 0.5 * minute },
      { page: '/a', user: 'jump', ts: 1_000 * minute }, // a bad clock: watermark → 990 minutes
      { page: '/a', user: 'u2', ts: 2.2 * minute }, // late at 990 minutes: dropped
      { page: '/a', user: 'u3', ts: 2.5 * minute }, // after the reset to 1 minute: counted
      { page: '/a', user: 'closer', ts: 30 * minute }, // watermark → 20 minutes
      { page: '/a', user: 'tick', ts: 31 * minute }, // a batch that runs at 20 minutes: emits [2, 3)
    ];
    const records = await streamOf(stream, views);
    const handler = kinesisHandler(pageViewsQuery, { clients, tableName, bucket, prefix: 'reset' });
    const invoke = async (from: number, to: number) =>
      expect(
        (
          await handler(
            kinesisEvent(records.slice(from, to), { streamName: stream, shardId: shard }),
            context,
          )
        ).batchItemFailures,
      ).toEqual([]);
    await invoke(0, 2);
    await invoke(2, 3);
    expect((await checkpointItem('page-views')).committed.watermark.globalMs).toBe(990 * minute);

    await expect(resetWatermark(admin('page-views'), shard, 995 * minute)).rejects.toMatchObject({
      code: 'SLUICE_CHECKPOINT_REPAIR_NOT_LOWER',
    });
    const repair = await resetWatermark(admin('page-views'), shard, minute);
    expect(repair).toMatchObject({
      action: 'reset-watermark',
      before: { watermarkMs: 990 * minute },
      after: { watermarkMs: minute },
      atMs: 1_234,
    });
    const item = await checkpointItem('page-views');
    expect(item.committed.watermark).toEqual({ globalMs: minute, operatorsMs: { 'watermark-0': minute } });
    expect(item.committed.batchWatermarkMs).toBe(minute);
    expect(item.lastRepair).toEqual(repair);

    await invoke(3, 5);
    await invoke(5, 6);
    const reader = new S3OutputReader({ client: clients.s3, bucket, prefix: 'reset', query: 'page-views' });
    const counts = new Map(
      (await reader.readRows()).map((row) => [
        (row.window as { start: number }).start / minute,
        Number(row.views),
      ]),
    );
    // [0, 1) was emitted by the jump; u2 stayed dropped; u3 counts in [2, 3) after the reset.
    expect(counts).toEqual(
      new Map([
        [0, 1],
        [2, 1],
      ]),
    );
  });

  it('refuses a shard without a checkpoint or without a commit', async () => {
    await expect(resetWatermark(admin('nobody'), shard, 0)).rejects.toMatchObject({
      code: 'SLUICE_CHECKPOINT_REPAIR_NO_CHECKPOINT',
    });
    const store = new DynamoDbCheckpointStore({
      client: clients.dynamodb,
      tableName,
      query: 'fresh',
      partition: shard,
    });
    await store.initialize('fp');
    await expect(resetWatermark(admin('fresh'), shard, 0)).rejects.toMatchObject({
      code: 'SLUICE_CHECKPOINT_REPAIR_NOTHING_COMMITTED',
    });
  });
});

describe('skipThrough', () => {
  const passThrough = readStream<PageView>('events', {
    eventTime: 'ts',
    schema: pageViewSchema,
    partitionKey: 'page',
  })
    .writeStream.queryName('skip-test')
    .outputMode('append')
    .format('json')
    .build();

  it('makes the handler pass over the skipped range, even when Lambda redelivers it', async () => {
    const stream = 'skip-range';
    const views = Array.from({ length: 6 }, (_, i) => ({ page: '/p', user: `u${i}`, ts: i * 1000 }));
    const records = await streamOf(stream, views);
    const handler = kinesisHandler(passThrough, {
      clients,
      tableName,
      bucket,
      prefix: 'skip',
      singleShard: true,
    });
    const event = (from: number, to: number) =>
      kinesisEvent(records.slice(from, to), { streamName: stream, shardId: shard });
    expect((await handler(event(0, 2), context)).batchItemFailures).toEqual([]);

    await expect(skipThrough(admin('skip-test'), shard, records[1]!.SequenceNumber!)).rejects.toMatchObject({
      code: 'SLUICE_CHECKPOINT_REPAIR_NOT_AHEAD',
    });
    await expect(skipThrough(admin('skip-test'), shard, 'abc')).rejects.toMatchObject({
      code: 'SLUICE_CHECKPOINT_REPAIR_BAD_SEQUENCE',
    });
    const repair = await skipThrough(admin('skip-test'), shard, records[3]!.SequenceNumber!);
    expect(repair).toMatchObject({
      action: 'skip',
      before: { seq: records[1]!.SequenceNumber },
      after: { seq: records[3]!.SequenceNumber },
    });
    // Lambda's own iterator is still at record 2: it delivers 2..5; only 4 and 5 are processed.
    expect((await handler(event(2, 6), context)).batchItemFailures).toEqual([]);
    const reader = new S3OutputReader({ client: clients.s3, bucket, prefix: 'skip', query: 'skip-test' });
    expect((await reader.readRows()).map((row) => row.user).sort()).toEqual(['u0', 'u1', 'u4', 'u5']);
    expect((await checkpointItem('skip-test')).committed.endOffsets.kinesis.seq).toBe(
      records[5]!.SequenceNumber,
    );
  });

  it('refuses under a pending batch unless forced; forced, it drops the pending batch', async () => {
    const query = 'stuck';
    const store = new DynamoDbCheckpointStore({
      client: clients.dynamodb,
      tableName,
      query,
      partition: shard,
    });
    await store.initialize('fp');
    const batchId = await store.nextBatchId();
    await store.plan({
      batchId,
      startOffsets: {},
      endOffsets: { kinesis: { seq: '200', count: 3, first: '100' } },
      batchTimestampMs: 5,
      watermarkForLateEventsMs: 0,
      watermarkForEvictionMs: 0,
      isFirstBatch: true,
      isNoDataBatch: false,
    });
    await expect(skipThrough(admin(query), shard, '200')).rejects.toThrow(
      /batch 0 pending .* pass --force to repair anyway/,
    );
    const repair = await skipThrough(admin(query), shard, '200', { force: true });
    expect(repair).toMatchObject({ committedBatchId: null, droppedPendingBatchId: batchId });
    const item = await checkpointItem(query);
    expect(item.pending).toBeUndefined();
    expect(item.committed).toMatchObject({ batchId: -1, endOffsets: { kinesis: { seq: '200', count: 0 } } });
    // The handler's own store plans the next batch on top of the repaired commit.
    const next = new DynamoDbCheckpointStore({
      client: clients.dynamodb,
      tableName,
      query,
      partition: shard,
    });
    expect((await next.load())?.committed?.batchId).toBe(-1);
    await next.plan({
      batchId: await next.nextBatchId(),
      startOffsets: item.committed.endOffsets,
      endOffsets: { kinesis: { seq: '300', count: 1, first: '300' } },
      batchTimestampMs: 6,
      watermarkForLateEventsMs: 0,
      watermarkForEvictionMs: 0,
      isFirstBatch: false,
      isNoDataBatch: false,
    });
  });
});
