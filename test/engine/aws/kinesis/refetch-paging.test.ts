import {
  type _Record,
  ExpiredIteratorException,
  type GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type KinesisClient,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { createRefetch, streamNameOf } from '../../../../engine/aws/kinesis/index.js';
import { fakeSequenceNumber } from '../../../support/kinesis-events.js';

type Page = Partial<GetRecordsCommandOutput> | Error;

const rec = (i: number): _Record => ({
  SequenceNumber: fakeSequenceNumber(i),
  PartitionKey: 'pk',
  Data: new TextEncoder().encode(JSON.stringify({ i })),
});

/**
 * A Kinesis client that answers GetRecords from a script of pages (real Kinesis's empty pages,
 * expired iterators, closed shards), and records every request.
 */
function scriptedClient(pages: Page[]) {
  const requests: Record<string, unknown>[] = [];
  const client = {
    send: async (command: GetShardIteratorCommand | GetRecordsCommand) => {
      if (command instanceof GetShardIteratorCommand) {
        requests.push({ op: 'GetShardIterator', ...command.input });
        return { ShardIterator: `it-${requests.length}` };
      }
      requests.push({ op: 'GetRecords', ...command.input });
      const page = pages.shift();
      if (page === undefined) throw new Error('script exhausted: the refetch did not stop');
      if (page instanceof Error) throw page;
      return { NextShardIterator: `next-${requests.length}`, MillisBehindLatest: 0, ...page };
    },
  } as unknown as KinesisClient;
  return { client, requests };
}

const refetchOver = (pages: Page[], maxPages?: number) => {
  const { client, requests } = scriptedClient(pages);
  const refetch = createRefetch({
    client,
    stream: 'arn:aws:kinesis:us-east-1:000000000000:stream/views',
    shardId: 'shardId-000000000000',
    ...(maxPages === undefined ? {} : { maxPages }),
  });
  return { refetch, requests };
};
const seqs = (records: readonly { sequenceNumber: string }[]) => records.map((r) => r.sequenceNumber);

describe('refetch paging rules', () => {
  it('keeps going over empty pages behind the tip and stops at the end of the range', async () => {
    const { refetch, requests } = refetchOver([
      { Records: [], MillisBehindLatest: 5_000 },
      { Records: [rec(0), rec(1)], MillisBehindLatest: 4_000 },
      { Records: [], MillisBehindLatest: 3_000 },
      { Records: [rec(2), rec(3), rec(4)], MillisBehindLatest: 0 },
    ]);
    const records = await refetch({ from: fakeSequenceNumber(0), to: fakeSequenceNumber(3), count: 4 });
    expect(seqs(records)).toEqual([0, 1, 2, 3].map(fakeSequenceNumber));
    expect(requests[0]).toEqual({
      op: 'GetShardIterator',
      StreamName: 'views',
      ShardId: 'shardId-000000000000',
      ShardIteratorType: 'AT_SEQUENCE_NUMBER',
      StartingSequenceNumber: fakeSequenceNumber(0),
    });
    // Limit asks only for what is still missing.
    expect(requests.filter((r) => r.op === 'GetRecords').map((r) => r.Limit)).toEqual([4, 4, 2, 2]);
  });

  it('stops on an empty page at the tip and on a closed shard, returning what it found', async () => {
    const atTip = refetchOver([
      { Records: [rec(0)], MillisBehindLatest: 0 },
      { Records: [], MillisBehindLatest: 0 },
    ]);
    expect(seqs(await atTip.refetch({ after: '1', to: fakeSequenceNumber(9), count: 3 }))).toEqual([
      fakeSequenceNumber(0),
    ]);
    expect(atTip.requests[0]).toMatchObject({
      ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
      StartingSequenceNumber: '1',
    });

    const closed = refetchOver([
      { Records: [rec(0), rec(1)], NextShardIterator: undefined, MillisBehindLatest: 9 },
    ]);
    expect(seqs(await closed.refetch({ to: fakeSequenceNumber(9), count: 5 }))).toEqual(
      [0, 1].map(fakeSequenceNumber),
    );
    expect(closed.requests[0]).toMatchObject({ ShardIteratorType: 'TRIM_HORIZON' });
    expect(closed.requests[0]).not.toHaveProperty('StartingSequenceNumber');
  });

  it('resumes after the last record read when the iterator expires', async () => {
    const expired = new ExpiredIteratorException({ message: 'Iterator expired', $metadata: {} });
    const { refetch, requests } = refetchOver([
      { Records: [rec(0)], MillisBehindLatest: 10 },
      expired,
      { Records: [rec(1)], MillisBehindLatest: 0 },
    ]);
    expect(seqs(await refetch({ from: fakeSequenceNumber(0), to: fakeSequenceNumber(1), count: 2 }))).toEqual(
      [0, 1].map(fakeSequenceNumber),
    );
    expect(requests.filter((r) => r.op === 'GetShardIterator').at(-1)).toMatchObject({
      ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
      StartingSequenceNumber: fakeSequenceNumber(0),
    });
  });

  it('gives up after maxPages and translates failed requests into a typed error', async () => {
    const endless = refetchOver(
      Array.from({ length: 10 }, () => ({ Records: [], MillisBehindLatest: 1 })),
      3,
    );
    expect(await endless.refetch({ to: '5', count: 1 })).toEqual([]);
    expect(endless.requests.filter((r) => r.op === 'GetRecords')).toHaveLength(3);

    const throttled = refetchOver([
      new ProvisionedThroughputExceededException({ message: 'Rate exceeded for shard', $metadata: {} }),
    ]);
    await expect(throttled.refetch({ to: '5', count: 1 })).rejects.toMatchObject({
      code: 'SLUICE_KINESIS_REQUEST_FAILED',
      message: expect.stringMatching(
        /^Kinesis GetRecords failed with ProvisionedThroughputExceededException: Rate exceeded/,
      ),
    });
  });

  it('names the stream by name, from an ARN if need be', () => {
    expect(streamNameOf('views')).toBe('views');
    expect(streamNameOf('arn:aws:kinesis:eu-west-1:123456789012:stream/page-views')).toBe('page-views');
    expect(() => streamNameOf('arn:aws:sqs:eu-west-1:123456789012:queue')).toThrow(
      /not a Kinesis stream ARN/,
    );
  });
});
