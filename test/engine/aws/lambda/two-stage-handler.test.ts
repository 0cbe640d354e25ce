import type { Shard } from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { AwsClients } from '../../../../engine/aws/clients.js';
import { kinesisHandler } from '../../../../engine/aws/lambda/kinesis-handler.js';
import { S3OutputReader } from '../../../../engine/aws/s3/index.js';
import { type BatchPhase, count, readStream, sum, window } from '../../../../engine/index.js';
import type { Emulators } from '../../../../local/emulators/index.js';
import {
  createActiveStream,
  HANDLER_BUCKET,
  HANDLER_CONTEXT,
  HANDLER_TABLE,
  useHandlerEmulators,
} from '../../../support/handler-emulators.js';
import { kinesisEvent } from '../../../support/kinesis-events.js';
import { putAll, readWholeShard } from '../../../support/kinesis-stream.js';

/*
 * A two-stage query on Lambda, on the emulators (kinesalite, dynalite, s3rver, real SDK clients):
 * 4 source shards keyed by user, a count per campaign per window (a key producers do not
 * partition by), an internal stream of 2 shards. The handler is invoked per shard as the event
 * source mapping would, including redelivery from the reported batch item failure after crashes
 * in either stage; the S3 result table must equal a reference over all input.
 */

let emulators: Emulators;
let clients: AwsClients;
const tableName = HANDLER_TABLE;
const bucket = HANDLER_BUCKET;
const context = HANDLER_CONTEXT;
useHandlerEmulators((started, handlerClients) => {
  emulators = started;
  clients = handlerClients;
});

interface Click {
  user: string;
  campaign: string;
  ts: number;
  cost: number;
}

const stream = (name: string, shards: number) => createActiveStream(emulators.clients.kinesis, name, shards);

/** Deterministic clicks: users spread over the shards, campaigns independent of users. */
function clicks(from: number, n: number): Click[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return {
      user: `user-${(i * 7) % 23}`,
      campaign: `c${(i * 5 + Math.floor(i / 3)) % 6}`,
      ts: ((i * 7919) % 60) * 1000,
      cost: (i % 9) + 1,
    };
  });
}

describe('two-stage query on Lambda (emulators)', () => {
  it('stage 1 on 4 source shards, stage 2 on 2 internal shards: crashes and redeliveries in either stage change nothing', async () => {
    const source = await stream('clicks', 4);
    const internal = await stream('clicks-exchange', 2);
    const query = readStream<Click>('clicks', { partitionKey: 'user', eventTime: 'ts' })
      .withWatermark('ts', '1 hour')
      .filter((click) => {
        // A poison row: stage 1's isolation must set it aside with its source record's bytes.
        if (click.campaign === 'boom') throw new Error('campaign boom');
        return true;
      })
      .groupBy(window('ts', '10 seconds'), 'campaign')
      .agg({ n: count(), cost: sum('cost') })
      .writeStream.queryName('per-campaign')
      .outputMode('update')
      .format('json')
      .build();
    // Crash plan: the first time a batch reaches `phase` on a `stream/shard` listed here, the
    // "container" dies (shard ids repeat across streams).
    const crashes = new Map<string, BatchPhase>();
    let crashed = 0;
    let currentShard = '';
    const handler = kinesisHandler(query, {
      clients,
      tableName,
      bucket,
      prefix: 'two',
      exchangeStream: 'clicks-exchange',
      hook: (phase) => {
        if (crashes.get(currentShard) === phase) {
          crashes.delete(currentShard);
          crashed++;
          throw new Error(`simulated crash after ${phase} on ${currentShard}`);
        }
      },
    });
    const kinesis = emulators.clients.kinesis;
    /** What the event source mapping has checkpointed per shard (records before it are done). */
    const delivered = new Map<string, number>(); // by `stream/shard`
    let invocations = 0;
    const invoke = async (streamName: string, shard: Shard): Promise<boolean> => {
      const all = await readWholeShard(kinesis, streamName, shard.ShardId!);
      const from = delivered.get(`${streamName}/${shard.ShardId!}`) ?? 0;
      if (from >= all.length) return false;
      const records = all.slice(from);
      currentShard = `${streamName}/${shard.ShardId!}`;
      invocations++;
      const event: KinesisStreamEvent = kinesisEvent(records, { streamName, shardId: shard.ShardId! });
      const { batchItemFailures } = await handler(event, context);
      const failed = batchItemFailures[0]?.itemIdentifier;
      // Lambda checkpoints everything before the reported item and redelivers from it.
      delivered.set(
        `${streamName}/${shard.ShardId!}`,
        failed === undefined ? all.length : all.findIndex((r) => r.SequenceNumber === failed),
      );
      return true;
    };
    /** Runs the mapping until no shard of either stream has undelivered records. */
    const drain = async () => {
      for (let round = 0; round < 50; round++) {
        let any = false;
        for (const shard of source) any = (await invoke('clicks', shard)) || any;
        for (const shard of internal) any = (await invoke('clicks-exchange', shard)) || any;
        if (!any) return;
      }
      throw new Error('the streams did not drain');
    };
    const put = (rows: Click[]) =>
      putAll(
        kinesis,
        'clicks',
        rows.map((row) => ({ data: row, partitionKey: row.user })),
      );

    const sent = clicks(0, 240);
    await put(sent);
    // Stage-1 dead letters: a record that is not JSON and a poison row (its filter throws).
    const poison: Click = { user: 'user-3', campaign: 'boom', ts: 1_000, cost: 1 };
    await putAll(kinesis, 'clicks', [
      { data: '{"user": "user-5", not json', partitionKey: 'user-5' },
      { data: poison, partitionKey: poison.user },
    ]);
    // Stage 1 dies after its exchange puts (records and markers are in the internal stream) but
    // before committing; stage 2 dies after writing its output but before committing.
    crashes.set(`clicks/${source[1]!.ShardId!}`, 'addBatch');
    crashes.set(`clicks/${source[3]!.ShardId!}`, 'walCommit');
    crashes.set(`clicks-exchange/${internal[0]!.ShardId!}`, 'addBatch');
    crashes.set(`clicks-exchange/${internal[1]!.ShardId!}`, 'commitState');
    await drain();
    expect([...crashes]).toEqual([]);
    expect(crashed).toBe(4);
    const more = clicks(240, 160);
    sent.push(...more);
    await put(more);
    crashes.set(`clicks/${source[0]!.ShardId!}`, 'commitOffsets');
    crashes.set(`clicks-exchange/${internal[1]!.ShardId!}`, 'addBatch');
    await drain();
    expect(crashed).toBe(6);

    const expected = new Map<string, string>();
    const totals = new Map<string, { n: number; cost: number }>();
    for (const row of sent) {
      const key = `${Math.floor(row.ts / 10_000) * 10_000}/${row.campaign}`;
      const total = totals.get(key) ?? { n: 0, cost: 0 };
      totals.set(key, { n: total.n + 1, cost: total.cost + row.cost });
    }
    for (const [key, total] of totals) expected.set(key, `${total.n}/${total.cost}`);
    const reader = new S3OutputReader({ client: clients.s3, bucket, prefix: 'two', query: 'per-campaign' });
    const table = await reader.readRows({ view: 'table' });
    const actual = new Map(
      table.map((row) => [
        `${(row.window as { start: number }).start}/${row.campaign}`,
        `${row.n}/${row.cost}`,
      ]),
    );
    expect(actual).toEqual(expected);
    expect(totals.size).toBeGreaterThan(20);
    // Stage 1 wrote nothing to S3 under the query: its output is the internal stream.
    const stage1 = new S3OutputReader({
      client: clients.s3,
      bucket,
      prefix: 'two',
      query: 'per-campaign.stage-1',
    });
    expect(await stage1.readRows()).toEqual([]);
    // ...but its dead letters, once each despite the crashes, with the source records' bytes.
    const letters = await stage1.readDeadLetters();
    expect(letters.map((letter) => letter.reason.split(':')[0]).sort()).toEqual(['malformed JSON', 'poison']);
    const bytes = letters.map((letter) => Buffer.from(letter.data!, 'base64').toString()).sort();
    expect(bytes).toEqual([JSON.stringify(poison), '{"user": "user-5", not json'].sort());
    expect(letters.find((letter) => letter.reason.startsWith('poison'))?.partitionKey).toBe('user-3');
    expect(await reader.readDeadLetters()).toEqual([]);
    // Every internal shard got records and markers from every source shard.
    for (const shard of internal) {
      const records = await readWholeShard(kinesis, 'clicks-exchange', shard.ShardId!);
      const origins = new Set(records.map((r) => JSON.parse(Buffer.from(r.Data!).toString()).origin));
      expect([...origins].sort()).toEqual(source.map((s) => s.ShardId!).sort());
    }
    expect(invocations).toBeGreaterThan(12);
  });

  it('refuses a two-stage query without an internal stream, naming the setting', () => {
    const query = readStream<Click>('clicks', { partitionKey: 'user' })
      .groupBy('campaign')
      .agg({ n: count() })
      .writeStream.queryName('no-exchange')
      .outputMode('update')
      .build();
    expect(() => kinesisHandler(query, { clients, tableName, bucket, prefix: 'two' })).toThrow(
      /SLUICE_EXCHANGE_STREAM/,
    );
  });
});
