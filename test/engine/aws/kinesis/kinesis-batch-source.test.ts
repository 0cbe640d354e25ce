import { describe, expect, it } from 'vitest';
import {
  createRecordDecoder,
  HEARTBEAT_PARTITION_KEY,
  heartbeatRecordData,
  KinesisBatchSource,
  type RecordRange,
  type ShardRecord,
  shardOffsets,
  toShardRecord,
} from '../../../../engine/aws/kinesis/index.js';
import type { Offsets } from '../../../../engine/index.js';
import {
  fakeSequenceNumber,
  kinesisEvent,
  type PlainKinesisRecord,
} from '../../../support/kinesis-events.js';
import { viewOf } from './batch-input-view.js';

const decode = createRecordDecoder({ sources: [{ name: 'n', eventTime: 'ts' }] });
const value = (v: number): PlainKinesisRecord => ({ data: { v, ts: v } });
const beat: PlainKinesisRecord = { data: heartbeatRecordData(0), partitionKey: HEARTBEAT_PARTITION_KEY };

/** The shard as Kinesis holds it, and a refetch over it that records the ranges asked for. */
function shard(records: readonly PlainKinesisRecord[]) {
  const event = kinesisEvent(records);
  const all = event.Records.map(toShardRecord);
  const asked: RecordRange[] = [];
  const refetch = async (range: RecordRange): Promise<ShardRecord[]> => {
    asked.push(range);
    const from = range.from === undefined ? undefined : BigInt(range.from);
    const after = range.after === undefined ? undefined : BigInt(range.after);
    return all.filter((r) => {
      const seq = BigInt(r.sequenceNumber);
      return (
        (from === undefined || seq >= from) && (after === undefined || seq > after) && seq <= BigInt(range.to)
      );
    });
  };
  return { records: event.Records, all, refetch, asked };
}

const values = async (source: KinesisBatchSource, start: Offsets, end: Offsets) =>
  (await source.getBatch(start, end)).rows.get('n')?.map((row) => row.v);

describe('KinesisBatchSource', () => {
  it('plans one batch over the whole event and reads it back from the event alone', async () => {
    const { records, asked, refetch } = shard([1, 2, 3, 4].map(value));
    const source = new KinesisBatchSource({ records: [...records].reverse(), decode, refetch });
    const end = await source.nextEndOffsets({});
    expect(end).toEqual(shardOffsets({ seq: fakeSequenceNumber(3), count: 4, first: fakeSequenceNumber(0) }));
    expect(await values(source, {}, end!)).toEqual([1, 2, 3, 4]);
    expect(await source.nextEndOffsets(end!)).toBeUndefined();
    expect(asked).toEqual([]);
  });

  it('skips records at or before the committed sequence number (a redelivery)', async () => {
    const { records } = shard([1, 2, 3, 4, 5].map(value));
    const source = new KinesisBatchSource({ records, decode });
    const committed = shardOffsets({ seq: fakeSequenceNumber(2), count: 3, first: fakeSequenceNumber(0) });
    const end = (await source.nextEndOffsets(committed))!;
    expect(end).toEqual(shardOffsets({ seq: fakeSequenceNumber(4), count: 2, first: fakeSequenceNumber(3) }));
    expect(await values(source, committed, end)).toEqual([4, 5]);
    expect(source.recordsAfter(committed).map((r) => r.sequenceNumber)).toEqual([
      fakeSequenceNumber(3),
      fakeSequenceNumber(4),
    ]);
  });

  it('never makes a batch of heartbeats alone, and ends a batch at its last data record', async () => {
    const { records } = shard([beat, value(1), beat, value(2), beat, beat]);
    const source = new KinesisBatchSource({ records, decode });
    const end = (await source.nextEndOffsets({}))!;
    expect(end).toEqual(shardOffsets({ seq: fakeSequenceNumber(3), count: 4, first: fakeSequenceNumber(0) }));
    const batch = await source.getBatch({}, end);
    expect(batch.rows.get('n')?.map((row) => row.v)).toEqual([1, 2]);
    expect(batch.deadLetters).toEqual([]);
    expect(await source.nextEndOffsets(end)).toBeUndefined();

    const onlyBeats = new KinesisBatchSource({ records: shard([beat, beat]).records, decode });
    expect(await onlyBeats.nextEndOffsets({})).toBeUndefined();
  });

  it('splits an event into batches of at most maxRecordsPerBatch data records', async () => {
    const { records } = shard([value(1), beat, value(2), value(3), value(4), value(5)]);
    const source = new KinesisBatchSource({ records, decode, maxRecordsPerBatch: 2 });
    let committed: Offsets = {};
    const batches: unknown[] = [];
    for (
      let end = await source.nextEndOffsets(committed);
      end !== undefined;
      end = await source.nextEndOffsets(committed)
    ) {
      batches.push(await values(source, committed, end));
      committed = end;
    }
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
    expect(() => new KinesisBatchSource({ records, decode, maxRecordsPerBatch: 0 })).toThrow(/at least 1/);
  });

  it('re-fetches a range the event holds only part of (bisect), from the first record of the batch', async () => {
    const { records, refetch, asked } = shard([1, 2, 3, 4, 5, 6].map(value));
    const full = new KinesisBatchSource({ records, decode });
    const end = (await full.nextEndOffsets({}))!;
    const expected = await viewOf(full.getBatch({}, end));

    // The retry after a crash carries only the first half (the first batch of this query: start is empty).
    const firstHalf = new KinesisBatchSource({ records: records.slice(0, 3), decode, refetch });
    expect(await viewOf(firstHalf.getBatch({}, end))).toEqual(expected);
    expect(asked).toEqual([{ from: fakeSequenceNumber(0), to: fakeSequenceNumber(5), count: 6 }]);

    const secondHalf = new KinesisBatchSource({ records: records.slice(3), decode, refetch });
    expect(await viewOf(secondHalf.getBatch({}, end))).toEqual(expected);
  });

  it('falls back to AFTER the previous end for offsets without a first record', async () => {
    const { records, refetch, asked } = shard([1, 2, 3, 4].map(value));
    const source = new KinesisBatchSource({ records: records.slice(3), decode, refetch });
    const start = shardOffsets({ seq: fakeSequenceNumber(0), count: 1 });
    const end = shardOffsets({ seq: fakeSequenceNumber(3), count: 3 });
    expect(await values(source, start, end)).toEqual([2, 3, 4]);
    expect(asked).toEqual([{ after: fakeSequenceNumber(0), to: fakeSequenceNumber(3), count: 3 }]);
  });

  it('fails with a typed error when Kinesis no longer holds the whole range, or nothing can refetch', async () => {
    const { records, refetch } = shard([1, 2, 3].map(value));
    const end = shardOffsets({ seq: fakeSequenceNumber(2), count: 3, first: fakeSequenceNumber(0) });
    const expired = async (range: RecordRange) => (await refetch(range)).slice(1); // the oldest record expired
    const source = new KinesisBatchSource({
      records: records.slice(2),
      decode,
      refetch: expired,
      shardId: 'shardId-000000000007',
    });
    await expect(source.getBatch({}, end)).rejects.toMatchObject({
      code: 'SLUICE_KINESIS_RANGE_MISMATCH',
      message: expect.stringMatching(
        /needs the 3 records .* of shard shardId-000000000007, but Kinesis returned 2\. Records older than the stream retention period expire/,
      ),
    });
    const noRefetch = new KinesisBatchSource({ records: records.slice(2), decode });
    await expect(noRefetch.getBatch({}, end)).rejects.toMatchObject({
      code: 'SLUICE_KINESIS_RANGE_MISMATCH',
    });
  });

  it('gives an empty input for an empty range and rejects offsets it did not write', async () => {
    const source = new KinesisBatchSource({ records: shard([value(1)]).records, decode });
    const at = shardOffsets({ seq: fakeSequenceNumber(0), count: 1, first: fakeSequenceNumber(0) });
    expect(await source.getBatch(at, at)).toEqual({ rows: new Map(), deadLetters: [] });
    await expect(source.nextEndOffsets({ kinesis: 3 })).rejects.toMatchObject({
      code: 'SLUICE_KINESIS_SOURCE_CONFIG',
    });
  });
});
