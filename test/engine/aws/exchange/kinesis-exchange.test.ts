import {
  CreateStreamCommand,
  DescribeStreamCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  PutRecordsCommand,
  type PutRecordsCommandOutput,
} from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KinesisExchange, listInternalShards } from '../../../../engine/aws/exchange/index.js';
import { bucketHashKey, bucketOfKey } from '../../../../engine/exchange/buckets.js';
import {
  type ExchangeRecord,
  ExchangeWriter,
  encodeExchangeRecord,
  type MarkerRecord,
  type RowsRecord,
} from '../../../../engine/exchange/index.js';
import { approxCountDistinct, count, planStages, type Row, sum, window } from '../../../../engine/index.js';
import { MemoryStream, SimulatedCrash, StreamTest } from '../../../../engine/testkit/index.js';
import { type Emulators, startEmulators } from '../../../../local/emulators/index.js';
import { readWholeShard } from '../../../support/kinesis-stream.js';

/*
 * The exchange on an internal Kinesis stream (kinesalite, real SDK clients): routing by explicit
 * hash key, packing under the 1 MiB record limit, PutRecords chunks under 500 records / 5 MiB,
 * retries of partially failed puts, and two-stage queries run by the test kit over it, with
 * crashes and replays, against a reference over all input.
 */

let emulators: Emulators;
let kinesis: KinesisClient;

beforeAll(async () => {
  emulators = await startEmulators();
  kinesis = emulators.clients.kinesis;
});
afterAll(async () => {
  await emulators?.stop();
});

async function internalStream(name: string, shards: number): Promise<KinesisExchange> {
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  for (let i = 0; i < 200; i++) {
    const described = await kinesis.send(new DescribeStreamCommand({ StreamName: name }));
    if (described.StreamDescription?.StreamStatus === 'ACTIVE') break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return new KinesisExchange({ client: kinesis, stream: name });
}

/**
 * A client that counts PutRecords calls and, while `failures` lasts, rejects every other entry as
 * throttled (every entry with `all`).
 */
function flakyClient(real: KinesisClient, failures: number, all = false) {
  const calls: number[] = [];
  let left = failures;
  const send = async (command: unknown) => {
    if (!(command instanceof PutRecordsCommand)) return real.send(command as never);
    const entries = command.input.Records ?? [];
    calls.push(entries.length);
    if (left <= 0) return real.send(command);
    left--;
    const accepted = (i: number) => !all && i % 2 === 0;
    const kept = entries.filter((_, i) => accepted(i));
    const response =
      kept.length === 0
        ? { Records: [] }
        : await real.send(new PutRecordsCommand({ ...command.input, Records: kept }));
    const results = entries.map((_, i) =>
      accepted(i)
        ? response.Records![i / 2]!
        : { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded for shard' },
    );
    return {
      ...response,
      FailedRecordCount: entries.length - kept.length,
      Records: results,
    } as PutRecordsCommandOutput;
  };
  return { client: { send } as unknown as KinesisClient, calls };
}

describe('KinesisExchange on kinesalite', () => {
  it('routes rows records by their bucket hash key, puts markers to every open shard, and reads them back, byte arrays included', async () => {
    const exchange = await internalStream('route', 3);
    const shards = await listInternalShards(kinesis, 'route');
    const sketch = new Uint8Array([0, 7, 255, 3]);
    // Bucket 128's hash key (2^127 + 2^119) lies in the second third of the hash space.
    expect(bucketHashKey(128)).toBe((1n << 127n) + (1n << 119n));
    const rows: ExchangeRecord = {
      v: 2,
      kind: 'rows',
      origin: 'shardId-000000000001',
      batchId: 4,
      bucket: 128,
      index: 0,
      rows: [{ campaign: 'a', __sluicePartial: { v: 1, a: [2, sketch], n: 2 } }],
    };
    const marker: MarkerRecord = {
      v: 2,
      kind: 'marker',
      origin: 'shardId-000000000001',
      batchId: 4,
      maxEventTimeMs: 9,
      records: { 128: 1 },
    };
    await exchange.put([rows]);
    await exchange.putMarker(marker);
    const [first, second, third] = shards.map((shard) => shard.shardId) as [string, string, string];
    const read = await exchange.read(second, undefined);
    expect(read.map((r) => r.record)).toEqual([rows, marker]);
    const partial = (read[0]!.record as unknown as { rows: Row[] }).rows[0]!.__sluicePartial as {
      a: unknown[];
    };
    expect(partial.a[1]).toBeInstanceOf(Uint8Array);
    expect((await exchange.read(first, undefined)).map((r) => r.record)).toEqual([marker]);
    expect((await exchange.read(third, undefined)).map((r) => r.record)).toEqual([marker]);
    // (after, upTo] by sequence number.
    expect((await exchange.read(second, read[0]!.position)).map((r) => r.record)).toEqual([marker]);
    expect((await exchange.read(second, undefined, read[0]!.position)).map((r) => r.record)).toEqual([rows]);
    // The partitions are the shards, with their hash ranges.
    const lineage = await exchange.partitions();
    expect([...lineage.keys()].sort()).toEqual([first, second, third].sort());
    expect(lineage.get(second)!.hashRange.start).toBe(BigInt(shards[1]!.startingHashKey));
  });

  it('packs rows into as few records as fit under 1 MiB and splits PutRecords at 5 MiB', async () => {
    const base = await internalStream('pack', 1);
    const { client, calls } = flakyClient(kinesis, 0);
    const exchange = new KinesisExchange({ client, stream: 'pack' });
    const clicks = new MemoryStream<{ user: string; id: string; blob: string }>('clicks');
    const query = clicks
      .toStream({ partitionKey: 'user' })
      .dropDuplicates(['id'])
      .writeStream.queryName('big')
      .outputMode('append')
      .build();
    const writer = new ExchangeWriter({
      spec: planStages(query).exchange!,
      transport: exchange,
      origin: 's0',
    });
    // 30 rows of ~300 KB in one bucket: 3 fit in a record, so 10 records (~9 MiB): two PutRecords calls.
    const blob = 'x'.repeat(300 * 1024);
    const ids = Array.from({ length: 20_000 }, (_, i) => `i${i}`).filter(
      (id) => bucketOfKey(JSON.stringify([id])) === 7,
    );
    const rows = ids.slice(0, 30).map((id, i) => ({ user: `u${i}`, id, blob }));
    await writer.addBatch(0, rows, { batch: {} as never, deadLetters: [] });
    const read = await base.read((await listInternalShards(kinesis, 'pack'))[0]!.shardId, undefined);
    const data = read.filter((r) => r.record.kind === 'rows');
    expect(data.map((r) => (r.record as unknown as { rows: Row[] }).rows.length)).toEqual(Array(10).fill(3));
    for (const r of data) expect(encodeExchangeRecord(r.record).byteLength).toBeLessThanOrEqual(1024 * 1024);
    expect(read.at(-1)!.record.kind).toBe('marker');
    expect(calls).toEqual([5, 5, 1]); // records ≤ 5 MiB per call, then the marker
  });

  it('retries the entries of a partially failed PutRecords until every one is acknowledged, once each', async () => {
    await internalStream('flaky', 2);
    const { client, calls } = flakyClient(kinesis, 2);
    const exchange = new KinesisExchange({ client, stream: 'flaky', backoffMs: () => 1 });
    const records: RowsRecord[] = Array.from({ length: 8 }, (_, index) => ({
      v: 2,
      kind: 'rows',
      origin: 's0',
      batchId: 0,
      bucket: 3,
      index,
      rows: [{ n: index }],
    }));
    await exchange.put(records);
    expect(calls).toEqual([8, 4, 2]);
    const stored = await readWholeShard(
      kinesis,
      'flaky',
      (await listInternalShards(kinesis, 'flaky'))[0]!.shardId,
    );
    const indices = stored.map((r) => JSON.parse(Buffer.from(r.Data!).toString()).index as number);
    expect([...indices].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('gives up with SLUICE_EXCHANGE_PUT_FAILED when entries keep failing', async () => {
    await internalStream('stuck', 1);
    const { client, calls } = flakyClient(kinesis, 100, true);
    const exchange = new KinesisExchange({ client, stream: 'stuck', putAttempts: 3, backoffMs: () => 1 });
    const record: RowsRecord = {
      v: 2,
      kind: 'rows',
      origin: 's0',
      batchId: 0,
      bucket: 0,
      index: 0,
      rows: [],
    };
    await expect(exchange.put([record, record, record, record])).rejects.toMatchObject({
      code: 'SLUICE_EXCHANGE_PUT_FAILED',
      context: { failed: 4, attempts: 3 },
    });
    expect(calls).toEqual([4, 4, 4]);
  });

  it('a read whose start passed the retention fails with SLUICE_EXCHANGE_GAP, or with tolerateTrim reads on and reports it', async () => {
    const real = await internalStream('trimmed', 1);
    const [shard] = (await listInternalShards(kinesis, 'trimmed')).map((s) => s.shardId) as [string];
    await real.put(
      [0, 1, 2].map((index) => ({
        v: 2,
        kind: 'rows',
        origin: 's0',
        batchId: 0,
        bucket: 0,
        index,
        rows: [],
      })),
    );
    const [p1, p2, p3] = (await real.read(shard, undefined)).map((r) => r.position) as [
      string,
      string,
      string,
    ];
    // The same read on the real client is contiguous: the record at p1 is still held.
    expect((await real.read(shard, p1)).map((r) => r.position)).toEqual([p2, p3]);
    // Past the retention, an iterator at p1 starts at the oldest record still held (here: p2).
    const send = (command: unknown) =>
      command instanceof GetShardIteratorCommand && command.input.ShardIteratorType === 'AT_SEQUENCE_NUMBER'
        ? kinesis.send(
            new GetShardIteratorCommand({ ...command.input, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER' }),
          )
        : kinesis.send(command as never);
    const reports: unknown[] = [];
    const trimmed = new KinesisExchange({
      client: { send } as unknown as KinesisClient,
      stream: 'trimmed',
      onTrimmed: (read) => reports.push(read),
    });
    await expect(trimmed.read(shard, p1)).rejects.toMatchObject({
      code: 'SLUICE_EXCHANGE_GAP',
      context: { partition: shard, after: p1, firstHeld: p2 },
    });
    expect(reports).toEqual([]);
    expect((await trimmed.read(shard, p1, undefined, { tolerateTrim: true })).map((r) => r.position)).toEqual(
      [p2, p3],
    );
    expect(reports).toEqual([{ shardId: shard, after: p1, firstHeld: p2 }]);
  });

  it('runs a two-stage query over the internal stream: crashes and replays of either stage change nothing', async () => {
    const exchange = await internalStream('two-stage', 2);
    const clicks = new MemoryStream<{ user: string; campaign: string; ts: number }>('clicks');
    const query = clicks
      .toStream({ partitionKey: 'user', eventTime: 'ts' })
      .withWatermark('ts', '1 hour')
      .groupBy(window('ts', '10 seconds'), 'campaign')
      .agg({ n: count(), users: approxCountDistinct('user'), total: sum('ts') })
      .writeStream.queryName('per-campaign')
      .outputMode('update')
      .build();
    const sources = ['s0', 's1', 's2', 's3'];
    const test = new StreamTest(query, [clicks], { partitions: sources, exchangeTransport: exchange });
    const [internal0, internal1] = (await listInternalShards(kinesis, 'two-stage')).map(
      (shard) => shard.shardId,
    ) as [string, string];
    const sent: { user: string; campaign: string; ts: number }[] = [];
    const add = (source: number, n: number, seed: number) => {
      const rows = Array.from({ length: n }, (_, i) => ({
        user: `u${(seed + i) % 7}`,
        campaign: ['a', 'b', 'c', 'd', 'e'][(seed * 3 + i) % 5]!,
        ts: ((seed * 7919 + i * 104729) % 40) * 1000,
      }));
      sent.push(...rows);
      clicks.addDataTo(sources[source]!, ...rows);
    };
    add(0, 20, 1);
    add(1, 15, 2);
    await test.runOneBatch('s0');
    // Stage 1 crashes after its puts (records and markers are in the stream) but before its commit.
    test.crashAfter('addBatch');
    await expect(test.runOneBatch('s1')).rejects.toBeInstanceOf(SimulatedCrash);
    await test.runOneBatch(internal0); // applies s1's batch from the stream already
    await test.runOneBatch('s1'); // the replay re-puts identical records and marker
    add(2, 30, 3);
    add(3, 5, 4);
    await test.processAllAvailable();
    // Replay a stage-1 batch stage 2 already applied, and a stage-2 batch.
    test.checkpointsOf('s2').reopenLastBatch();
    test.stop();
    await test.runOneBatch('s2');
    test.checkpointsOf(internal1).reopenLastBatch();
    test.stop();
    await test.runOneBatch(internal1);
    add(0, 10, 5);
    await test.processAllAvailable();

    const expected = new Map<string, number>();
    for (const row of sent) {
      const key = `${Math.floor(row.ts / 10_000) * 10_000}/${row.campaign}`;
      expected.set(key, (expected.get(key) ?? 0) + 1);
    }
    const table = test.sink.latestByKey(
      (row) => `${(row.window as { start: number }).start}/${row.campaign}`,
    );
    expect(
      new Map(table.map((row) => [`${(row.window as { start: number }).start}/${row.campaign}`, row.n])),
    ).toEqual(expected);
    // The reader's offsets are Kinesis sequence numbers, stored in stage 2's checkpoint.
    const committed = (await test.checkpointsOf(internal0).load())!.committed!;
    expect((committed.endOffsets['per-campaign.exchange'] as { pos: string }).pos).toMatch(/^\d{20,}$/);
  });
});
