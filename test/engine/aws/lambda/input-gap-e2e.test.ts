import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { _Record } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../../../engine/aws/clients.js';
import { createStateTable } from '../../../../engine/aws/dynamodb/index.js';
import { type KinesisHandlerOptions, kinesisHandler } from '../../../../engine/aws/lambda/kinesis-handler.js';
import { S3OutputReader, S3ProgressWriter } from '../../../../engine/aws/s3/index.js';
import { type QueryProgress, readStream } from '../../../../engine/index.js';
import { GAP_RECORDS_METRIC } from '../../../../infra/streaming-query/alarms.js';
import { type Emulators, startEmulators } from '../../../../local/emulators/index.js';
import { kinesisEvent } from '../../../support/kinesis-events.js';
import {
  createOneShardStream,
  type PutEntry,
  putAll,
  readWholeShard,
} from '../../../support/kinesis-stream.js';

/**
 * Gap detection through the real handler on kinesalite: records after the committed position that
 * Lambda never delivered (it gave up on them, or a mapping without batch item failures moved on)
 * are read back from Kinesis and processed before the event's, and the gap is logged, counted
 * (`GapRecords`, the metric the input-gap alarm watches) and named in the progress record.
 */
let emulators: Emulators;
let clients: AwsClients;
const bucket = 'gaps';
const shardId = 'shardId-000000000000';
const context = { getRemainingTimeInMillis: () => 60_000 } as Context;
const now = Date.now();

const query = readStream<{ id: string; ts: number }>('items', { eventTime: 'ts' })
  .writeStream.queryName('items')
  .outputMode('append')
  .format('json')
  .build();

beforeAll(async () => {
  emulators = await startEmulators();
  clients = {
    dynamodb: emulators.clients.documents,
    s3: emulators.clients.s3,
    kinesis: emulators.clients.kinesis,
  };
  await emulators.clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(async () => {
  await emulators?.stop();
});

const item = (id: string): PutEntry => ({ data: { id, ts: now }, partitionKey: id });

/** A stream of `entries`, its own table, and a handler that records what it logs and publishes. */
async function setUp(name: string, entries: PutEntry[], options: Partial<KinesisHandlerOptions> = {}) {
  await createOneShardStream(emulators.clients.kinesis, name);
  await putAll(emulators.clients.kinesis, name, entries);
  const records = await readWholeShard(emulators.clients.kinesis, name, shardId);
  await createStateTable(emulators.clients.dynamodb, name);
  const published: Array<[string, number]> = [];
  const warnings: Array<{ message: string; detail: unknown }> = [];
  const handler = kinesisHandler(query, {
    clients,
    tableName: name,
    bucket,
    prefix: name,
    metrics: {
      addMetric: (metric: string, _unit: unknown, value: number) => published.push([metric, value]),
      publishStoredMetrics: () => undefined,
    } as unknown as Metrics,
    logger: {
      info: () => undefined,
      warn: (message: string, detail: unknown) => warnings.push({ message, detail }),
      error: () => undefined,
    } as unknown as Logger,
    ...options,
  });
  const event = (slice: readonly _Record[]) => kinesisEvent(slice, { streamName: name, shardId });
  const progress = new S3ProgressWriter({ client: clients.s3, bucket, prefix: name, query: 'items' });
  return {
    records,
    handler,
    event,
    published,
    warnings,
    gapRecords: () =>
      published.filter(([m]) => m === GAP_RECORDS_METRIC).reduce((total, [, value]) => total + value, 0),
    ids: async () =>
      (await new S3OutputReader({ client: clients.s3, bucket, prefix: name, query: 'items' }).readRows())
        .map((row) => row.id as string)
        .sort(),
    progress: async (): Promise<QueryProgress[]> => {
      const all: QueryProgress[] = [];
      for (const id of await progress.batchIds(shardId)) all.push(await progress.read(shardId, id));
      return all;
    },
  };
}

const ids = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `i${String(from + i).padStart(2, '0')}`);

describe('records Lambda never delivered after the committed position', () => {
  it('are read back from Kinesis and processed first; the gap is logged, counted and in the progress record', async () => {
    const run = await setUp('gap-found', ids(0, 10).map(item));
    const { records } = run;
    expect((await run.handler(run.event(records.slice(0, 3)), context)).batchItemFailures).toEqual([]);
    // Lambda gave up on i03..i05 and moves on at i06.
    expect((await run.handler(run.event(records.slice(6)), context)).batchItemFailures).toEqual([]);

    expect(await run.ids()).toEqual(ids(0, 10));
    expect(run.gapRecords()).toBe(3);
    expect(run.published.some(([m]) => m === 'GapsPastRetention')).toBe(false);
    expect(run.warnings.map((w) => w.message)).toEqual([
      'records after the committed position were not delivered; read back from Kinesis and processed',
    ]);
    const progress = await run.progress();
    expect(progress.map((p) => [p.batchId, p.numInputRows, p.inputGap])).toEqual([
      [0, 3, undefined],
      [
        1,
        7,
        {
          after: records[2]!.SequenceNumber,
          before: records[6]!.SequenceNumber,
          records: 3,
          complete: true,
          pastRetention: false,
        },
      ],
    ]);
    // The batch's range starts at the gap: a redelivery of the event replays nothing new.
    expect((await run.handler(run.event(records.slice(6)), context)).batchItemFailures).toEqual([]);
    expect(await run.ids()).toEqual(ids(0, 10));
    expect(run.gapRecords()).toBe(3);
  });

  it('a gap larger than maxGapRecords is read over several invocations, Lambda redelivering the event', async () => {
    const run = await setUp('gap-paged', ids(0, 10).map(item), { maxGapRecords: 2 });
    const { records } = run;
    expect((await run.handler(run.event(records.slice(0, 2)), context)).batchItemFailures).toEqual([]);
    const skipped = run.event(records.slice(7)); // i02..i06 never delivered
    // Two of the gap's five records per invocation; the event waits (its first record is named).
    const waiting = [{ itemIdentifier: records[7]!.SequenceNumber }];
    expect((await run.handler(skipped, context)).batchItemFailures).toEqual(waiting);
    expect(await run.ids()).toEqual(ids(0, 4));
    expect((await run.handler(skipped, context)).batchItemFailures).toEqual(waiting);
    expect((await run.handler(skipped, context)).batchItemFailures).toEqual([]);
    expect(await run.ids()).toEqual(ids(0, 10));
    expect(run.gapRecords()).toBe(5);
    expect((await run.progress()).map((p) => p.inputGap?.complete)).toEqual([undefined, false, false, true]);
  });

  it('a gap of heartbeats only is no gap; contiguous events cost no report', async () => {
    const entries: PutEntry[] = [
      item('i00'),
      item('i01'),
      { heartbeat: true },
      { heartbeat: true },
      item('i02'),
    ];
    const run = await setUp('gap-heartbeats', entries);
    const { records } = run;
    await run.handler(run.event(records.slice(0, 2)), context);
    await run.handler(run.event(records.slice(4)), context); // the heartbeats were not delivered
    expect(await run.ids()).toEqual(['i00', 'i01', 'i02']);
    expect(run.gapRecords()).toBe(0);
    expect(run.warnings).toEqual([]);
    expect((await run.progress()).every((p) => p.inputGap === undefined)).toBe(true);
  });

  it('contiguous events cost a probe of two records, not a re-read of the delivered batch', async () => {
    const run = await setUp('gap-probe', ids(0, 30).map(item));
    const limits: Array<number | undefined> = [];
    const kinesis = emulators.clients.kinesis;
    kinesis.middlewareStack.add(
      (next, handlerContext) => async (args) => {
        if (handlerContext.commandName === 'GetRecordsCommand')
          limits.push((args.input as { Limit?: number }).Limit);
        return next(args);
      },
      { step: 'initialize', name: 'gapProbeSpy' },
    );
    try {
      await run.handler(run.event(run.records.slice(0, 10)), context);
      await run.handler(run.event(run.records.slice(10, 30)), context);
    } finally {
      kinesis.middlewareStack.remove('gapProbeSpy');
    }
    expect(await run.ids()).toEqual(ids(0, 30));
    expect(run.gapRecords()).toBe(0);
    expect(limits).toEqual([2]);
  });

  it('with gapCheck off the event source mapping is trusted: the skipped records are not processed', async () => {
    const run = await setUp('gap-off', ids(0, 6).map(item), { gapCheck: false });
    const { records } = run;
    await run.handler(run.event(records.slice(0, 2)), context);
    await run.handler(run.event(records.slice(4)), context);
    expect(await run.ids()).toEqual(['i00', 'i01', 'i04', 'i05']);
    expect(run.gapRecords()).toBe(0);
  });
});
