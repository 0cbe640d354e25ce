import { fileURLToPath } from 'node:url';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { type App, Stack } from 'aws-cdk-lib';
import { Stream, StreamEncryption } from 'aws-cdk-lib/aws-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3OutputReader } from '../../engine/aws/s3/output-reader.js';
import { StreamingQuery } from '../../infra/streaming-query.js';
import { type LocalDeployment, startLocalDeployment } from '../../local/index.js';
import { type Order, type Payment, paidOrdersQuery } from './fixtures/paid-orders-query.js';

/*
 * A join of two Kinesis streams on the local stack, unchanged from the CDK template: the construct
 * maps both source streams to the stage-1 function (SLUICE_SOURCE_STREAMS tells the handler which
 * stage 1 an event is for), adds the internal stream and stage 2; the runner runs all three
 * mappings. The S3 output must equal the join computed over all input.
 */

const ENTRY = fileURLToPath(new URL('./fixtures/paid-orders.ts', import.meta.url));
let local: LocalDeployment;

beforeAll(async () => {
  local = await startLocalDeployment({
    app: (app: App) => {
      const stack = new Stack(app, 'JoinStreams');
      new StreamingQuery(stack, 'PaidOrders', {
        queryName: 'paid-orders',
        query: paidOrdersQuery,
        entry: ENTRY,
        sourceStreams: {
          orders: new Stream(stack, 'Orders', { shardCount: 2, encryption: StreamEncryption.MANAGED }),
          payments: new Stream(stack, 'Payments', { shardCount: 2, encryption: StreamEncryption.MANAGED }),
        },
        exchangeShardCount: 2,
      });
      return stack;
    },
    runner: {
      initTimeoutMs: 60_000,
      environment: { POWERTOOLS_LOG_LEVEL: 'ERROR' },
      schedules: false,
    },
  });
}, 180_000);
afterAll(async () => {
  await local?.stop();
});

describe('a join of two streams on the local stack', () => {
  it('provisions a mapping per source stream and the exchange; the output equals the reference', async () => {
    const query = local.resources.queries['paid-orders']!;
    expect(query.sourceStreams).toHaveLength(2);
    expect(query.exchange).toBeDefined();
    const streamOf = (prefix: string) =>
      Object.entries(local.resources.streams).find(([id]) => id.startsWith(prefix))![1].name;
    const ordersStream = streamOf('Orders');
    const paymentsStream = streamOf('Payments');
    expect([...query.sourceStreams!].sort()).toEqual([ordersStream, paymentsStream].sort());
    const kinesis = local.emulators.clients.kinesis;
    const orders: Order[] = Array.from({ length: 80 }, (_, i) => ({
      orderId: `order-${i}`,
      amount: (i % 11) + 1,
      ots: 1000 + ((i * 37) % 300) * 1000,
    }));
    const payments: Payment[] = orders
      .filter((_, i) => i % 4 !== 3)
      .map((order, i) => ({
        paymentId: `pay-${i}`,
        payOrderId: order.orderId,
        pts: order.ots + ((i * 13) % 80) * 1000,
      }));
    const put = async (stream: string, rows: readonly object[], key: (row: any) => string) => {
      const response = await kinesis.send(
        new PutRecordsCommand({
          StreamName: stream,
          Records: rows.map((row) => ({
            PartitionKey: key(row),
            Data: new TextEncoder().encode(JSON.stringify(row)),
          })),
        }),
      );
      expect(response.FailedRecordCount ?? 0).toBe(0);
    };
    await put(ordersStream, orders, (o: Order) => o.orderId);
    await put(paymentsStream, payments, (p: Payment) => p.paymentId);

    const expected = orders
      .flatMap((o) =>
        payments
          .filter((p) => p.payOrderId === o.orderId && p.pts >= o.ots && p.pts <= o.ots + 60_000)
          .map((p) => `${o.orderId}/${p.paymentId}/${o.amount}`),
      )
      .sort();
    expect(expected.length).toBeGreaterThan(20);
    const reader = new S3OutputReader({
      client: local.emulators.clients.s3,
      bucket: query.bucket,
      prefix: query.prefix,
      query: 'paid-orders',
    });
    let actual: string[] = [];
    for (let waited = 0; waited < 150_000; waited += 1000) {
      actual = (await reader.readRows()).map((row) => `${row.orderId}/${row.paymentId}/${row.amount}`).sort();
      if (actual.length >= expected.length) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    expect(actual).toEqual(expected);
  }, 240_000);
});
