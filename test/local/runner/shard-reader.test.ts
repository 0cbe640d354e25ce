import {
  ExpiredIteratorException,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { ShardReadError } from '../../../local/runner/errors.js';
import { ShardReader } from '../../../local/runner/shard-reader.js';

type Page = Partial<GetRecordsCommandOutput> | Error;

/** A client that answers GetShardIterator with `it-N` and GetRecords with the given pages in turn. */
function fakeKinesis(pages: Page[]) {
  const iteratorRequests: Record<string, unknown>[] = [];
  let iterators = 0;
  const client = {
    send: async (command: unknown) => {
      if (command instanceof GetShardIteratorCommand) {
        iteratorRequests.push({ ...command.input });
        return { ShardIterator: `it-${++iterators}` };
      }
      if (command instanceof GetRecordsCommand) {
        const page = pages.shift();
        if (page instanceof Error) throw page;
        return { Records: [], ...page };
      }
      throw new Error('unexpected command');
    },
  } as unknown as KinesisClient;
  return { client, iteratorRequests };
}
const record = (seq: string) => ({ SequenceNumber: seq, PartitionKey: 'p', Data: new Uint8Array() });

describe('ShardReader', () => {
  it('sees the tip on an empty page at MillisBehindLatest 0, and keeps reading behind it', async () => {
    const { client } = fakeKinesis([
      { Records: [], MillisBehindLatest: 500, NextShardIterator: 'a' },
      { Records: [record('1')], MillisBehindLatest: 0, NextShardIterator: 'b' },
      { Records: [], MillisBehindLatest: 0, NextShardIterator: 'c' },
    ]);
    const reader = new ShardReader(client, 's', 'shardId-0', { position: 'TRIM_HORIZON' });
    expect(await reader.read(10, false)).toMatchObject({ atTip: false, ended: false });
    expect(await reader.read(10, false)).toMatchObject({ atTip: false, ended: false });
    expect(await reader.read(10, false)).toMatchObject({ atTip: true, ended: false });
  });

  it('ends a shard when GetRecords returns no NextShardIterator (AWS, kinesis-local, kinesalite)', async () => {
    const { client } = fakeKinesis([{ Records: [record('7')], MillisBehindLatest: 0 }]);
    const page = await new ShardReader(client, 's', 'shardId-0', { position: 'TRIM_HORIZON' }).read(
      10,
      false,
    );
    expect(page).toMatchObject({ ended: true, atTip: true });
    expect(page.records).toHaveLength(1);
  });

  it('ends a shard known to be closed before the call on an empty page at the tip, iterator or not', async () => {
    const pages = () => [{ Records: [], MillisBehindLatest: 0, NextShardIterator: 'more' }];
    const closed = new ShardReader(fakeKinesis(pages()).client, 's', 'shardId-0', {
      position: 'TRIM_HORIZON',
    });
    expect(await closed.read(10, true)).toMatchObject({ ended: true });
    const open = new ShardReader(fakeKinesis(pages()).client, 's', 'shardId-0', { position: 'TRIM_HORIZON' });
    expect(await open.read(10, false)).toMatchObject({ ended: false, atTip: true });
    // Behind the tip, even a closed shard's empty page is not its end.
    const behind = fakeKinesis([{ Records: [], MillisBehindLatest: 30, NextShardIterator: 'x' }]).client;
    expect(
      await new ShardReader(behind, 's', 'shardId-0', { position: 'TRIM_HORIZON' }).read(10, true),
    ).toMatchObject({
      ended: false,
    });
  });

  it('starts after a checkpoint, and renews an expired iterator after the last record read', async () => {
    const expired = new ExpiredIteratorException({ message: 'expired', $metadata: {} });
    const { client, iteratorRequests } = fakeKinesis([
      { Records: [record('20')], MillisBehindLatest: 0, NextShardIterator: 'a' },
      expired,
      { Records: [], MillisBehindLatest: 0, NextShardIterator: 'b' },
    ]);
    const reader = new ShardReader(client, 's', 'shardId-0', { after: '10' });
    await reader.read(10, false);
    await reader.read(10, false);
    expect(iteratorRequests.map((r) => [r.ShardIteratorType, r.StartingSequenceNumber])).toEqual([
      ['AFTER_SEQUENCE_NUMBER', '10'],
      ['AFTER_SEQUENCE_NUMBER', '20'],
    ]);
  });

  it('asks for LATEST and AT_TIMESTAMP iterators, and wraps request failures with the fix', async () => {
    const latest = fakeKinesis([{ NextShardIterator: 'a' }]);
    await new ShardReader(latest.client, 's', 'shardId-0', { position: 'LATEST' }).read(1, false);
    const at = fakeKinesis([{ NextShardIterator: 'a' }]);
    await new ShardReader(at.client, 's', 'shardId-0', { position: 'AT_TIMESTAMP', timestampMs: 5000 }).read(
      1,
      false,
    );
    expect(latest.iteratorRequests[0]).toMatchObject({ ShardIteratorType: 'LATEST' });
    expect(at.iteratorRequests[0]).toMatchObject({
      ShardIteratorType: 'AT_TIMESTAMP',
      Timestamp: new Date(5000),
    });
    const failing = fakeKinesis([new Error('socket hang up')]);
    await expect(
      new ShardReader(failing.client, 's', 'shardId-0', { position: 'LATEST' }).read(1, false),
    ).rejects.toThrow(ShardReadError);
  });
});
