import { describe, expect, it } from 'vitest';
import {
  type BindSinkOptions,
  bindSink,
  S3FileSink,
  S3ForeachBatchSink,
  S3OutputReader,
  S3ProgressWriter,
  s3Services,
} from '../../../../engine/aws/s3/index.js';
import type { ForeachBatchFunction, PlannedBatch, QueryProgress } from '../../../../engine/index.js';
import { emptyDurations } from '../../../../engine/runtime/progress.js';
import { getBytes, listKeys, snapshot, useS3Bucket } from './s3-fixture.js';

const fixture = useS3Bucket('foreach-out');
let querySeq = 0;

function options(overrides: Partial<BindSinkOptions> = {}): BindSinkOptions {
  return {
    client: fixture.s3(),
    bucket: fixture.bucket,
    prefix: 'fb',
    query: `f${querySeq++}`,
    shard: 'shardId-000000000003',
    outputMode: 'append',
    ...overrides,
  };
}

const context = (batchId: number) => ({
  batch: { batchId } as PlannedBatch,
  deadLetters: [{ reason: 'malformed JSON', data: Buffer.from('{').toString('base64'), position: '17' }],
});
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Writes one object per batch, keyed by batch id, with bytes derived from the rows only. */
const writeTotals: ForeachBatchFunction = async (rows, batchId, ctx) => {
  const s3 = s3Services(ctx);
  const total = rows.reduce((sum, row) => sum + (row.n as number), 0);
  await s3.putObject(`totals/${batchId}.json`, JSON.stringify({ batchId, partition: ctx.partition, total }));
  void s3.putObject(`rows/${batchId}.jsonl`, rows.map((row) => JSON.stringify(row)).join('\n')); // not awaited
};

describe('S3ForeachBatchSink', () => {
  it('gives the function S3 helpers under the query prefix and lists its objects in the manifest', async () => {
    const opts = options();
    const sink = new S3ForeachBatchSink({ ...opts, fn: writeTotals });
    await sink.addBatch(4, [{ n: 2 }, { n: 5 }], context(4));

    const root = `fb/${opts.query}/`;
    const totals = '{"batchId":4,"partition":"shardId-000000000003","total":7}';
    expect(text(await getBytes(fixture.s3(), fixture.bucket, `${root}totals/4.json`))).toBe(totals);
    const [manifest] = await new S3OutputReader(opts).manifests();
    expect(manifest).toMatchObject({
      batchId: 4,
      sink: 'foreachBatch',
      format: null,
      files: [],
      // Sorted by key; the put the function did not await is awaited and listed too.
      objects: [
        { key: 'rows/4.jsonl', bytes: '{"n":2}\n{"n":5}'.length },
        { key: 'totals/4.json', bytes: totals.length },
      ],
      deadLetters: { key: '_dead/00000000000000000004-shardId-000000000003.jsonl', count: 1 },
      totalRows: 2,
    });
    expect(await new S3OutputReader(opts).readDeadLetters()).toEqual([
      { batchId: 4, shard: 'shardId-000000000003', reason: 'malformed JSON', position: '17', data: 'ew==' },
    ]);
  });

  it('rewrites the same objects when a batch is replayed', async () => {
    const opts = options();
    const root = `fb/${opts.query}/`;
    await new S3ForeachBatchSink({ ...opts, fn: writeTotals }).addBatch(1, [{ n: 1 }], context(1));
    const first = await snapshot(fixture.s3(), fixture.bucket, root);
    await new S3ForeachBatchSink({ ...opts, fn: writeTotals }).addBatch(1, [{ n: 1 }], context(1));
    expect(first.size).toBe(4); // totals, rows, dead letters, manifest
    expect(await snapshot(fixture.s3(), fixture.bucket, root)).toEqual(first);
  });

  it('keeps user objects out of the directories sluice owns', async () => {
    for (const key of ['_manifest/1.json', '_dead/x', '_progress/a', '../escape', '/abs', 'a//b', '']) {
      const opts = options();
      const sink = new S3ForeachBatchSink({
        ...opts,
        fn: async (_rows, _batchId, ctx) => {
          await s3Services(ctx).putObject(key, 'x');
        },
      });
      await expect(sink.addBatch(1, [], context(1))).rejects.toMatchObject({
        code: 'SLUICE_INVALID_OUTPUT_KEY',
      });
      // A failed function leaves no manifest: readers see nothing of the batch.
      expect(await listKeys(fixture.s3(), fixture.bucket, `fb/${opts.query}/`)).toEqual([]);
    }
  });

  it('fails the batch when a put the function did not await fails', async () => {
    const opts = options();
    const sink = new S3ForeachBatchSink({
      ...opts,
      fn: (_rows, _batchId, ctx) => {
        void s3Services(ctx).putObject('_dead/forged.jsonl', 'x');
      },
    });
    await expect(sink.addBatch(1, [], context(1))).rejects.toMatchObject({
      code: 'SLUICE_INVALID_OUTPUT_KEY',
    });
    expect(await listKeys(fixture.s3(), fixture.bucket, `fb/${opts.query}/`)).toEqual([]);
  });

  it('says how to get S3 helpers when the runtime has none', () => {
    expect(() => s3Services({ queryName: 'q', partition: '0', services: {} })).toThrow(
      expect.objectContaining({ code: 'SLUICE_NO_S3_SERVICES' }),
    );
  });
});

describe('bindSink', () => {
  it('binds files and foreachBatch specs and refuses memory and console on AWS', async () => {
    const opts = options({ maxRowsPerPart: 1, timestampColumns: ['ts'] });
    const files = bindSink({ kind: 'files', format: 'parquet', partitionBy: ['day'] }, opts);
    expect(files).toBeInstanceOf(S3FileSink);
    await files.addBatch(
      2,
      [
        { day: 'd1', ts: 0 },
        { day: 'd1', ts: 1 },
      ],
      context(2),
    );
    expect((await listKeys(fixture.s3(), fixture.bucket, `fb/${opts.query}/data/`)).sort()).toEqual([
      `fb/${opts.query}/data/day=d1/part-00000000000000000002-shardId-000000000003-00000.parquet`,
      `fb/${opts.query}/data/day=d1/part-00000000000000000002-shardId-000000000003-00001.parquet`,
    ]);
    expect(bindSink({ kind: 'foreachBatch', fn: writeTotals }, options())).toBeInstanceOf(S3ForeachBatchSink);
    expect(() => bindSink({ kind: 'memory' }, options())).toThrow(
      expect.objectContaining({ code: 'SLUICE_UNSUPPORTED_SINK' }),
    );
    expect(() => bindSink({ kind: 'console' }, options())).toThrow(/foreachBatch/);
  });
});

describe('S3ProgressWriter', () => {
  const progress = (batchId: number): QueryProgress => ({
    name: 'q',
    partition: 'shardId-000000000003',
    batchId,
    timestamp: '2024-01-01T00:00:00.000Z',
    isNoDataBatch: false,
    isReplay: false,
    numInputRows: 3,
    processedRowsPerSecond: 300,
    durationMs: { ...emptyDurations(), triggerExecution: 10 },
    eventTime: { watermark: '1970-01-01T00:00:00.000Z' },
    stateOperators: [],
    sources: [],
    sink: { description: 'S3FileSink', numOutputRows: 3 },
    numRejectedRows: 0,
    numDeadLetters: 0,
    requests: { 'S3.PutObject': 2 },
  });

  it('writes each batch to _progress/<shard>/<batchId:020>.json and reads it back', async () => {
    const opts = options();
    const writer = new S3ProgressWriter(opts);
    expect(await writer.write(progress(12))).toBe(
      `fb/${opts.query}/_progress/shardId-000000000003/00000000000000000012.json`,
    );
    await writer.write(progress(3));
    expect(await writer.batchIds('shardId-000000000003')).toEqual([3, 12]);
    expect(await writer.read('shardId-000000000003', 12)).toEqual(progress(12));
  });
});
