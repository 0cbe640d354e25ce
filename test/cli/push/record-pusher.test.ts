import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { type PushRecord, RecordPusher } from '../../../cli/push/record-pusher.js';

const record = (partitionKey: string, n: number): PushRecord => ({
  partitionKey,
  data: new TextEncoder().encode(JSON.stringify({ key: partitionKey, n })),
  lineNumber: n,
});
const decode = (data: Uint8Array) => JSON.parse(new TextDecoder().decode(data)) as { key: string; n: number };

/**
 * A Kinesis double: records accepted in call order; `fail(entry, attempt)` decides per record
 * and attempt whether it is rejected as throttled.
 */
function fakeKinesis(fail: (entry: { key: string; n: number }, attempt: number) => boolean) {
  const accepted: { key: string; n: number }[] = [];
  const calls: number[] = [];
  const attempts = new Map<number, number>();
  const client = {
    send: async (command: { input: { Records: { Data: Uint8Array }[] } }) => {
      calls.push(command.input.Records.length);
      return {
        Records: command.input.Records.map(({ Data }) => {
          const entry = decode(Data);
          const attempt = (attempts.get(entry.n) ?? 0) + 1;
          attempts.set(entry.n, attempt);
          if (fail(entry, attempt))
            return { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'slow down' };
          accepted.push(entry);
          return { ShardId: `shardId-${entry.key.length % 2}`, SequenceNumber: String(accepted.length) };
        }),
      };
    },
  } as unknown as KinesisClient;
  return { client, accepted, calls };
}

const noWait = async () => {};

describe('RecordPusher', () => {
  it('sends 500 records per call and counts them per shard', async () => {
    const kinesis = fakeKinesis(() => false);
    const pusher = new RecordPusher({ client: kinesis.client, stream: 's', backoff: noWait });
    for (let n = 0; n < 1_200; n++) await pusher.push(record(`k${n % 7}`, n));
    const stats = await pusher.flush();
    expect(kinesis.calls).toEqual([500, 500, 200]);
    expect(stats.pushed).toBe(1_200);
    expect([...stats.perShard.values()].reduce((a, b) => a + b, 0)).toBe(1_200);
  });

  it('retries failed records ahead of later records, keeping the order per partition key across calls', async () => {
    // Every record of key "a" fails its first attempt; the call is then one record per key.
    const kinesis = fakeKinesis((entry, attempt) => entry.key === 'a' && attempt === 1);
    const pusher = new RecordPusher({
      client: kinesis.client,
      stream: 's',
      strictOrder: true,
      backoff: noWait,
    });
    for (let n = 0; n < 40; n++) await pusher.push(record(n % 2 === 0 ? 'a' : 'b', n));
    const stats = await pusher.flush();
    expect(stats.pushed).toBe(40);
    expect(stats.retried).toBe(20);
    expect(stats.reordered).toBe(0);
    for (const key of ['a', 'b']) {
      const order = kinesis.accepted.filter((entry) => entry.key === key).map((entry) => entry.n);
      expect(order).toEqual([...order].sort((x, y) => x - y));
    }
  });

  it('counts records that overtook a failed one of their key in the same call', async () => {
    const kinesis = fakeKinesis((entry, attempt) => entry.n === 0 && attempt === 1);
    const pusher = new RecordPusher({ client: kinesis.client, stream: 's', backoff: noWait });
    for (let n = 0; n < 3; n++) await pusher.push(record('a', n));
    const stats = await pusher.flush();
    expect(stats.pushed).toBe(3);
    expect(stats.reordered).toBe(2);
    expect(kinesis.accepted.map((entry) => entry.n)).toEqual([1, 2, 0]);
  });

  it('reports a record that fails every attempt and pushes the rest', async () => {
    const kinesis = fakeKinesis((entry) => entry.n === 3);
    const rounds: number[] = [];
    const pusher = new RecordPusher({
      client: kinesis.client,
      stream: 's',
      maxAttempts: 4,
      backoff: async (round) => {
        rounds.push(round);
      },
    });
    for (let n = 0; n < 10; n++) await pusher.push(record(`k${n}`, n));
    const stats = await pusher.flush();
    expect(stats.pushed).toBe(9);
    expect(stats.failed).toEqual([
      {
        lineNumber: 3,
        partitionKey: 'k3',
        errorCode: 'ProvisionedThroughputExceededException',
        errorMessage: 'slow down',
      },
    ]);
    expect(rounds).toEqual([1, 2, 3]); // backoff grows with each failed round
  });
});
