import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { _Record } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../../../engine/aws/clients.js';
import { createStateTable } from '../../../../engine/aws/dynamodb/index.js';
import { HEARTBEAT_PARTITION_KEY } from '../../../../engine/aws/kinesis/index.js';
import { kinesisHandler } from '../../../../engine/aws/lambda/kinesis-handler.js';
import { S3OutputReader, S3ProgressWriter } from '../../../../engine/aws/s3/index.js';
import { type QueryDefinition, readStream } from '../../../../engine/index.js';
import { ordersQuery } from '../../../../functions/queries/orders.js';
import { pageViewsQuery } from '../../../../functions/queries/page-views.js';
import { sessionsQuery } from '../../../../functions/queries/sessions.js';
import {
  BATCH_FAILURES_METRIC,
  DEAD_LETTERS_METRIC,
  LATE_ROWS_METRIC,
  STALLED_INVOCATIONS_METRIC,
} from '../../../../infra/streaming-query/alarms.js';
import { type Emulators, startEmulators } from '../../../../local/emulators/index.js';
import { kinesisEvent } from '../../../support/kinesis-events.js';
import {
  createOneShardStream,
  type PutEntry,
  putAll,
  readWholeShard,
} from '../../../support/kinesis-stream.js';

/**
 * The poison corpus: records a hostile or careless producer could send, mixed with ordinary ones,
 * through the real handler on the emulators, for each shipped query and a schema-less one. Every
 * invocation must commit its whole event, and every data record must be accounted for:
 * rows out (or counted into output rows) + dead letters + late rows = records in, where late rows
 * are those the late-rows output wrote under `_late/` (as many as the progress records count).
 */
let emulators: Emulators;
let clients: AwsClients;
const tableName = 'sluice';
const bucket = 'poison';
const shardId = 'shardId-000000000000';
const minute = 60_000;
/** Recent event times: Kinesis stamps arrival with the real clock, and far-future times are poison. */
const base = Math.floor((Date.now() - 3 * 3600_000) / 3600_000) * 3600_000;

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

/** A JSON value nested `depth` levels deep. */
const nested = (depth: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { v: value };
  return value;
};
/** A legal Kinesis partition key (200 characters) whose JSON encoding passes DynamoDB's 1,024-byte sort key. */
const hugeKey = '\u0001'.repeat(200);
const YEAR_9999 = Date.UTC(9999, 0, 1);

/** Puts invocations' entries on a fresh stream, runs the handler once per invocation, checks each commits. */
async function run(
  name: string,
  query: QueryDefinition,
  invocations: ReadonlyArray<readonly PutEntry[]>,
  keyColumns?: readonly string[],
  /** The DynamoDB backend is the one with a key limit (its 1,024-byte sort key). */
  state?: 's3' | 'dynamodb',
): Promise<{ reader: S3OutputReader; lateRows: number; poisonFound: number }> {
  await createOneShardStream(emulators.clients.kinesis, name);
  await putAll(emulators.clients.kinesis, name, invocations.flat());
  const records = await readWholeShard(emulators.clients.kinesis, name, shardId);
  const errors: unknown[] = [];
  const logger = {
    info: () => undefined,
    warn: () => undefined,
    error: (_message: string, detail: { error: unknown }) => errors.push(detail.error),
  } as unknown as Logger;
  const handler = kinesisHandler(query, {
    clients,
    tableName,
    bucket,
    prefix: name,
    logger,
    ...(keyColumns === undefined ? {} : { keyColumns }),
    ...(state === undefined ? {} : { state }),
  });
  let offset = 0;
  for (const entries of invocations) {
    const slice: _Record[] = records.slice(offset, offset + entries.length);
    offset += entries.length;
    const response = await handler(kinesisEvent(slice, { streamName: name, shardId }), context);
    expect({ failures: response.batchItemFailures, errors }).toEqual({ failures: [], errors: [] }); // the shard keeps committing
  }
  const progress = new S3ProgressWriter({ client: clients.s3, bucket, prefix: name, query: query.name });
  let lateRows = 0;
  let poisonFound = 0;
  for (const id of await progress.batchIds(shardId)) {
    const record = await progress.read(shardId, id);
    lateRows += record.stateOperators.reduce((total, op) => total + op.numLateInputRows, 0);
    poisonFound += record.numDeadLetters;
  }
  const reader = new S3OutputReader({ client: clients.s3, bucket, prefix: name, query: query.name });
  // Every row the watermark dropped is in _late/ (the handler's default), as many as were counted.
  const late = await reader.readLateRows();
  expect(late).toHaveLength(lateRows);
  return { reader, lateRows: late.length, poisonFound };
}

const view = (page: string, user: string, ts: number): PutEntry => ({
  data: { page, user, ts },
  partitionKey: page,
});

describe('poison corpus through the handler on the emulators', () => {
  it('page-views: a grouping key past the sort-key limit, a far-future time, deep nesting and a heartbeat-key record cannot stop the shard', async () => {
    const good = (i: number) => view(`/p${i % 3}`, `u${i}`, base + i * 10_000);
    const invocations: PutEntry[][] = [
      [
        good(0),
        good(1),
        view(hugeKey, 'u-huge', base + 15_000), // poison: state key too long for DynamoDB
        good(2),
        view('/p0', 'u-future', YEAR_9999), // far future: a dead letter, not a watermark jump
        { data: { page: '/p1', user: 'u-deep', ts: base, extra: nested(200) }, partitionKey: '/p1' },
        { data: { page: '/p2', user: 'u-hb', ts: base + 1000 }, partitionKey: HEARTBEAT_PARTITION_KEY },
        good(3),
      ],
      [good(4), good(5), view('/p1', 'u-later', base + 30 * minute)],
      [view('/p0', 'u-late', base + 1000), view('/p2', 'u-end', base + 60 * minute)], // late, then flush
    ];
    const { reader, lateRows } = await run(
      'poison-page-views',
      pageViewsQuery,
      invocations,
      undefined,
      'dynamodb',
    );
    const rows = await reader.readRows();
    const dead = await reader.readDeadLetters();
    const viewsOut = rows.reduce((total, row) => total + Number(row.views), 0);
    const stillOpen = 1; // the last record's window is after the watermark
    expect(viewsOut + dead.length + lateRows + stillOpen).toBe(invocations.flat().length);
    expect(lateRows).toBe(1);
    expect(dead.map((letter) => letter.reason)).toEqual([
      expect.stringContaining('edge limit maxEventTimeAheadMs'),
      expect.stringContaining('edge limit maxNestingDepth'),
      expect.stringContaining('partition key mismatch'),
      expect.stringMatching(/^poison: SLUICE_STATE_LIMIT_EXCEEDED: state limit maxKeyBytes/),
    ]);
    // The poison record keeps its bytes and position, so it can be replayed after a fix.
    const poison = dead[3]!;
    expect(JSON.parse(Buffer.from(poison.data!, 'base64').toString('utf8'))).toMatchObject({
      user: 'u-huge',
    });
    expect(poison.partitionKey).toBe(hugeKey);
  });

  it('orders (dropDuplicatesWithinWatermark, foreachBatch): an order id past the sort-key limit is isolated', async () => {
    const order = (orderId: string, ts: number, amount = 5): PutEntry => ({
      data: { orderId, customer: 'c', amount, ts },
      partitionKey: orderId,
    });
    const invocations: PutEntry[][] = [
      [order('o1', base), order(hugeKey, base + 1000), order('o2', base + 2000), order('o3', YEAR_9999)],
      [order('o4', base + 3 * 3600_000)],
      [order('o5', base)], // late: more than an hour behind the watermark
    ];
    const { reader, lateRows } = await run('poison-orders', ordersQuery, invocations, undefined, 'dynamodb');
    const rowsOut = (await reader.readBatches()).reduce(
      (total, batch) => total + batch.manifest.totalRows,
      0,
    );
    const dead = await reader.readDeadLetters();
    expect(rowsOut).toBe(3); // o1, o2, o4
    expect(lateRows).toBe(1);
    expect(rowsOut + dead.length + lateRows).toBe(invocations.flat().length);
    expect(dead.map((letter) => letter.reason)).toEqual([
      expect.stringContaining('edge limit maxEventTimeAheadMs'),
      expect.stringMatching(/^poison: .*maxKeyBytes/),
    ]);
  });

  it("sessions (flatMapGroupsWithState): a crawler whose session state outgrows the per-group bound loses only the records that don't fit", async () => {
    const page = (i: number) => `/${String(i).repeat(60_000 / String(i).length)}`;
    const invocations: PutEntry[][] = [
      [
        { data: { page: '/a', user: 'human', ts: base }, partitionKey: 'human' },
        { data: { page: page(1), user: 'crawler', ts: base + 1000 }, partitionKey: 'crawler' },
        { data: { page: page(2), user: 'crawler', ts: base + 2000 }, partitionKey: 'crawler' },
        { data: { page: page(3), user: 'crawler', ts: base + 3000 }, partitionKey: 'crawler' }, // over 128 KiB
        { data: { page: '/b', user: 'human', ts: base + 4000 }, partitionKey: 'human' },
      ],
      [
        { data: { page: page(4), user: 'crawler', ts: base + 5000 }, partitionKey: 'crawler' }, // still over
        { data: { page: '/c', user: 'human', ts: base + 6000 }, partitionKey: 'human' },
      ],
    ];
    const { reader, lateRows } = await run('poison-sessions', sessionsQuery, invocations, ['user']);
    const table = await reader.readRows({ view: 'table' });
    const dead = await reader.readDeadLetters();
    const viewsOut = table.reduce((total, row) => total + Number(row.views), 0);
    expect(Object.fromEntries(table.map((row) => [row.user, row.views]))).toEqual({ human: 3, crawler: 2 });
    expect(viewsOut + dead.length + lateRows).toBe(invocations.flat().length);
    expect(dead.map((letter) => letter.reason)).toEqual([
      expect.stringMatching(/^poison: .*maxEntryBytes/),
      expect.stringMatching(/^poison: .*maxEntryBytes/),
    ]);
  });

  it('a schema-less query: a partition value too long for S3 keys, too many columns, deep nesting; a heartbeat-key record is data', async () => {
    const query = readStream<Record<string, unknown>>('raw', { eventTime: 'ts' })
      .writeStream.queryName('schemaless')
      .outputMode('append')
      .format('json')
      .partitionBy('tenant')
      .build();
    const event = (fields: Record<string, unknown>, partitionKey = 'p'): PutEntry => ({
      data: { ts: base, ...fields },
      partitionKey,
    });
    const wide = Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`f${i}`, i]));
    const invocations: PutEntry[][] = [
      [
        event({ tenant: 'a', n: 1 }),
        event({ tenant: 't'.repeat(1100), n: 2 }), // the object key would pass 1,024 bytes
        event({ tenant: 'b', ...wide }), // 600 columns, over the 500 allowed per batch
        event({ tenant: 'a', deep: nested(100) }),
        event({ tenant: 'b', n: 3 }, HEARTBEAT_PARTITION_KEY), // not a heartbeat's payload: data
      ],
    ];
    const { reader } = await run('poison-schemaless', query, invocations);
    const rows = await reader.readRows();
    const dead = await reader.readDeadLetters();
    expect(rows.map((row) => row.n).sort()).toEqual([1, 3]);
    expect(rows.length + dead.length).toBe(invocations.flat().length);
    expect(dead.map((letter) => letter.reason)).toEqual([
      expect.stringContaining('edge limit maxNestingDepth'),
      expect.stringContaining('output limit maxColumns'),
      expect.stringContaining('output limit s3 object key'),
    ]);
  });

  it('publishes the metrics the batch-failure, stuck-shard and late-rows alarms watch', async () => {
    const name = 'poison-metrics';
    await createOneShardStream(emulators.clients.kinesis, name);
    await putAll(emulators.clients.kinesis, name, [
      view('/m', 'u1', base + 20 * minute),
      view(hugeKey, 'u2', base + 20 * minute),
      view('/m', 'u3', base), // late once the first batch has moved the watermark
    ]);
    const records = await readWholeShard(emulators.clients.kinesis, name, shardId);
    const published: Array<[string, number]> = [];
    const metrics = {
      addMetric: (metric: string, _unit: unknown, value: number) => published.push([metric, value]),
      publishStoredMetrics: () => undefined,
    } as unknown as Metrics;
    // Its own table: the page-views test above already holds this query's checkpoint of the shard.
    await createStateTable(emulators.clients.dynamodb, 'sluice-metrics');
    const options = {
      clients,
      tableName: 'sluice-metrics',
      bucket,
      prefix: name,
      metrics,
      state: 'dynamodb' as const,
    };
    const sum = (metric: string) =>
      published.filter(([m]) => m === metric).reduce((total, [, value]) => total + value, 0);

    // With isolation off the poison batch fails: a failure, and a stalled invocation.
    const stuck = kinesisHandler(pageViewsQuery, { ...options, poisonIsolation: false });
    const event = kinesisEvent(records.slice(0, 2), { streamName: name, shardId });
    expect((await stuck(event, context)).batchItemFailures).toEqual([
      { itemIdentifier: records[0]!.SequenceNumber },
    ]);
    expect(sum(BATCH_FAILURES_METRIC)).toBe(1);
    expect(sum(STALLED_INVOCATIONS_METRIC)).toBe(1);

    // The shipped default isolates it: the shard moves, the poison is counted.
    const handler = kinesisHandler(pageViewsQuery, options);
    expect((await handler(event, context)).batchItemFailures).toEqual([]);
    expect(sum('PoisonRecords')).toBe(1);
    expect(sum(DEAD_LETTERS_METRIC)).toBe(1);
    expect(sum(STALLED_INVOCATIONS_METRIC)).toBe(1);
    expect(
      (await handler(kinesisEvent(records.slice(2), { streamName: name, shardId }), context))
        .batchItemFailures,
    ).toEqual([]);
    expect(sum(LATE_ROWS_METRIC)).toBe(1);
  });
});
