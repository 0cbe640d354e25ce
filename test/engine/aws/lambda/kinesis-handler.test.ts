import type { _Record } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { Context, KinesisStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../../../engine/aws/clients.js';
import { createStateTable } from '../../../../engine/aws/dynamodb/index.js';
import { kinesisHandler } from '../../../../engine/aws/lambda/kinesis-handler.js';
import { S3OutputReader, S3ProgressWriter } from '../../../../engine/aws/s3/index.js';
import { count, readStream, window } from '../../../../engine/index.js';
import { pageViewsQuery } from '../../../../functions/queries/page-views.js';
import { type Emulators, startEmulators } from '../../../../local/emulators/index.js';
import { kinesisEvent } from '../../../support/kinesis-events.js';
import { createOneShardStream, putAll, readWholeShard } from '../../../support/kinesis-stream.js';

let emulators: Emulators;
let clients: AwsClients;
const tableName = 'sluice';
const bucket = 'outputs';
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

const context = (remainingMs = 60_000): Context =>
  ({ getRemainingTimeInMillis: () => remainingMs }) as Context;

interface View {
  page: string;
  user: string;
  ts: number;
}

/** Puts rows (and raw strings, as malformed records) on a fresh stream; returns the records as Kinesis holds them. */
async function streamOf(name: string, entries: ReadonlyArray<View | string>): Promise<_Record[]> {
  await createOneShardStream(emulators.clients.kinesis, name);
  await putAll(
    emulators.clients.kinesis,
    name,
    entries.map((entry) =>
      typeof entry === 'string'
        ? { data: entry, partitionKey: 'bad' }
        : { data: entry, partitionKey: entry.page },
    ),
  );
  return readWholeShard(emulators.clients.kinesis, name, 'shardId-000000000000');
}

const eventOf = (stream: string, records: readonly _Record[]): KinesisStreamEvent =>
  kinesisEvent(records, { streamName: stream, shardId: 'shardId-000000000000' });

/** The reference: counts per (minute window, page) of the rows that were not late when they arrived. */
function referenceCounts(
  invocations: ReadonlyArray<ReadonlyArray<View | string>>,
  delayMs: number,
): Map<string, number> {
  const counts = new Map<string, number>();
  let watermark = 0;
  for (const rows of invocations) {
    const views = rows.filter((row): row is View => typeof row !== 'string');
    for (const view of views) {
      const start = Math.floor(view.ts / minute) * minute;
      if (start + minute <= watermark) continue; // late: its window had closed
      const key = `${start}|${view.page}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    watermark = Math.max(watermark, Math.max(...views.map((view) => view.ts)) - delayMs);
  }
  return counts;
}

describe('kinesisHandler on the emulators', () => {
  it('runs the page-views query across invocations: append output equals the reference, bad records are dead letters', async () => {
    const stream = 'page-views-e2e';
    const invocations: Array<Array<View | string>> = [
      [
        { page: '/a', user: 'u1', ts: 0.5 * minute },
        { page: '/b', user: 'u2', ts: 1.5 * minute },
        '{"page": "/a", broken json',
        { page: '/a', user: 'u3', ts: 0.2 * minute },
      ],
      [
        { page: '/a', user: 'u4', ts: 1.9 * minute }, // out of order, on time
        { page: '/b', user: 'u5', ts: 14 * minute }, // moves the watermark to 4 minutes
        JSON.stringify({ page: '/b', user: 'u6' }), // no event time
      ],
      [
        { page: '/a', user: 'u7', ts: 0.9 * minute }, // late: window [0,1) closed at watermark 4
        { page: '/b', user: 'u8', ts: 12 * minute },
        { page: '/a', user: 'u9', ts: 60 * minute }, // flushes everything before 50 minutes
      ],
    ];
    const records = await streamOf(stream, invocations.flat());
    const handler = kinesisHandler(pageViewsQuery, { clients, tableName, bucket, prefix: 'e2e' });
    let offset = 0;
    for (const rows of invocations) {
      const response = await handler(eventOf(stream, records.slice(offset, offset + rows.length)), context());
      expect(response.batchItemFailures).toEqual([]);
      offset += rows.length;
    }

    const reader = new S3OutputReader({ client: clients.s3, bucket, prefix: 'e2e', query: 'page-views' });
    const rows = await reader.readRows();
    const actual = new Map(
      rows.map((row) => [`${(row.window as { start: number }).start}|${row.page}`, Number(row.views)]),
    );
    const expected = referenceCounts(invocations, 10 * minute);
    // The last window (60 min) is still open at watermark 50 minutes.
    expected.delete(`${60 * minute}|/a`);
    expect(actual).toEqual(expected);
    expect(rows.length).toBe(actual.size); // each window emitted once

    const dead = await reader.readDeadLetters();
    expect(dead.map((letter) => letter.reason).sort()).toEqual([
      expect.stringMatching(/^invalid event time in 'ts'/),
      expect.stringMatching(/^malformed JSON/),
    ]);
    expect(Buffer.from(dead.find((d) => d.reason.startsWith('malformed'))!.data!, 'base64').toString()).toBe(
      '{"page": "/a", broken json',
    );
  });

  it('skips records it already committed when an event is redelivered, and reports where to resume when time runs low', async () => {
    const stream = 'redelivery';
    const views: View[] = Array.from({ length: 6 }, (_, i) => ({
      page: `/p${i % 2}`,
      user: `u${i}`,
      ts: i * 1000,
    }));
    const records = await streamOf(stream, views);
    const query = readStream<View>('views', { eventTime: 'ts', partitionKey: 'page' })
      .groupBy('page')
      .agg({ n: count() })
      .writeStream.queryName('redelivery')
      .outputMode('update')
      .format('json')
      .build();
    const handler = kinesisHandler(query, { clients, tableName, bucket, prefix: 'redeliver' });

    expect((await handler(eventOf(stream, records.slice(0, 4)), context())).batchItemFailures).toEqual([]);
    // Redelivery of a superset: the first four are skipped, the last two form the next batch.
    expect((await handler(eventOf(stream, records), context())).batchItemFailures).toEqual([]);
    // With no time left nothing starts, and Lambda is told to resume at the first uncommitted record.
    const more = await streamOfMore(stream, [{ page: '/p0', user: 'late', ts: 7000 }]);
    const low = await handler(eventOf(stream, more), context(1000));
    expect(low.batchItemFailures).toEqual([{ itemIdentifier: more[0]!.SequenceNumber }]);

    const reader = new S3OutputReader({
      client: clients.s3,
      bucket,
      prefix: 'redeliver',
      query: 'redelivery',
    });
    const table = await reader.readRows({ view: 'table' });
    expect(table.map((row) => [row.page, row.n]).sort()).toEqual([
      ['/p0', 3],
      ['/p1', 3],
    ]);

    // Each batch's progress object carries its AWS request counts.
    const progressWriter = new S3ProgressWriter({
      client: clients.s3,
      bucket,
      prefix: 'redeliver',
      query: 'redelivery',
    });
    const ids = await progressWriter.batchIds('shardId-000000000000');
    expect(ids.length).toBe(2);
    const first = await progressWriter.read('shardId-000000000000', ids[0]!);
    expect(first?.numInputRows).toBe(4);
    // S3 state (the default): no per-key DynamoDB requests; one state object beside data + manifest.
    expect(first?.requests?.['DynamoDB.BatchGetItem']).toBeUndefined();
    expect(first?.requests?.['DynamoDB.BatchWriteItem']).toBeUndefined();
    expect(first?.requests?.['S3.PutObject']).toBe(3);
    const second = await progressWriter.read('shardId-000000000000', ids[1]!);
    expect(second?.requests?.['S3.GetObject'] ?? 0).toBe(0); // the warm container's state is reused
    expect(first?.stateBytes?.written).toBeGreaterThan(0);
    expect(second?.stateBytes?.read).toBe(0);
    expect(second?.stateBytes?.total).toBeGreaterThan(first!.stateBytes!.written);
  });

  it('refuses a stateful query whose stream declares no partition key', () => {
    const query = readStream<View>('views', { eventTime: 'ts' })
      .withWatermark('ts', '1 minute')
      .groupBy(window('ts', '1 minute'))
      .count()
      .writeStream.queryName('global')
      .build();
    expect(() => kinesisHandler(query, { clients, tableName, bucket, prefix: 'x' })).toThrow(
      /declare no partition key.*partitionKey/,
    );
  });
});

async function streamOfMore(stream: string, views: readonly View[]): Promise<_Record[]> {
  const before = (await readWholeShard(emulators.clients.kinesis, stream, 'shardId-000000000000')).length;
  await putAll(
    emulators.clients.kinesis,
    stream,
    views.map((view) => ({ data: view, partitionKey: view.page })),
  );
  return (await readWholeShard(emulators.clients.kinesis, stream, 'shardId-000000000000')).slice(before);
}
