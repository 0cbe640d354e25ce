import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRecordDecoder,
  createRefetch,
  KinesisBatchSource,
  readShardOffset,
  shardIdOf,
  shardOffsets,
} from '../../../../engine/aws/kinesis/index.js';
import { RequestCounter } from '../../../../engine/aws/request-counter.js';
import { type Emulators, startEmulators } from '../../../../local/emulators/index.js';
import { kinesisEvent } from '../../../support/kinesis-events.js';
import { createOneShardStream, putAll, readWholeShard } from '../../../support/kinesis-stream.js';
import { viewOf } from './batch-input-view.js';

// kinesis-local (kinesis-mock) is the faithful but slow Kinesis: a handful of records only.
let aws: Emulators;
let kinesis: KinesisClient;
const stream = 'views-fidelity';

beforeAll(async () => {
  aws = await startEmulators({ kinesis: 'kinesis-local' });
  kinesis = aws.clients.kinesis;
  await createOneShardStream(kinesis, stream);
  await putAll(kinesis, stream, [
    { data: { page: 'a', ts: 1_000 }, partitionKey: 'a' },
    { data: { page: 'b', ts: '1970-01-01T00:00:02Z' }, partitionKey: 'b' },
    { heartbeat: true },
    { data: 'not json', partitionKey: 'c' },
    { data: { page: 'd', ts: 4_000 }, partitionKey: 'x' },
    { data: { page: 'e', ts: 5_000 }, partitionKey: 'e' },
  ]);
}, 120_000);
afterAll(async () => {
  await aws?.stop();
});

describe('KinesisBatchSource against kinesis-local', () => {
  it('re-fetches a bisected event to the same batch, and stops at the tip on a short range', async () => {
    const stored = await readWholeShard(kinesis, stream, 'shardId-000000000000');
    expect(stored).toHaveLength(6);
    const event = kinesisEvent(stored, { streamName: stream, region: aws.region }).Records;
    const decode = createRecordDecoder({
      sources: [{ name: 'views', eventTime: 'ts', partitionKey: 'page' }],
    });
    const counter = new RequestCounter();
    const refetch = createRefetch({
      client: kinesis,
      stream: event[0]!.eventSourceARN,
      shardId: shardIdOf(event[0]!),
      requestCounter: counter,
    });

    const full = new KinesisBatchSource({ records: event, decode });
    const end = (await full.nextEndOffsets({}))!;
    const expected = await viewOf(full.getBatch({}, end));
    expect(expected.rows.get('views')?.map((row) => [row.page, row.ts])).toEqual([
      ['a', 1_000],
      ['b', 2_000],
      ['e', 5_000],
    ]);
    expect(expected.deadLetters.map((d) => d.reason)).toEqual([
      expect.stringMatching(/^malformed JSON: /),
      'partition key mismatch: record has "x", query expects "d"',
    ]);

    const bisected = new KinesisBatchSource({ records: event.slice(0, 3), decode, refetch });
    expect(await viewOf(bisected.getBatch({}, end))).toEqual(expected);
    expect(counter.take()).toEqual({ 'Kinesis.GetShardIterator': 1, 'Kinesis.GetRecords': 1 });

    // A range that claims records past the open shard's tip: the refetch stops there.
    const pastTip = (BigInt(readShardOffset(end)!.seq) + 10n ** 30n).toString();
    const tooMany = shardOffsets({ ...readShardOffset(end)!, seq: pastTip, count: 7 });
    await expect(bisected.getBatch({}, tooMany)).rejects.toMatchObject({
      context: { expected: 7, found: 6 },
    });
    expect(counter.take()['Kinesis.GetRecords']).toBeLessThanOrEqual(3);
  });
});
