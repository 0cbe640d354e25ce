import { CreateBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../../../engine/aws/clients.js';
import { createStateTable } from '../../../../engine/aws/dynamodb/index.js';
import { kinesisHandler } from '../../../../engine/aws/lambda/kinesis-handler.js';
import { S3OutputReader, S3ProgressWriter } from '../../../../engine/aws/s3/index.js';
import type { QueryDefinition } from '../../../../engine/index.js';
import type { BatchPhase } from '../../../../engine/runtime/batch-runner.js';
import { ordersQuery } from '../../../../functions/queries/orders.js';
import { pageViewsQuery } from '../../../../functions/queries/page-views.js';
import { type Emulators, startEmulators } from '../../../../local/emulators/index.js';
import { kinesisEvent } from '../../../support/kinesis-events.js';
import {
  createOneShardStream,
  type PutEntry,
  putAll,
  readWholeShard,
} from '../../../support/kinesis-stream.js';

/**
 * The late-rows side output through the real handler on the emulators: rows the watermark drops
 * land under `PREFIX/QUERY/_late/` with the operator and the watermark, listed in the batch's
 * manifest, exactly once — also when the batch is replayed after a crash and redelivered.
 */
let emulators: Emulators;
let clients: AwsClients;
const tableName = 'sluice';
const bucket = 'late';
const shardId = 'shardId-000000000000';
const minute = 60_000;
/** Recent event times: Kinesis stamps arrival with the real clock, and far-future times are dead letters. */
const base = Math.floor((Date.now() - 3 * 3600_000) / 3600_000) * 3600_000;
const context = { getRemainingTimeInMillis: () => 60_000 } as Context;

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

const view = (page: string, user: string, ts: number): PutEntry => ({
  data: { page, user, ts },
  partitionKey: page,
});

async function lateKeys(prefix: string): Promise<string[]> {
  const listed = await clients.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/` }));
  return (listed.Contents ?? []).map((object) => object.Key!).filter((key) => key.includes('/_late/'));
}

/** A stream with the invocations' records; a handler that crashes once after `crashAfter` in the batch holding `crashOn`. */
async function setUp(
  name: string,
  query: QueryDefinition,
  invocations: PutEntry[][],
  options: { lateRows?: boolean; table?: string } = {},
) {
  const lateRows = options.lateRows;
  await createOneShardStream(emulators.clients.kinesis, name);
  await putAll(emulators.clients.kinesis, name, invocations.flat());
  const records = await readWholeShard(emulators.clients.kinesis, name, shardId);
  let crash: { phase: BatchPhase; batchId: number } | undefined;
  const handler = kinesisHandler(query, {
    clients,
    tableName: options.table ?? tableName,
    bucket,
    prefix: name,
    ...(lateRows === undefined ? {} : { lateRows }),
    hook: (phase, batch) => {
      if (crash !== undefined && crash.phase === phase && crash.batchId === batch.batchId) {
        crash = undefined;
        throw new Error(`crash after ${phase}`);
      }
    },
  });
  const events: ReturnType<typeof kinesisEvent>[] = [];
  let offset = 0;
  for (const entries of invocations) {
    events.push(kinesisEvent(records.slice(offset, offset + entries.length), { streamName: name, shardId }));
    offset += entries.length;
  }
  return {
    handler,
    events,
    crashOnce: (phase: BatchPhase, batchId: number) => {
      crash = { phase, batchId };
    },
    reader: new S3OutputReader({ client: clients.s3, bucket, prefix: name, query: query.name }),
  };
}

describe('late rows under _late/ through the handler', () => {
  it('page-views: a late view is written once with its operator and watermark, also after a crash and a redelivery', async () => {
    const name = 'late-page-views';
    const invocations = [
      [view('/a', 'u1', base + 20 * minute), view('/b', 'u2', base + 20 * minute)], // watermark → +10 min
      [view('/a', 'late', base + minute + 5_000), view('/b', 'on-time', base + 15 * minute)],
    ];
    const { handler, events, crashOnce, reader } = await setUp(name, pageViewsQuery, invocations);
    expect((await handler(events[0]!, context)).batchItemFailures).toEqual([]);
    // The first invocation ran batch 0 and the no-data batch 1 the watermark called for.
    expect((await reader.manifests()).map((m) => m.batchId)).toEqual([0, 1]);
    expect(await lateKeys(name)).toEqual([]);

    // Batch 2 writes its outputs and late rows, then the invocation crashes before committing.
    crashOnce('addBatch', 2);
    const failed = await handler(events[1]!, context);
    expect(failed.batchItemFailures).toHaveLength(1);
    expect(await lateKeys(name)).toEqual([`${name}/page-views/_late/00000000000000000002-${shardId}.jsonl`]);
    // Lambda redelivers: the pending batch is replayed exactly and commits; then a duplicate delivery.
    expect((await handler(events[1]!, context)).batchItemFailures).toEqual([]);
    expect((await handler(events[1]!, context)).batchItemFailures).toEqual([]);

    expect(await lateKeys(name)).toEqual([`${name}/page-views/_late/00000000000000000002-${shardId}.jsonl`]);
    const late = await reader.readLateRows();
    expect(late).toEqual([
      {
        batchId: 2,
        shard: shardId,
        operator: 'aggregate-0',
        eventTimeMs: base + 2 * minute, // the end of its 1-minute window
        watermarkMs: base + 10 * minute,
        row: { page: '/a', user: 'late', ts: base + minute + 5_000 },
      },
    ]);
    const manifest = (await reader.manifests()).find((m) => m.batchId === 2)!;
    expect(manifest.lateRows).toEqual({ key: `_late/00000000000000000002-${shardId}.jsonl`, count: 1 });
    expect((await reader.manifests()).filter((m) => m.lateRows !== null)).toHaveLength(1);
  });

  it('orders (foreachBatch, dedup): the late order is in _late/; with lateRows off only the counter knows', async () => {
    const order = (orderId: string, ts: number): PutEntry => ({
      data: { orderId, customer: 'c', amount: 5, ts },
      partitionKey: orderId,
    });
    const invocations = [
      [order('o1', base + 3 * 3600_000 - minute)],
      [order('o2', base), order('o3', base + 3 * 3600_000)],
    ];
    const on = await setUp('late-orders', ordersQuery, invocations);
    for (const event of on.events) expect((await on.handler(event, context)).batchItemFailures).toEqual([]);
    const late = await on.reader.readLateRows();
    expect(late.map((row) => [row.operator, row.row.orderId, row.eventTimeMs, row.watermarkMs])).toEqual([
      ['dedup-0', 'o2', base, base + 2 * 3600_000 - minute],
    ]);

    // Its own table: the run above holds this query's checkpoint of the shard.
    await createStateTable(emulators.clients.dynamodb, 'sluice-off');
    const off = await setUp('late-orders-off', ordersQuery, invocations, {
      lateRows: false,
      table: 'sluice-off',
    });
    for (const event of off.events) expect((await off.handler(event, context)).batchItemFailures).toEqual([]);
    expect(await off.reader.readLateRows()).toEqual([]);
    expect(await lateKeys('late-orders-off')).toEqual([]);
    expect((await off.reader.manifests()).every((m) => m.lateRows === null)).toBe(true);
    const progress = new S3ProgressWriter({
      client: clients.s3,
      bucket,
      prefix: 'late-orders-off',
      query: 'orders',
    });
    let dropped = 0;
    for (const id of await progress.batchIds(shardId))
      dropped += (await progress.read(shardId, id)).stateOperators[0]!.numLateInputRows;
    expect(dropped).toBe(1);
  });
});
