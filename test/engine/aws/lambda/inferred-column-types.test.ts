import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { parquetMetadata } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AwsClients } from '../../../../engine/aws/clients.js';
import { createStateTable } from '../../../../engine/aws/dynamodb/index.js';
import { kinesisHandler } from '../../../../engine/aws/lambda/kinesis-handler.js';
import { QueryObjects, S3OutputReader, tableColumns } from '../../../../engine/aws/s3/index.js';
import { readStream } from '../../../../engine/index.js';
import { type Emulators, startEmulators } from '../../../../local/emulators/index.js';
import { kinesisEvent } from '../../../support/kinesis-events.js';
import { createOneShardStream, putAll, readWholeShard } from '../../../support/kinesis-stream.js';

// The handler fixes the file sink's column types from the query's inferred output schema, so every
// batch writes the same Parquet types: a `z.number()` column is DOUBLE even in a batch whose values
// all happen to be whole numbers (per-batch inference would make that batch INT64, the next DOUBLE).

let emulators: Emulators;
let clients: AwsClients;
const tableName = 'sluice';
const bucket = 'typed';
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

const orderSchema = z.object({ id: z.string(), amount: z.number(), items: z.number().int(), ts: z.number() });
const query = readStream('orders', { eventTime: 'ts', schema: orderSchema })
  .selectExpr('id', 'amount', 'items', 'ts', 'amount * items AS total', 'items > 1 AS bulk')
  .writeStream.queryName('typed-orders')
  .outputMode('append')
  .format('parquet')
  .build();

describe('kinesisHandler writes the inferred column types', () => {
  it('every batch has the schema the plan infers, in the manifest and in the Parquet file', async () => {
    const expected = tableColumns(query).columns.map((c) => ({ name: c.name, type: c.columnType }));
    expect(expected).toEqual([
      { name: 'id', type: 'string' },
      { name: 'amount', type: 'double' },
      { name: 'items', type: 'int64' },
      { name: 'ts', type: 'timestamp' },
      { name: 'total', type: 'double' },
      { name: 'bulk', type: 'boolean' },
    ]);
    const handler = kinesisHandler(query, { clients, tableName, bucket, prefix: 'p', singleShard: true });
    const batches = [
      [
        { id: 'a', amount: 10, items: 1, ts: 1_000 },
        { id: 'b', amount: 20, items: 2, ts: 2_000 },
      ],
      [{ id: 'c', amount: 2.5, items: 4, ts: 3_000 }],
    ];
    await createOneShardStream(emulators.clients.kinesis, 'orders');
    await putAll(
      emulators.clients.kinesis,
      'orders',
      batches.flat().map((row) => ({ data: row, partitionKey: row.id })),
    );
    const records = await readWholeShard(emulators.clients.kinesis, 'orders', 'shardId-000000000000');
    let offset = 0;
    for (const rows of batches) {
      const event = kinesisEvent(records.slice(offset, offset + rows.length), { streamName: 'orders' });
      offset += rows.length;
      expect((await handler(event, context)).batchItemFailures).toEqual([]);
    }

    const reader = new S3OutputReader({ client: clients.s3, bucket, prefix: 'p', query: 'typed-orders' });
    const manifests = await reader.manifests();
    const objects = QueryObjects.at({ client: clients.s3, bucket, prefix: 'p', query: 'typed-orders' });
    expect(manifests).toHaveLength(2);
    for (const manifest of manifests) {
      expect(manifest.columns).toEqual(expected);
      const bytes = await objects.get(manifest.files[0]!.key);
      const schema = parquetMetadata(
        bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
      ).schema;
      const physical = Object.fromEntries(schema.slice(1).map((element) => [element.name, element.type]));
      expect(physical).toEqual({
        id: 'BYTE_ARRAY',
        amount: 'DOUBLE',
        items: 'INT64',
        ts: 'INT64',
        total: 'DOUBLE',
        bulk: 'BOOLEAN',
      });
    }
    expect((await reader.readRows()).map((row) => [row.id, row.amount, row.total, row.bulk])).toEqual([
      ['a', 10, 10, false],
      ['b', 20, 40, true],
      ['c', 2.5, 10, true],
    ]);
  });
});
