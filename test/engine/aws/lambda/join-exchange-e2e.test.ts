import type { Shard } from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { AwsClients } from '../../../../engine/aws/clients.js';
import { kinesisHandler } from '../../../../engine/aws/lambda/kinesis-handler.js';
import { S3OutputReader } from '../../../../engine/aws/s3/index.js';
import { type BatchPhase, expr, readStream } from '../../../../engine/index.js';
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
 * A stream-stream join of two Kinesis streams on Lambda, on the emulators (kinesalite, dynalite,
 * s3rver, real SDK clients): orders (2 shards, keyed by order id) and payments (2 shards, keyed by
 * payment id), joined on the order id within a minute. Each stream gets its own stage 1 (told
 * apart by the event's stream, the handler's `sources`), both write into one internal stream of 2
 * shards, stage 2 joins. The handler is invoked per shard as the event source mapping would,
 * with crashes in both stages redelivered from the reported batch item failure; the S3 output
 * must equal the join computed over all input.
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

interface Order {
  orderId: string;
  customer: string;
  amount: number;
  ots: number;
}
interface Payment {
  paymentId: string;
  payOrderId: string;
  paid: number;
  pts: number;
}

const stream = (name: string, shards: number) => createActiveStream(emulators.clients.kinesis, name, shards);

const orders = (from: number, n: number): Order[] =>
  Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return {
      orderId: `order-${i}`,
      customer: `c${i % 7}`,
      amount: (i % 13) + 1,
      ots: 1000 + ((i * 37) % 600) * 1000,
    };
  });
/** Some orders paid once or twice, some within the minute, some too late, some never. */
const payments = (list: readonly Order[], from: number): Payment[] =>
  list.flatMap((order, k) => {
    const i = from + k;
    if (i % 5 === 4) return [];
    const first = {
      paymentId: `pay-${i}`,
      payOrderId: order.orderId,
      paid: order.amount,
      pts: order.ots + ((i * 11) % 90) * 1000,
    };
    return i % 6 === 0 ? [first, { ...first, paymentId: `pay-${i}-b`, pts: order.ots + 5000 }] : [first];
  });

describe('a join of two Kinesis streams through the exchange (emulators)', () => {
  it('orders and payments keyed differently, 2 shards each: crashes in both stages change nothing', async () => {
    const orderShards = await stream('orders', 2);
    const paymentShards = await stream('payments', 2);
    const internal = await stream('paid-exchange', 2);
    const query = readStream<Order>('orders', { partitionKey: 'orderId', eventTime: 'ots' })
      .withWatermark('ots', '1 hour')
      .alias('o')
      .join(
        readStream<Payment>('payments', { partitionKey: 'paymentId', eventTime: 'pts' })
          .withWatermark('pts', '1 hour')
          .alias('p'),
        expr('o.orderId = p.payOrderId AND p.pts BETWEEN o.ots AND o.ots + INTERVAL 1 MINUTE'),
      )
      .writeStream.queryName('paid')
      .outputMode('append')
      .format('json')
      .build();
    const crashes = new Map<string, BatchPhase>();
    let crashed = 0;
    let current = '';
    const handler = kinesisHandler(query, {
      clients,
      tableName,
      bucket,
      prefix: 'join',
      exchangeStream: 'paid-exchange',
      sources: {
        orders: 'orders',
        payments: 'arn:aws:kinesis:us-east-1:000000000000:stream/payments',
      },
      hook: (phase) => {
        if (crashes.get(current) === phase) {
          crashes.delete(current);
          crashed++;
          throw new Error(`simulated crash after ${phase} on ${current}`);
        }
      },
    });
    const kinesis = emulators.clients.kinesis;
    const delivered = new Map<string, number>();
    const invoke = async (streamName: string, shard: Shard): Promise<boolean> => {
      const key = `${streamName}/${shard.ShardId!}`;
      const all = await readWholeShard(kinesis, streamName, shard.ShardId!);
      const from = delivered.get(key) ?? 0;
      if (from >= all.length) return false;
      current = key;
      const event: KinesisStreamEvent = kinesisEvent(all.slice(from), {
        streamName,
        shardId: shard.ShardId!,
      });
      const { batchItemFailures } = await handler(event, context);
      const failed = batchItemFailures[0]?.itemIdentifier;
      delivered.set(
        key,
        failed === undefined ? all.length : all.findIndex((r) => r.SequenceNumber === failed),
      );
      return true;
    };
    const drain = async () => {
      for (let round = 0; round < 50; round++) {
        let any = false;
        for (const shard of orderShards) any = (await invoke('orders', shard)) || any;
        for (const shard of paymentShards) any = (await invoke('payments', shard)) || any;
        for (const shard of internal) any = (await invoke('paid-exchange', shard)) || any;
        if (!any) return;
      }
      throw new Error('the streams did not drain');
    };
    const sentOrders: Order[] = [];
    const sentPayments: Payment[] = [];
    const put = async (o: Order[], p: Payment[]) => {
      sentOrders.push(...o);
      sentPayments.push(...p);
      await putAll(
        kinesis,
        'orders',
        o.map((row) => ({ data: row, partitionKey: row.orderId })),
      );
      await putAll(
        kinesis,
        'payments',
        p.map((row) => ({ data: row, partitionKey: row.paymentId })),
      );
    };

    const first = orders(0, 60);
    await put(first, payments(first.slice(0, 40), 0));
    crashes.set(`orders/${orderShards[0]!.ShardId!}`, 'addBatch');
    crashes.set(`payments/${paymentShards[1]!.ShardId!}`, 'walCommit');
    crashes.set(`paid-exchange/${internal[0]!.ShardId!}`, 'addBatch');
    crashes.set(`paid-exchange/${internal[1]!.ShardId!}`, 'commitState');
    await drain();
    expect([...crashes]).toEqual([]);
    // The rest of the payments (some for orders of the first round) and more orders.
    const second = orders(60, 40);
    await put(second, payments([...first.slice(40), ...second], 40));
    crashes.set(`payments/${paymentShards[0]!.ShardId!}`, 'commitOffsets');
    crashes.set(`paid-exchange/${internal[1]!.ShardId!}`, 'addBatch');
    await drain();
    expect(crashed).toBe(6);

    const expected: string[] = [];
    for (const o of sentOrders) {
      for (const p of sentPayments) {
        if (o.orderId === p.payOrderId && p.pts >= o.ots && p.pts <= o.ots + 60_000) {
          expected.push(`${o.orderId}/${p.paymentId}/${o.amount}/${p.paid}`);
        }
      }
    }
    const reader = new S3OutputReader({ client: clients.s3, bucket, prefix: 'join', query: 'paid' });
    const actual = (await reader.readRows()).map(
      (row) => `${row.orderId}/${row.paymentId}/${row.amount}/${row.paid}`,
    );
    expect(actual.sort()).toEqual(expected.sort());
    expect(expected.length).toBeGreaterThan(40);
    // Origins are distinct across the two stage 1s: `<stage-1 name>/<shard>`.
    for (const shard of internal) {
      const records = await readWholeShard(kinesis, 'paid-exchange', shard.ShardId!);
      const origins = new Set(records.map((r) => JSON.parse(Buffer.from(r.Data!).toString()).origin));
      expect([...origins].sort()).toEqual(
        [
          ...orderShards.map((s) => `paid.stage-1.orders/${s.ShardId!}`),
          ...paymentShards.map((s) => `paid.stage-1.payments/${s.ShardId!}`),
        ].sort(),
      );
    }
  });

  it('names the setting when a source has no stream, or records come from a stream no source is read from', async () => {
    const query = readStream<Order>('orders', { partitionKey: 'orderId' })
      .alias('o')
      .join(
        readStream<Payment>('payments', { partitionKey: 'paymentId' }).alias('p'),
        expr('o.orderId = p.payOrderId'),
      )
      .writeStream.queryName('misconfigured')
      .build();
    const options = { clients, tableName, bucket, prefix: 'join', exchangeStream: 'paid-exchange' };
    expect(() => kinesisHandler(query, { ...options, sources: { orders: 'orders' } })).toThrow(
      /no stream for 'payments'.*SLUICE_SOURCE_STREAMS/s,
    );
    expect(() =>
      kinesisHandler(query, { ...options, sources: { orders: 'orders', payments: 'p', refunds: 'r' } }),
    ).toThrow(/'refunds', which the query does not read/);
    const handler = kinesisHandler(query, {
      ...options,
      sources: { orders: 'orders', payments: 'payments' },
    });
    const event = kinesisEvent(
      [{ SequenceNumber: '1', Data: new TextEncoder().encode('{}'), PartitionKey: 'k' }] as never,
      {
        streamName: 'elsewhere',
        shardId: 'shardId-000000000000',
      },
    );
    await expect(handler(event, context)).rejects.toThrow(
      /stream 'elsewhere', which none of its sources is read from/,
    );
  });
});
