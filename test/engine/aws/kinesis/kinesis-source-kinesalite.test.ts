import type { _Record, KinesisClient } from '@aws-sdk/client-kinesis';
import type { KinesisStreamRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createRecordDecoder,
  createRefetch,
  KinesisBatchSource,
  readShardOffset,
  shardIdOf,
  shardOffsets,
} from '../../../../engine/aws/kinesis/index.js';
import { RequestCounter } from '../../../../engine/aws/request-counter.js';
import type { Offsets } from '../../../../engine/index.js';
import { type Emulators, startEmulators } from '../../../../local/emulators/index.js';
import { kinesisEvent } from '../../../support/kinesis-events.js';
import {
  createOneShardStream,
  type PutEntry,
  putAll,
  readWholeShard,
  splitShard,
} from '../../../support/kinesis-stream.js';
import { viewOf } from './batch-input-view.js';

let aws: Emulators;
let kinesis: KinesisClient;
let stored: _Record[];
let event: KinesisStreamRecord[];
const stream = 'views-refetch';

const decode = createRecordDecoder({
  sources: [
    {
      name: 'views',
      eventTime: 'ts',
      schema: z.object({ page: z.string(), user: z.string(), ts: z.number() }),
      partitionKey: 'page',
    },
  ],
});

/** 40 records: mostly good views, some bad ones, two heartbeats. */
function corpus(): PutEntry[] {
  return Array.from({ length: 40 }, (_, i): PutEntry => {
    if (i === 7 || i === 31) return { heartbeat: true };
    if (i % 9 === 4) return { data: `{"page": "p${i}"`, partitionKey: `p${i}` }; // malformed JSON
    if (i % 11 === 5)
      return { data: { page: `p${i % 3}`, user: i, ts: i * 1000 }, partitionKey: `p${i % 3}` };
    return {
      data: {
        page: `p${i % 3}`,
        user: `u${i}`,
        ts: i % 2 === 0 ? i * 1000 : new Date(i * 1000).toISOString(),
      },
      partitionKey: `p${i % 3}`,
    };
  });
}

beforeAll(async () => {
  aws = await startEmulators();
  kinesis = aws.clients.kinesis;
  await createOneShardStream(kinesis, stream);
  await putAll(kinesis, stream, corpus());
  stored = await readWholeShard(kinesis, stream, 'shardId-000000000000');
  event = kinesisEvent(stored, { streamName: stream, region: aws.region }).Records;
});
afterAll(async () => {
  await aws?.stop();
});

function sourceOver(
  records: readonly KinesisStreamRecord[],
  counter?: RequestCounter,
  maxRecordsPerBatch?: number,
) {
  const first = event[0]!;
  return new KinesisBatchSource({
    records,
    decode,
    refetch: createRefetch({
      client: kinesis,
      stream: first.eventSourceARN,
      shardId: shardIdOf(first),
      ...(counter === undefined ? {} : { requestCounter: counter }),
    }),
    ...(maxRecordsPerBatch === undefined ? {} : { maxRecordsPerBatch }),
  });
}

describe('KinesisBatchSource against a kinesalite stream', () => {
  it('decodes a real event: 40 records, 38 of them input, bad ones as dead letters', async () => {
    expect(stored).toHaveLength(40);
    const source = sourceOver(event);
    const end = (await source.nextEndOffsets({}))!;
    expect(readShardOffset(end)).toEqual({
      seq: event[39]!.kinesis.sequenceNumber,
      count: 40,
      first: event[0]!.kinesis.sequenceNumber,
    });
    const batch = await source.getBatch({}, end);
    const malformed = 3; // records 4, 13, 22 (31 is a heartbeat)
    const wrongType = 4; // records 5, 16, 27, 38: user is a number
    expect(batch.deadLetters.map((d) => d.reason.split(':')[0])).toEqual(
      expect.arrayContaining(['malformed JSON', 'schema']),
    );
    expect(batch.deadLetters).toHaveLength(malformed + wrongType);
    expect(batch.rows.get('views')).toHaveLength(40 - 2 - malformed - wrongType);
    expect(batch.rows.get('views')!.every((row) => typeof row.ts === 'number')).toBe(true);
  });

  it('re-fetches what a bisected or shifted redelivery lacks, and the replay equals the full batch', async () => {
    const end = (await sourceOver(event).nextEndOffsets({}))!;
    const expected = await viewOf(sourceOver(event).getBatch({}, end));
    for (const subset of [event.slice(0, 20), event.slice(20), event.slice(13, 27), []]) {
      const counter = new RequestCounter();
      const replayed = await viewOf(sourceOver(subset, counter).getBatch({}, end));
      expect(replayed).toEqual(expected);
      expect(counter.take()).toEqual({ 'Kinesis.GetShardIterator': 1, 'Kinesis.GetRecords': 1 });
    }
  });

  it('replays a later batch of the shard (non-empty start) from a superset event', async () => {
    const planner = sourceOver(event, undefined, 12);
    const ends: Offsets[] = [];
    let committed: Offsets = {};
    for (
      let end = await planner.nextEndOffsets(committed);
      end !== undefined;
      end = await planner.nextEndOffsets(committed)
    ) {
      ends.push(end);
      committed = end;
    }
    expect(ends.map((end) => readShardOffset(end)!.count)).toEqual([13, 12, 13, 2]); // heartbeats ride along
    const [first, second] = ends as [Offsets, Offsets];
    const expected = await viewOf(planner.getBatch(first, second));
    // A later invocation holds only the tail of the second batch and everything after it.
    const counter = new RequestCounter();
    expect(await viewOf(sourceOver(event.slice(20), counter).getBatch(first, second))).toEqual(expected);
    expect(counter.take()['Kinesis.GetRecords']).toBe(1);
    // The full event needs no Kinesis call.
    const quiet = new RequestCounter();
    await sourceOver(event, quiet).getBatch(first, second);
    expect(quiet.take()).toEqual({});
  });

  it('reports a range Kinesis cannot give back in full instead of replaying something else', async () => {
    const real = readShardOffset((await sourceOver(event).nextEndOffsets({}))!)!;
    const tooMany = shardOffsets({ ...real, count: real.count + 1 });
    await expect(sourceOver(event.slice(0, 5)).getBatch({}, tooMany)).rejects.toMatchObject({
      code: 'SLUICE_KINESIS_RANGE_MISMATCH',
      context: { expected: 41, found: 40 },
    });
  });

  it('reads a closed (split) shard back and stops at its end', async () => {
    const closedStream = 'views-closed';
    await createOneShardStream(kinesis, closedStream);
    await putAll(kinesis, closedStream, corpus().slice(0, 6));
    const parentRecords = await readWholeShard(kinesis, closedStream, 'shardId-000000000000');
    await splitShard(kinesis, closedStream, 'shardId-000000000000');
    const parentEvent = kinesisEvent(parentRecords, { streamName: closedStream }).Records;
    const counter = new RequestCounter();
    const source = new KinesisBatchSource({
      records: parentEvent.slice(4),
      decode,
      refetch: createRefetch({
        client: kinesis,
        stream: closedStream,
        shardId: 'shardId-000000000000',
        requestCounter: counter,
      }),
    });
    const whole = (await new KinesisBatchSource({ records: parentEvent, decode }).nextEndOffsets({}))!;
    const replayed = await source.getBatch({}, whole);
    expect(replayed.rows.get('views')).toHaveLength(4); // records 4 and 5 are bad
    expect(replayed.deadLetters).toHaveLength(2);
    // A range claiming records past the shard's end: the refetch must stop at the closed end.
    const pastEnd = (BigInt(readShardOffset(whole)!.seq) + 10n ** 30n).toString();
    const beyond = shardOffsets({ ...readShardOffset(whole)!, seq: pastEnd, count: 9 });
    counter.take();
    await expect(source.getBatch({}, beyond)).rejects.toMatchObject({ context: { expected: 9, found: 6 } });
    expect(counter.take()['Kinesis.GetRecords']).toBeLessThanOrEqual(3); // no spinning on the closed shard
  });
});
