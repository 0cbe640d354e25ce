import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3FileSink, type S3FileSinkOptions, S3OutputReader } from '../../../../engine/aws/s3/index.js';
import type { PlannedBatch, Row } from '../../../../engine/index.js';
import { getBytes, listKeys, snapshot, useS3Bucket } from './s3-fixture.js';

const fixture = useS3Bucket('parquet-out');
let querySeq = 0;
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'sluice-parquet-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

function sinkOptions(overrides: Partial<S3FileSinkOptions> = {}): S3FileSinkOptions {
  return {
    client: fixture.s3(),
    bucket: fixture.bucket,
    prefix: 'tests',
    query: `pq${querySeq++}`,
    shard: 'shardId-000000000002',
    outputMode: 'update',
    format: 'parquet',
    ...overrides,
  };
}

const context = (batchId: number) => ({ batch: { batchId } as PlannedBatch, deadLetters: [] });
const readerFor = (options: S3FileSinkOptions) =>
  new S3OutputReader({
    client: options.client,
    bucket: options.bucket,
    prefix: options.prefix,
    query: options.query,
  });

const T0 = Date.UTC(2024, 0, 15, 8, 30, 0);

const rows: Row[] = [
  {
    window: { start: T0, end: T0 + 60_000 },
    country: 'PT',
    word: 'olá',
    count: 3,
    avg: 1.5,
    ok: true,
    tags: ['x', 'y'],
    ts: T0 + 1_234,
    big: 2n ** 60n,
  },
  {
    window: { start: T0 + 60_000, end: T0 + 120_000 },
    country: 'BR',
    word: null,
    count: 9_007_199_254_740_991,
    avg: 2,
    ok: false,
    tags: { nested: [1] },
    ts: T0 + 61_000,
    big: 5,
  },
  {
    window: { start: T0, end: T0 + 60_000 },
    country: 'PT',
    word: 'b',
    count: -1,
    avg: -0.25,
    ok: null,
    ts: T0,
  },
];

/** Downloads every object below `prefix` into `dir`, keeping the key's path (DuckDB cannot read s3:// offline). */
async function download(prefix: string, dir: string): Promise<void> {
  for (const key of await listKeys(fixture.s3(), fixture.bucket, prefix)) {
    const path = join(dir, key.slice(prefix.length));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, await getBytes(fixture.s3(), fixture.bucket, key));
  }
}

async function duckdb<T>(
  use: (run: (sql: string) => Promise<Record<string, unknown>[]>) => Promise<T>,
): Promise<T> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    return await use(
      async (sql) => (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[],
    );
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe('S3FileSink, Parquet', () => {
  it('round-trips rows through partitioned Parquet objects', async () => {
    const options = sinkOptions({ partitionBy: ['country'], timestampColumns: ['ts'] });
    await new S3FileSink(options).addBatch(1, rows, context(1));
    const [batch] = await readerFor(options).readBatches();
    expect(batch!.manifest.columns).toEqual([
      { name: 'window', type: 'window' },
      { name: 'word', type: 'string' },
      { name: 'count', type: 'int64' },
      { name: 'avg', type: 'double' },
      { name: 'ok', type: 'boolean' },
      { name: 'tags', type: 'json' },
      { name: 'ts', type: 'timestamp' },
      { name: 'big', type: 'int64' },
    ]);
    expect(batch!.manifest.files.map((file) => file.key)).toEqual([
      'data/country=PT/part-00000000000000000001-shardId-000000000002-00000.parquet',
      'data/country=BR/part-00000000000000000001-shardId-000000000002-00001.parquet',
    ]);
    // Values come back as written; a column missing from a row reads back as null.
    expect(batch!.rows).toEqual([rows[0], { ...rows[2], tags: null, big: null }, rows[1]]);
  });

  it('is read by DuckDB with timestamps as TIMESTAMP, integers BIGINT, doubles DOUBLE, strings VARCHAR', async () => {
    const options = sinkOptions({ partitionBy: ['country'], timestampColumns: ['ts'] });
    await new S3FileSink(options).addBatch(1, rows, context(1));
    const dir = join(scratch, options.query);
    await download(`tests/${options.query}/data/`, dir);
    const glob = `${dir}/**/*.parquet`;

    await duckdb(async (run) => {
      const types = await run(`DESCRIBE SELECT * FROM read_parquet('${glob}', hive_partitioning = true)`);
      expect(Object.fromEntries(types.map((row) => [row.column_name, row.column_type]))).toEqual({
        window: 'STRUCT("start" TIMESTAMP, "end" TIMESTAMP)',
        word: 'VARCHAR',
        count: 'BIGINT',
        avg: 'DOUBLE',
        ok: 'BOOLEAN',
        tags: 'JSON',
        ts: 'TIMESTAMP',
        big: 'BIGINT',
        country: 'VARCHAR', // from the Hive-style directory
      });
      const values = await run(
        `SELECT country, "window".start::VARCHAR AS ws, "window"."end"::VARCHAR AS we, word, count, avg, ok,
                tags::VARCHAR AS tags, ts::VARCHAR AS ts, big
         FROM read_parquet('${glob}', hive_partitioning = true) ORDER BY ts`,
      );
      expect(values).toEqual([
        {
          country: 'PT',
          ws: '2024-01-15 08:30:00',
          we: '2024-01-15 08:31:00',
          word: 'b',
          count: '-1',
          avg: -0.25,
          ok: null,
          tags: null,
          ts: '2024-01-15 08:30:00',
          big: null,
        },
        {
          country: 'PT',
          ws: '2024-01-15 08:30:00',
          we: '2024-01-15 08:31:00',
          word: 'olá',
          count: '3',
          avg: 1.5,
          ok: true,
          tags: '["x","y"]',
          ts: '2024-01-15 08:30:01.234',
          big: '1152921504606846976',
        },
        {
          country: 'BR',
          ws: '2024-01-15 08:31:00',
          we: '2024-01-15 08:32:00',
          word: null,
          count: '9007199254740991',
          avg: 2,
          ok: false,
          tags: '{"nested":[1]}',
          ts: '2024-01-15 08:31:01',
          big: '5',
        },
      ]);
      const codecs = await run(`SELECT DISTINCT compression FROM parquet_metadata('${glob}')`);
      expect(codecs).toEqual([{ compression: 'SNAPPY' }]);
    });
  });

  it('writes the same keys and bytes when the same batch is written twice', async () => {
    const options = sinkOptions({ partitionBy: ['country'], timestampColumns: ['ts'] });
    const root = `tests/${options.query}/`;
    await new S3FileSink(options).addBatch(6, rows, context(6));
    const first = await snapshot(fixture.s3(), fixture.bucket, root);
    await new S3FileSink(options).addBatch(6, structuredClone(rows), context(6));
    expect(first.size).toBe(3);
    expect(await snapshot(fixture.s3(), fixture.bucket, root)).toEqual(first);
  });

  it('keeps a declared column type when a batch would infer another', async () => {
    const options = sinkOptions({ columnTypes: { avg: 'double' } });
    await new S3FileSink(options).addBatch(1, [{ k: 'a', avg: 2 }], context(1));
    const dir = join(scratch, options.query);
    await download(`tests/${options.query}/data/`, dir);
    await duckdb(async (run) => {
      const types = await run(`DESCRIBE SELECT * FROM read_parquet('${dir}/*.parquet')`);
      expect(types.map((row) => [row.column_name, row.column_type])).toEqual([
        ['k', 'VARCHAR'],
        ['avg', 'DOUBLE'],
      ]);
    });
    expect(await readerFor(options).readRows()).toEqual([{ k: 'a', avg: 2 }]);
  });

  it('keeps the row count of files whose columns are all partition columns', async () => {
    const options = sinkOptions({ partitionBy: ['day'] });
    const input = [{ day: '2024-01-01' }, { day: '2024-01-01' }, { day: '2024-01-02' }];
    await new S3FileSink(options).addBatch(2, input, context(2));
    expect(await readerFor(options).readRows()).toEqual(input);
  });
});
