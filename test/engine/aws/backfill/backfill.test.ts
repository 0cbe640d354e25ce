import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BackfillFailedError, runBackfill, S3_INPUT_SHARD } from '../../../../engine/aws/backfill/index.js';
import type { AwsClients } from '../../../../engine/aws/clients.js';
import { createStateTable } from '../../../../engine/aws/dynamodb/index.js';
import { S3OutputReader } from '../../../../engine/aws/s3/index.js';
import { count, readStream, window } from '../../../../engine/index.js';
import type { BatchPhase } from '../../../../engine/runtime/batch-runner.js';
import { type Emulators, startEmulators } from '../../../../local/emulators/index.js';
import { createOneShardStream, putAll } from '../../../support/kinesis-stream.js';

// `sluice backfill`'s engine: Trigger.AvailableNow over a deployed query's stream (or S3 JSON Lines),
// through the query's own handler, under its own name and checkpoints.

let emulators: Emulators;
let clients: AwsClients;
const tableName = 'sluice';
const bucket = 'outputs';
const MINUTE = 60_000;

beforeAll(async () => {
  emulators = await startEmulators();
  clients = {
    dynamodb: emulators.clients.documents,
    s3: emulators.clients.s3,
    kinesis: emulators.clients.kinesis,
  };
  await createStateTable(emulators.clients.dynamodb, tableName);
  await emulators.clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await emulators.clients.s3.send(new CreateBucketCommand({ Bucket: 'archive' }));
});
afterAll(async () => {
  await emulators?.stop();
});

const viewSchema = z.object({ page: z.string(), ts: z.number() });
const query = readStream('views', { eventTime: 'ts', schema: viewSchema, partitionKey: 'page' })
  .withWatermark('ts', '1 minute')
  .groupBy(window('ts', '1 minute'), 'page')
  .agg({ views: count() })
  .writeStream.queryName('views')
  .outputMode('append')
  .format('json')
  .build();

const view = (page: string, minute: number) => ({ page, ts: minute * MINUTE + 1_000 });
const entries = (rows: readonly { page: string; ts: number }[]) =>
  rows.map((row) => ({ data: row, partitionKey: row.page }));
const results = async (name: string) =>
  (await new S3OutputReader({ client: clients.s3, bucket, prefix: 'p', query: name }).readRows())
    .map((row) => `${row.page}@${(row.window as { start: number }).start / MINUTE}=${row.views}`)
    .sort();
const base = { tableName, bucket, prefix: 'p', query } as const;

describe('runBackfill over a Kinesis stream', () => {
  it('reads what the stream holds up to the bound, stops, and a rerun resumes after its commit', async () => {
    await createOneShardStream(emulators.clients.kinesis, 'views-a');
    await putAll(
      emulators.clients.kinesis,
      'views-a',
      entries([view('/a', 0), view('/a', 0), view('/b', 1), view('/a', 3)]),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    const bound = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await putAll(emulators.clients.kinesis, 'views-a', entries([view('/b', 9)]));

    const input = { kind: 'kinesis', stream: 'views-a' } as const;
    const first = await runBackfill({
      ...base,
      ...{ clients },
      name: 'views-a',
      input: { ...input, toMs: bound },
    });
    expect(first.shards).toEqual([
      expect.objectContaining({ shardId: 'shardId-000000000000', records: 4, lastBatchId: 1 }),
    ]);
    // The data batch and the no-data batch its watermark (3:01 - 1 min) makes due: [0,1) and [1,2) close.
    expect(await results('views-a')).toEqual(['/a@0=2', '/b@1=1']);

    const second = await runBackfill({ ...base, clients, name: 'views-a', input });
    expect(second.shards[0]).toMatchObject({ records: 1, batches: 2, lastBatchId: 3 });
    expect(await results('views-a')).toEqual(['/a@0=2', '/a@3=1', '/b@1=1']);
    // Nothing new: nothing runs.
    const third = await runBackfill({ ...base, clients, name: 'views-a', input });
    expect(third.shards[0]).toMatchObject({ records: 0, batches: 0, lastBatchId: 3 });
  }, 60_000);

  it('a batch that fails stops the backfill; the rerun replays it exactly: outputs equal a clean run', async () => {
    await createOneShardStream(emulators.clients.kinesis, 'views-b');
    const rows = Array.from({ length: 40 }, (_, i) => view(i % 3 === 0 ? '/a' : '/b', Math.floor(i / 4)));
    await putAll(emulators.clients.kinesis, 'views-b', entries(rows));
    const input = { kind: 'kinesis', stream: 'views-b' } as const;
    await runBackfill({ ...base, clients, name: 'clean', input, maxRecordsPerBatch: 7 });

    let crashes = 0;
    const hook = (phase: BatchPhase, batch: { batchId: number }) => {
      if (phase === 'addBatch' && batch.batchId === 2 && crashes++ === 0) throw new Error('simulated crash');
    };
    const failed = runBackfill({ ...base, clients, name: 'crashed', input, maxRecordsPerBatch: 7, hook });
    await expect(failed).rejects.toBeInstanceOf(BackfillFailedError);
    await expect(failed).rejects.toThrow(/simulated crash.*run the same backfill again/);
    expect(await results('crashed')).not.toEqual(await results('clean'));
    await runBackfill({ ...base, clients, name: 'crashed', input, maxRecordsPerBatch: 7, hook });
    expect(await results('crashed')).toEqual(await results('clean'));
    expect((await results('clean')).length).toBeGreaterThan(5);
  }, 60_000);
});

describe('runBackfill over S3 JSON Lines', () => {
  it('reads the objects in key order as one partition; bad lines become dead letters; reruns resume', async () => {
    const put = (key: string, lines: readonly string[]) =>
      emulators.clients.s3.send(
        new PutObjectCommand({ Bucket: 'archive', Key: key, Body: `${lines.join('\n')}\n` }),
      );
    await put('views/2026/01.jsonl', [JSON.stringify(view('/a', 0)), '', JSON.stringify(view('/b', 0))]);
    await put('views/2026/02.jsonl', [
      '{not json',
      JSON.stringify(view('/a', 0)),
      JSON.stringify(view('/a', 5)),
    ]);
    const input = { kind: 's3', bucket: 'archive', prefix: 'views/' } as const;
    const first = await runBackfill({ ...base, clients, name: 'archive', input });
    expect(first.shards).toEqual([expect.objectContaining({ shardId: S3_INPUT_SHARD, records: 5 })]);
    expect(await results('archive')).toEqual(['/a@0=2', '/b@0=1']);
    const reader = new S3OutputReader({ client: clients.s3, bucket, prefix: 'p', query: 'archive' });
    const letters = await reader.readDeadLetters();
    expect(letters.map((letter) => Buffer.from(letter.data ?? '', 'base64').toString())).toEqual([
      '{not json',
    ]);

    await put('views/2026/03.jsonl', [JSON.stringify(view('/c', 7))]);
    const second = await runBackfill({ ...base, clients, name: 'archive', input });
    expect(second.shards[0]).toMatchObject({ records: 1 });
    expect(await results('archive')).toEqual(['/a@0=2', '/a@5=1', '/b@0=1']);
  }, 60_000);
});
