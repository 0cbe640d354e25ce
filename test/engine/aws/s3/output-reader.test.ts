import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import {
  keyColumnsOf,
  mapConcurrently,
  S3FileSink,
  type S3FileSinkOptions,
  S3OutputReader,
} from '../../../../engine/aws/s3/index.js';
import {
  count,
  type DeadLetter,
  MemoryCheckpointStore,
  MemoryStateStore,
  type PlannedBatch,
  StreamExecution,
  window,
} from '../../../../engine/index.js';
import { ManualClock, MemoryStream, SimulatedCrash } from '../../../../engine/testkit/index.js';
import { MemoryBatchSource } from '../../../../engine/testkit/memory-batch-source.js';
import { useS3Bucket } from './s3-fixture.js';

const fixture = useS3Bucket('reader-out');
let querySeq = 0;

function sinkOptions(overrides: Partial<S3FileSinkOptions> = {}): S3FileSinkOptions {
  return {
    client: fixture.s3(),
    bucket: fixture.bucket,
    prefix: 'reader',
    query: `r${querySeq++}`,
    shard: 'shardId-000000000000',
    outputMode: 'update',
    format: 'jsonl',
    ...overrides,
  };
}

const context = (batchId: number, deadLetters: DeadLetter[] = []) => ({
  batch: { batchId } as PlannedBatch,
  deadLetters,
});
const readerFor = (options: S3FileSinkOptions) =>
  new S3OutputReader({
    client: options.client,
    bucket: options.bucket,
    prefix: options.prefix,
    query: options.query,
  });

describe('S3OutputReader', () => {
  it('lists more than 1,000 manifests (paged) and returns rows in batch order', async () => {
    const options = sinkOptions({ outputMode: 'append' });
    const sink = new S3FileSink(options);
    const batchIds = Array.from({ length: 1_005 }, (_, i) => i);
    const withRows = new Set([0, 999, 1_000, 1_004]);
    await mapConcurrently(batchIds, 16, (batchId) =>
      sink.addBatch(batchId, withRows.has(batchId) ? [{ batchId }] : [], context(batchId)),
    );
    const reader = new S3OutputReader({ ...options, concurrency: 16 });
    const batches = await reader.readBatches();
    expect(batches.map((batch) => batch.manifest.batchId)).toEqual(batchIds);
    expect(batches.flatMap((batch) => batch.rows)).toEqual([
      { batchId: 0 },
      { batchId: 999 },
      { batchId: 1_000 },
      { batchId: 1_004 },
    ]);
    expect(await reader.readRows({ fromBatchId: 1_000 })).toEqual([{ batchId: 1_000 }, { batchId: 1_004 }]);
  });

  it('reads update-mode output as a table: the newest row per key, keys from the manifest', async () => {
    const options = sinkOptions({ keyColumns: ['window', 'word'] });
    const w = (start: number) => ({ start, end: start + 10 });
    const sink = new S3FileSink(options);
    await sink.addBatch(
      1,
      [
        { window: w(0), word: 'a', n: 1 },
        { window: w(0), word: 'b', n: 1 },
      ],
      context(1),
    );
    await sink.addBatch(
      2,
      [
        { window: w(0), word: 'a', n: 2 },
        { window: w(10), word: 'a', n: 1 },
      ],
      context(2),
    );
    await sink.addBatch(3, [{ window: w(0), word: 'a', n: 3 }], context(3));
    const reader = readerFor(options);
    expect(await reader.readRows({ view: 'table' })).toEqual([
      { window: w(0), word: 'a', n: 3 },
      { window: w(0), word: 'b', n: 1 },
      { window: w(10), word: 'a', n: 1 },
    ]);
    // Keys given to the reader win over the manifest's: here one row per word.
    expect(await reader.readRows({ view: 'table', keyColumns: ['word'] })).toEqual([
      { window: w(0), word: 'a', n: 3 },
      { window: w(0), word: 'b', n: 1 },
    ]);
    expect((await reader.readRows()).length).toBe(5);
  });

  it('asks for key columns when neither the manifests nor the caller know them', async () => {
    const options = sinkOptions({ outputMode: 'complete' });
    await new S3FileSink(options).addBatch(1, [{ word: 'a', n: 1 }], context(1));
    await expect(readerFor(options).readRows({ view: 'table' })).rejects.toMatchObject({
      code: 'SLUICE_MISSING_KEY_COLUMNS',
      message: expect.stringContaining('complete mode'),
    });
  });

  it('reads an append-mode table as the log', async () => {
    const options = sinkOptions({ outputMode: 'append' });
    const sink = new S3FileSink(options);
    await sink.addBatch(1, [{ word: 'a' }], context(1));
    await sink.addBatch(2, [{ word: 'a' }], context(2));
    expect(await readerFor(options).readRows({ view: 'table' })).toEqual([{ word: 'a' }, { word: 'a' }]);
  });

  it('round-trips dead letters with their original bytes', async () => {
    const options = sinkOptions({ outputMode: 'append' });
    const invalidUtf8 = Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d]);
    const deadLetters: DeadLetter[] = [
      {
        reason: 'invalid UTF-8',
        source: 'events',
        position: '49590338271490256608559692538361571095921575989136588898',
        partitionKey: 'user-1',
        data: Buffer.from(invalidUtf8).toString('base64'),
      },
      {
        reason: 'no valid event time',
        row: { user: 'u2', ts: 'soon' },
        operator: 'aggregate-0',
        source: 'events',
      },
    ];
    await new S3FileSink(options).addBatch(9, [{ ok: 1 }], context(9, deadLetters));
    const reader = readerFor(options);
    const [manifest] = await reader.manifests();
    expect(manifest!.deadLetters).toEqual({
      key: '_dead/00000000000000000009-shardId-000000000000.jsonl',
      count: 2,
    });
    const stored = await reader.readDeadLetters();
    expect(stored).toEqual(
      deadLetters.map((letter) => ({ batchId: 9, shard: 'shardId-000000000000', ...letter })),
    );
    expect(Uint8Array.from(Buffer.from(stored[0]!.data!, 'base64'))).toEqual(invalidUtf8);
  });

  it('refuses a manifest of a newer format version, saying what to do', async () => {
    const options = sinkOptions();
    await fixture.s3().send(
      new PutObjectCommand({
        Bucket: fixture.bucket,
        Key: `reader/${options.query}/_manifest/00000000000000000001.json`,
        Body: JSON.stringify({ formatVersion: 2 }),
      }),
    );
    await expect(readerFor(options).readRows()).rejects.toMatchObject({
      code: 'SLUICE_MANIFEST_INVALID',
      message: expect.stringMatching(/format version is 2.*Upgrade sluice/),
    });
  });

  it('reads a windowed update-mode query run by the engine, crash and replay included', async () => {
    const words = new MemoryStream<{ word: string; ts: number }>('words');
    const query = words
      .toStream()
      .withWatermark('ts', '10 seconds')
      .groupBy(window('ts', '10 seconds'), 'word')
      .agg({ n: count() })
      .writeStream.queryName(`engine${querySeq++}`)
      .outputMode('update')
      .format('parquet')
      .build();
    const options = sinkOptions({
      query: query.name,
      format: 'parquet',
      outputMode: query.outputMode,
      keyColumns: keyColumnsOf(query.plan),
    });
    let crashAfterAddBatch = true;
    const execution = () =>
      new StreamExecution({
        query,
        source: new MemoryBatchSource([words]),
        stateStore,
        checkpoints,
        sink: new S3FileSink(options),
        clock: new ManualClock(0),
        hook: (phase) => {
          if (phase === 'addBatch' && crashAfterAddBatch) {
            crashAfterAddBatch = false;
            throw new SimulatedCrash(phase);
          }
        },
      });
    const stateStore = new MemoryStateStore();
    const checkpoints = new MemoryCheckpointStore();

    words.addData({ word: 'a', ts: 1_000 }, { word: 'b', ts: 2_000 }, { word: 'a', ts: 3_000 });
    await expect(execution().processAllAvailable()).rejects.toBeInstanceOf(SimulatedCrash);
    words.addData({ word: 'a', ts: 4_000 }, { word: 'a', ts: 15_000 });
    await execution().processAllAvailable(); // replays batch 0, then runs the new data

    const reader = readerFor(options);
    expect((await reader.manifests()).map((manifest) => [manifest.batchId, manifest.totalRows])).toEqual([
      [0, 2],
      [1, 2],
      [2, 0], // the no-data batch after the watermark moved: nothing changed in update mode
    ]);
    expect(await reader.readRows({ view: 'table' })).toEqual([
      { window: { start: 0, end: 10_000 }, word: 'a', n: 3 },
      { window: { start: 0, end: 10_000 }, word: 'b', n: 1 },
      { window: { start: 10_000, end: 20_000 }, word: 'a', n: 1 },
    ]);
  });
});
