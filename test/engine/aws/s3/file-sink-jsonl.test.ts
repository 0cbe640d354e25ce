import type { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import {
  parseManifest,
  S3FileSink,
  type S3FileSinkOptions,
  S3OutputReader,
} from '../../../../engine/aws/s3/index.js';
import type { PlannedBatch } from '../../../../engine/index.js';
import { getBytes, listKeys, snapshot, useS3Bucket } from './s3-fixture.js';

const fixture = useS3Bucket('jsonl-out');
let querySeq = 0;

function sinkOptions(overrides: Partial<S3FileSinkOptions> = {}): S3FileSinkOptions {
  return {
    client: fixture.s3(),
    bucket: fixture.bucket,
    prefix: 'tests/jsonl',
    query: `q${querySeq++}`,
    shard: 'shardId-000000000000',
    outputMode: 'append',
    format: 'jsonl',
    ...overrides,
  };
}

const batchContext = (batchId: number) => ({
  batch: { batchId } as PlannedBatch,
  deadLetters: [],
});

const reader = (options: S3FileSinkOptions) =>
  new S3OutputReader({
    client: options.client,
    bucket: options.bucket,
    prefix: options.prefix,
    query: options.query,
  });

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);

const rows = [
  { window: { start: T0, end: T0 + 60_000 }, city: 'São Paulo', word: 'a', count: 2, ts: T0 + 5 },
  { window: { start: T0, end: T0 + 60_000 }, city: 'x/y=z', word: 'b', count: 1, ts: T0 + 6 },
  { window: { start: T0 + 60_000, end: T0 + 120_000 }, city: 'São Paulo', word: 'c', count: 3, ts: T0 + 7 },
  { window: { start: T0, end: T0 + 60_000 }, city: null, word: 'd', count: 4, ts: T0 + 8 },
];

describe('S3FileSink, JSON Lines', () => {
  it('writes partitioned objects with ISO time, then the manifest; the reader gives the rows back', async () => {
    const options = sinkOptions({
      partitionBy: ['city'],
      timestampColumns: ['ts'],
      keyColumns: ['window', 'word'],
    });
    await new S3FileSink(options).addBatch(3, rows, batchContext(3));

    const root = `tests/jsonl/${options.query}/`;
    const part = (dir: string, n: number) =>
      `${root}data/city=${dir}/part-00000000000000000003-shardId-000000000000-0000${n}.jsonl`;
    expect((await listKeys(fixture.s3(), fixture.bucket, root)).sort()).toEqual(
      [
        part('São Paulo', 0),
        part('x%2Fy%3Dz', 1),
        part('__HIVE_DEFAULT_PARTITION__', 2),
        `${root}_manifest/00000000000000000003.json`,
      ].sort(),
    );
    expect(text(await getBytes(fixture.s3(), fixture.bucket, part('São Paulo', 0)))).toBe(
      '{"window":{"start":"2024-05-01T12:00:00.000Z","end":"2024-05-01T12:01:00.000Z"},"word":"a","count":2,"ts":"2024-05-01T12:00:00.005Z"}\n' +
        '{"window":{"start":"2024-05-01T12:01:00.000Z","end":"2024-05-01T12:02:00.000Z"},"word":"c","count":3,"ts":"2024-05-01T12:00:00.007Z"}\n',
    );

    const manifestKey = `${root}_manifest/00000000000000000003.json`;
    const manifest = parseManifest(manifestKey, await getBytes(fixture.s3(), fixture.bucket, manifestKey));
    expect(manifest).toMatchObject({
      formatVersion: 1,
      query: options.query,
      batchId: 3,
      shard: 'shardId-000000000000',
      outputMode: 'append',
      sink: 'files',
      format: 'jsonl',
      partitionBy: ['city'],
      keyColumns: ['window', 'word'],
      columns: [
        { name: 'window', type: 'window' },
        { name: 'word', type: 'string' },
        { name: 'count', type: 'int64' },
        { name: 'ts', type: 'timestamp' },
      ],
      deadLetters: null,
      lateRows: null,
      totalRows: 4,
    });
    // A manifest written before the late-rows output existed reads as having none.
    const older = JSON.parse(text(await getBytes(fixture.s3(), fixture.bucket, manifestKey)));
    delete older.lateRows;
    expect(parseManifest(manifestKey, new TextEncoder().encode(JSON.stringify(older))).lateRows).toBeNull();
    const relative = (key: string) => key.slice(root.length);
    expect(manifest.files.map((file) => [file.key, file.rows, file.partition])).toEqual([
      [relative(part('São Paulo', 0)), 2, { city: 'São Paulo' }],
      [relative(part('x%2Fy%3Dz', 1)), 1, { city: 'x/y=z' }],
      [relative(part('__HIVE_DEFAULT_PARTITION__', 2)), 1, { city: null }],
    ]);
    const firstFile = manifest.files[0]!;
    expect(firstFile.bytes).toBe(
      (await getBytes(fixture.s3(), fixture.bucket, `${root}${firstFile.key}`)).byteLength,
    );

    // Rows come back as written (epoch ms), partition by partition; partition columns come last.
    expect(await reader(options).readRows()).toEqual([rows[0], rows[2], rows[1], rows[3]]);
  });

  it('writes the same keys and bytes when the same batch is written twice', async () => {
    const options = sinkOptions({ partitionBy: ['city'], timestampColumns: ['ts'], maxRowsPerPart: 1 });
    const root = `tests/jsonl/${options.query}/`;
    await new S3FileSink(options).addBatch(8, rows, batchContext(8));
    const first = await snapshot(fixture.s3(), fixture.bucket, root);
    await new S3FileSink(options).addBatch(8, rows, batchContext(8));
    const second = await snapshot(fixture.s3(), fixture.bucket, root);
    expect(first.size).toBe(5); // four one-row parts and the manifest
    expect(second).toEqual(first);
  });

  it('writes late rows to _late/ and the manifest, the same keys and bytes on a rewrite', async () => {
    const options = sinkOptions({});
    const root = `tests/jsonl/${options.query}/`;
    const dropped = [
      { row: { word: 'x', ts: 5 }, operator: 'aggregate-0', eventTimeMs: 60_000, watermarkMs: 120_000 },
      { row: { word: 'y', ts: 7n }, operator: 'aggregate-0', eventTimeMs: 60_000, watermarkMs: 120_000 },
    ];
    const context = { ...batchContext(9), droppedRows: dropped };
    await new S3FileSink(options).addBatch(9, rows.slice(0, 1), context);
    const first = await snapshot(fixture.s3(), fixture.bucket, root);
    await new S3FileSink(options).addBatch(9, rows.slice(0, 1), context);
    expect(await snapshot(fixture.s3(), fixture.bucket, root)).toEqual(first);
    const lateKey = `${root}_late/00000000000000000009-shardId-000000000000.jsonl`;
    expect(text(await getBytes(fixture.s3(), fixture.bucket, lateKey))).toBe(
      '{"batchId":9,"shard":"shardId-000000000000","operator":"aggregate-0","eventTimeMs":60000,"watermarkMs":120000,"row":{"word":"x","ts":5}}\n' +
        '{"batchId":9,"shard":"shardId-000000000000","operator":"aggregate-0","eventTimeMs":60000,"watermarkMs":120000,"row":{"word":"y","ts":7}}\n',
    );
    const [manifest] = (await reader(options).manifests()).filter((m) => m.batchId === 9);
    expect(manifest!.lateRows).toEqual({
      key: '_late/00000000000000000009-shardId-000000000000.jsonl',
      count: 2,
    });
    expect((await reader(options).readLateRows()).map((late) => late.row.word)).toEqual(['x', 'y']);
  });

  it('splits partitions into parts of maxRowsPerPart rows and reads them back in order', async () => {
    const options = sinkOptions({ maxRowsPerPart: 3 });
    const many = Array.from({ length: 8 }, (_, i) => ({ i, label: `row ${i}` }));
    await new S3FileSink(options).addBatch(1, many, batchContext(1));
    const [manifest] = await reader(options).manifests();
    expect(manifest!.files.map((file) => [file.key, file.rows])).toEqual([
      ['data/part-00000000000000000001-shardId-000000000000-00000.jsonl', 3],
      ['data/part-00000000000000000001-shardId-000000000000-00001.jsonl', 3],
      ['data/part-00000000000000000001-shardId-000000000000-00002.jsonl', 2],
    ]);
    expect(await reader(options).readRows()).toEqual(many);
  });

  it('writes a manifest for an empty batch, so readers know the batch ran', async () => {
    const options = sinkOptions();
    await new S3FileSink(options).addBatch(4, [], batchContext(4));
    const batches = await reader(options).readBatches();
    expect(batches.map((batch) => [batch.manifest.batchId, batch.manifest.files.length, batch.rows])).toEqual(
      [[4, 0, []]],
    );
  });

  it('ignores data objects of a batch that crashed before its manifest; the replay makes them visible once', async () => {
    const options = sinkOptions({ partitionBy: ['city'] });
    const real = options.client;
    const manifestFails = {
      send: (command: { input: { Key?: string } }) =>
        command.input.Key?.includes('/_manifest/')
          ? Promise.reject(Object.assign(new Error('connection reset'), { name: 'TimeoutError' }))
          : real.send(command as never),
    } as unknown as S3Client;
    await new S3FileSink(options).addBatch(1, rows.slice(0, 1), batchContext(1));
    const crashing = new S3FileSink({ ...options, client: manifestFails });
    await expect(crashing.addBatch(2, rows.slice(1), batchContext(2))).rejects.toMatchObject({
      code: 'SLUICE_S3_REQUEST_FAILED',
      message: expect.stringContaining('_manifest/00000000000000000002.json failed with TimeoutError'),
    });
    const root = `tests/jsonl/${options.query}/`;
    expect((await listKeys(fixture.s3(), fixture.bucket, `${root}data/`)).length).toBe(4); // 1 + 3 orphans
    expect(await reader(options).readRows()).toEqual(rows.slice(0, 1));

    await new S3FileSink(options).addBatch(2, rows.slice(1), batchContext(2)); // the replay
    expect((await listKeys(fixture.s3(), fixture.bucket, `${root}data/`)).length).toBe(4);
    expect(await reader(options).readRows()).toEqual(rows);
  });

  it('turns rows whose declared column types do not fit into dead letters and writes the rest', async () => {
    const options = sinkOptions({ timestampColumns: ['ts'], columnTypes: { score: 'double' } });
    const input = [
      { id: 1, ts: T0, score: 1 },
      { id: 2, ts: 'yesterday', score: 2 },
      { id: 3, ts: T0, score: 'high' },
    ];
    await new S3FileSink(options).addBatch(5, input, batchContext(5));
    expect(await reader(options).readRows()).toEqual([{ id: 1, ts: T0, score: 1 }]);
    expect(await reader(options).readDeadLetters()).toEqual([
      {
        batchId: 5,
        shard: 'shardId-000000000000',
        reason:
          "column 'ts' is declared timestamp: expected epoch milliseconds (a finite number) or a Date, got string",
        row: input[1],
        operator: 'S3FileSink',
      },
      {
        batchId: 5,
        shard: 'shardId-000000000000',
        reason: "column 'score' is declared double: expected a number, got string",
        row: input[2],
        operator: 'S3FileSink',
      },
    ]);
  });

  it('translates a missing bucket into an error that names it and the fix', async () => {
    const sink = new S3FileSink(sinkOptions({ bucket: 'no-such-bucket' }));
    await expect(sink.addBatch(1, rows, batchContext(1))).rejects.toMatchObject({
      name: 'S3RequestError',
      code: 'SLUICE_S3_REQUEST_FAILED',
      message: expect.stringMatching(/NoSuchBucket.*Create the bucket 'no-such-bucket'/),
    });
  });

  it('rejects options that cannot work', () => {
    expect(() => new S3FileSink(sinkOptions({ maxRowsPerPart: 0 }))).toThrow(
      /maxRowsPerPart.*positive integer/,
    );
    expect(() => new S3FileSink(sinkOptions({ partitionBy: ['a', 'a'] }))).toThrow(/partitionBy/);
  });
});
