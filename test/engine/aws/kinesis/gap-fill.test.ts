import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createGapFetch,
  type FetchGap,
  fillGap,
  fromGetRecords,
  HEARTBEAT_PARTITION_KEY,
  heartbeatRecordData,
  type ShardRecord,
} from '../../../../engine/aws/kinesis/index.js';
import { type Emulators, startEmulators } from '../../../../local/emulators/index.js';
import { fakeSequenceNumber } from '../../../support/kinesis-events.js';
import { createOneShardStream, putAll, readWholeShard } from '../../../support/kinesis-stream.js';

const shardId = 'shardId-000000000000';
const data = (i: number): ShardRecord => ({
  sequenceNumber: fakeSequenceNumber(i),
  partitionKey: `k${i}`,
  data: Buffer.from(JSON.stringify({ i })).toString('base64'),
});
const heartbeat = (i: number): ShardRecord => ({
  sequenceNumber: fakeSequenceNumber(i),
  partitionKey: HEARTBEAT_PARTITION_KEY,
  data: Buffer.from(heartbeatRecordData(1)).toString('base64'),
});
const seqs = (records: readonly ShardRecord[]) => records.map((record) => record.sequenceNumber);

/** A shard holding `held` (a trimmed shard: `afterHeld` false), read by the real gap rules. */
function shardOf(held: readonly ShardRecord[], afterHeld = true) {
  const calls: Array<[string, string, number]> = [];
  const fetch: FetchGap = async (after, before, limit) => {
    calls.push([after, before, limit]);
    const between = held.filter(
      (r) => BigInt(r.sequenceNumber) > BigInt(after) && BigInt(r.sequenceNumber) < BigInt(before),
    );
    return { records: between.slice(0, limit), complete: between.length <= limit, afterHeld };
  };
  return { fetch, calls };
}

describe('fillGap (the decision; Kinesis faked only for a trimmed shard, which kinesalite cannot be)', () => {
  const event = [data(6), data(7)];
  const keys = seqs(event);

  it('reads nothing when the event holds a record at or before the committed position', async () => {
    const { fetch, calls } = shardOf([]);
    const filled = await fillGap(
      [data(2), ...event],
      [fakeSequenceNumber(2), ...keys],
      fakeSequenceNumber(2),
      fetch,
      10,
    );
    expect(calls).toEqual([]);
    expect(filled.gap).toBeUndefined();
    expect(seqs(filled.records)).toEqual(seqs([data(2), ...event]));
  });

  it('puts the missing records in front, and only the gap when it is larger than the cap', async () => {
    const { fetch } = shardOf([data(3), heartbeat(4), data(5)]);
    const whole = await fillGap(event, keys, fakeSequenceNumber(2), fetch, 10);
    expect(seqs(whole.records)).toEqual(seqs([data(3), heartbeat(4), data(5), ...event]));
    expect(whole.gap).toEqual({
      after: fakeSequenceNumber(2),
      before: fakeSequenceNumber(6),
      records: 2, // the heartbeat is in the range but is no data
      complete: true,
      pastRetention: false,
    });
    const capped = await fillGap(event, keys, fakeSequenceNumber(2), fetch, 2);
    expect(seqs(capped.records)).toEqual(seqs([data(3), heartbeat(4)]));
    expect(capped.gap).toMatchObject({ records: 1, complete: false });
  });

  it('leaves a gap of heartbeats out, so batch ranges stay those of a check-free run', async () => {
    const { fetch } = shardOf([heartbeat(3), heartbeat(4)]);
    const filled = await fillGap(event, keys, fakeSequenceNumber(2), fetch, 10);
    expect(filled.gap).toBeUndefined();
    expect(filled.records).toBe(event);
  });

  it('flags a gap whose committed record Kinesis no longer holds (past retention)', async () => {
    const { fetch } = shardOf([data(4), data(5)], false);
    const filled = await fillGap(event, keys, fakeSequenceNumber(2), fetch, 10);
    expect(filled.gap).toMatchObject({ records: 2, complete: true, pastRetention: true });
  });
});

describe('createGapFetch on kinesalite', () => {
  let emulators: Emulators;
  let held: ShardRecord[];
  beforeAll(async () => {
    emulators = await startEmulators();
    await createOneShardStream(emulators.clients.kinesis, 'gap-fetch');
    await putAll(
      emulators.clients.kinesis,
      'gap-fetch',
      Array.from({ length: 8 }, (_, i) => ({ data: { i }, partitionKey: `k${i}` })),
    );
    held = (await readWholeShard(emulators.clients.kinesis, 'gap-fetch', shardId)).map(fromGetRecords);
  });
  afterAll(async () => {
    await emulators?.stop();
  });
  const fetchGap = () => createGapFetch({ client: emulators.clients.kinesis, stream: 'gap-fetch', shardId });
  const at = (i: number) => held[i]!.sequenceNumber;

  it('returns the records strictly between the committed record and the event', async () => {
    const gap = await fetchGap()(at(1), at(5), 100);
    expect(seqs(gap.records)).toEqual([at(2), at(3), at(4)]);
    expect(gap).toMatchObject({ complete: true, afterHeld: true });
  });

  it('returns nothing for adjacent records, and stops at the cap', async () => {
    expect(await fetchGap()(at(3), at(4), 100)).toEqual({ records: [], complete: true, afterHeld: true });
    const capped = await fetchGap()(at(0), at(7), 2);
    expect(seqs(capped.records)).toEqual([at(1), at(2)]);
    expect(capped.complete).toBe(false);
  });
});
