import { CreateStreamCommand, DescribeStreamCommand, type Shard } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayDeadLetters, summarizeReplay } from '../../../cli/dead-letters/replay.js';
import { selectDeadLetters } from '../../../cli/dead-letters/select.js';
import { readQueryStatus } from '../../../cli/status/query-status.js';
import { renderStatus } from '../../../cli/status/render.js';
import { localTarget } from '../../../cli/target/resolve.js';
import type { Target } from '../../../cli/target/target.js';
import { createStateTable } from '../../../engine/aws/dynamodb/index.js';
import {
  ExchangeDeadLetterSink,
  QueryObjects,
  writeDeadLettersAndManifest,
} from '../../../engine/aws/s3/index.js';
import type { DeadLetter } from '../../../engine/runtime/dead-letter.js';
import { type Emulators, startEmulators } from '../../../local/emulators/index.js';
import { readWholeShard } from '../../support/kinesis-stream.js';

/*
 * A two-stage query's dead letters as the operator tools see them (real S3, Kinesis and DynamoDB
 * emulators): stage 1 keeps its letters under `<query>.stage-1` (and, for a query over several
 * source streams, `<query>.stage-1.<source>`); `selectDeadLetters` shows every stage's, labelled;
 * `replayDeadLetters` sends stage-1 letters back to their source stream (never the internal one)
 * and never sends stage-2 letters (exchange rows).
 */

let emulators: Emulators;
let target: Target;
const bucket = 'outputs';
const prefix = 'ops';

const letter = (reason: string, data?: string, partitionKey?: string): DeadLetter => ({
  reason,
  ...(data === undefined ? {} : { data: Buffer.from(data).toString('base64') }),
  ...(partitionKey === undefined ? {} : { partitionKey, position: `4960${reason.length}` }),
});

async function stream(name: string, shards: number): Promise<Shard[]> {
  const kinesis = emulators.clients.kinesis;
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  for (let i = 0; i < 200; i++) {
    const described = await kinesis.send(new DescribeStreamCommand({ StreamName: name }));
    if (described.StreamDescription?.StreamStatus === 'ACTIVE') return described.StreamDescription.Shards!;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`stream ${name} did not become ACTIVE`);
}

async function allRecords(name: string, shards: Shard[]): Promise<string[]> {
  const records = await Promise.all(
    shards.map((shard) => readWholeShard(emulators.clients.kinesis, name, shard.ShardId!)),
  );
  return records.flat().map((record) => Buffer.from(record.Data!).toString());
}

beforeAll(async () => {
  emulators = await startEmulators();
  await emulators.clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await createStateTable(emulators.clients.dynamodb, 'state');
  target = localTarget({
    formatVersion: 1,
    pid: process.pid,
    startedAt: new Date().toISOString(),
    region: emulators.region,
    credentials: { ...emulators.credentials },
    endpoints: { ...emulators.endpoints },
    queries: [
      {
        name: 'per-campaign',
        stream: 'clicks',
        table: 'state',
        bucket,
        prefix,
        sources: ['clicks'],
        exchangeStream: 'per-campaign-exchange',
      },
      { name: 'joined', stream: 'orders', table: 'state', bucket, prefix, sources: ['orders', 'payments'] },
      { name: 'payments-feed', stream: 'payments', table: 'state', bucket, prefix, sources: ['payments'] },
      // A query whose name merely starts like a stage 1 of another is not one.
      {
        name: 'per-campaign.stage-10',
        stream: 'clicks',
        table: 'state',
        bucket,
        prefix,
        sources: ['clicks'],
      },
    ],
    backfills: [],
  });
});
afterAll(async () => {
  target?.close();
  await emulators?.stop();
});

describe('dead letters of a two-stage query', () => {
  it('lists both stages, labelled; replays stage 1 to the source stream and never stage 2', async () => {
    const source = await stream('clicks', 2);
    const internal = await stream('per-campaign-exchange', 1);
    const at = (query: string) => QueryObjects.at({ client: emulators.clients.s3, bucket, prefix, query });
    // Stage 1 through its sink (the exchange writer is stubbed: only the S3 side is under test here).
    const stageOne = new ExchangeDeadLetterSink({
      inner: { description: 'exchange', addBatch: async () => {} },
      client: emulators.clients.s3,
      bucket,
      prefix,
      query: 'per-campaign.stage-1',
      shard: 'shardId-000000000001',
      outputMode: 'update',
    });
    const batch = { batchId: 3 } as never;
    await stageOne.addBatch(3, [], {
      batch,
      deadLetters: [
        letter('malformed JSON: x', '{"user":"u1", bad', 'u1'),
        letter('poison: campaign boom', '{"user":"u2","campaign":"boom"}', 'u2'),
      ],
    });
    // A batch without dead letters writes nothing.
    await stageOne.addBatch(4, [], { batch, deadLetters: [] });
    expect(await at('per-campaign.stage-1').list('')).toEqual([
      '_dead/00000000000000000003-shardId-000000000001.jsonl',
      '_manifest/00000000000000000003.json',
    ]);
    // Stage 2: a poison exchange row (a partial aggregate), no source bytes.
    await writeDeadLettersAndManifest(
      at('per-campaign'),
      {
        query: 'per-campaign',
        batchId: 3,
        shard: 'shardId-000000000000',
        outputMode: 'update',
        sink: 'files',
        format: 'jsonl',
        partitionBy: [],
        keyColumns: null,
        columns: [],
        files: [],
        objects: [],
        totalRows: 0,
      },
      [{ reason: 'poison: state too large', row: { campaign: 'c1', __sluicePartial: { n: 40 } } }],
    );
    // Not a stage of per-campaign: its letters stay out.
    await writeDeadLettersAndManifest(
      at('per-campaign.stage-10'),
      {
        query: 'per-campaign.stage-10',
        batchId: 0,
        shard: 'shardId-000000000000',
        outputMode: 'append',
        sink: 'files',
        format: 'jsonl',
        partitionBy: [],
        keyColumns: null,
        columns: [],
        files: [],
        objects: [],
        totalRows: 0,
      },
      [letter('other query', 'x', 'k')],
    );

    const query = target.query('per-campaign');
    const letters = await selectDeadLetters(target, query, {});
    expect(letters.map((one) => [one.stage, one.batchId, one.reason])).toEqual([
      ['stage-1', 3, 'malformed JSON: x'],
      ['stage-1', 3, 'poison: campaign boom'],
      ['stage-2', 3, 'poison: state too large'],
    ]);
    expect((await selectDeadLetters(target, query, { stage: '2' })).map((one) => one.stage)).toEqual([
      'stage-2',
    ]);
    expect(await selectDeadLetters(target, query, { stage: 'stage-1', reason: 'poison' })).toHaveLength(1);

    const dry = await replayDeadLetters(target, query, letters, { dryRun: true });
    expect(dry.replayed).toHaveLength(2);
    expect(dry.exchangeRows).toBe(1);
    expect(summarizeReplay('per-campaign', dry)).toBe(
      'would replay 2 dead letters of per-campaign to clicks (batch 3); 1 of stage 2 not replayed ' +
        '(exchange rows, not source records: sluice dead-letters per-campaign --stage 2 --format jsonl exports them)',
    );
    // Never to the internal stream, even when asked.
    await expect(
      replayDeadLetters(target, query, letters, { stream: 'per-campaign-exchange' }),
    ).rejects.toThrow(/internal \(exchange\) stream/);

    const report = await replayDeadLetters(target, query, letters, {});
    expect(report.stream).toBe('clicks');
    expect(report.replayed.map((one) => one.stage)).toEqual(['stage-1', 'stage-1']);
    expect((await allRecords('clicks', source)).sort()).toEqual([
      '{"user":"u1", bad',
      '{"user":"u2","campaign":"boom"}',
    ]);
    expect(await allRecords('per-campaign-exchange', internal)).toEqual([]);
    // Recorded under stage 1's root: a second replay sends nothing.
    expect(await at('per-campaign.stage-1').list('_dead/_replayed/')).toHaveLength(1);
    const again = await replayDeadLetters(target, query, letters, {});
    expect([again.replayed.length, again.alreadyReplayed]).toEqual([0, 2]);

    // status: both stages, labelled, with their dead letters.
    const status = await readQueryStatus(target, query, { lag: false });
    expect(status.stages?.map((stage) => [stage.query, stage.deadLetterBatches])).toEqual([
      ['per-campaign.stage-1', 1],
      ['per-campaign', 1],
    ]);
    const text = renderStatus(status);
    expect(text).toContain('per-campaign · stage-1 (per-campaign.stage-1) ← stream clicks');
    expect(text).toContain('per-campaign · stage-2 (per-campaign) ← stream per-campaign-exchange');
    expect(text).toContain('dead letters in 1 batch: sluice dead-letters per-campaign');
  });

  it('finds several stage 1s by prefix and sends each to its own source stream', async () => {
    const orders = await stream('orders', 1);
    const payments = await stream('payments', 1);
    for (const [name, data] of [
      ['joined.stage-1.orders', '{"order":1'],
      ['joined.stage-1.payments', '{"payment":1'],
    ] as const) {
      await new ExchangeDeadLetterSink({
        inner: { description: 'exchange', addBatch: async () => {} },
        client: emulators.clients.s3,
        bucket,
        prefix,
        query: name,
        shard: 'shardId-000000000000',
        outputMode: 'append',
      }).addBatch(0, [], {
        batch: { batchId: 0 } as never,
        deadLetters: [letter('malformed JSON', data, 'k')],
      });
    }
    const query = target.query('joined');
    const letters = await selectDeadLetters(target, query, {});
    expect(letters.map((one) => one.stage)).toEqual(['stage-1.orders', 'stage-1.payments']);
    expect(await selectDeadLetters(target, query, { stage: 'stage-1.payments' })).toHaveLength(1);
    await expect(replayDeadLetters(target, query, letters, { stream: 'orders' })).rejects.toThrow(
      /several source streams.*--stage/,
    );
    const report = await replayDeadLetters(target, query, letters, {});
    expect(report.replayed).toHaveLength(2);
    expect(await allRecords('orders', orders)).toEqual(['{"order":1']);
    expect(await allRecords('payments', payments)).toEqual(['{"payment":1']);
  });
});
