/**
 * Stream-stream joins and unions through the exchange, in the test kit: each input (a join side,
 * a union input) runs as its own stage 1 on the source partitions and writes into the exchange,
 * routed by the join key's values (or the aggregation's key); stage 2 joins or aggregates. Each
 * case is checked against the same query run in one stage over one partition with the same input.
 */
import { describe, expect, it } from 'vitest';
import { count, explain, expr, type JoinType, planStages, type Row, window } from '../../../engine/index.js';
import { MemoryStream, StreamTest } from '../../../engine/testkit/index.js';

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

const s = (seconds: number) => seconds * 1000;
const SHARDS = ['shard-0', 'shard-1'];

/** Orders keyed by order id, payments keyed by payment id, joined on the order id within a minute. */
function ordersPayments(how: JoinType, keyed = true) {
  const orders = new MemoryStream<Order>('orders');
  const payments = new MemoryStream<Payment>('payments');
  const o = orders
    .toStream(keyed ? { eventTime: 'ots', partitionKey: 'orderId' } : { eventTime: 'ots' })
    .withWatermark('ots', '10 seconds')
    .alias('o');
  const p = payments
    .toStream(keyed ? { eventTime: 'pts', partitionKey: 'paymentId' } : { eventTime: 'pts' })
    .withWatermark('pts', '10 seconds')
    .alias('p');
  const query = o
    .join(p, expr('o.orderId = p.payOrderId AND p.pts BETWEEN o.ots AND o.ots + INTERVAL 1 MINUTE'), how)
    .writeStream.queryName('paid-orders')
    .outputMode('append')
    .build();
  return { orders, payments, query };
}

const ORDERS: Order[] = Array.from({ length: 24 }, (_, i) => ({
  orderId: `o${i}`,
  customer: `c${i % 5}`,
  amount: i + 1,
  ots: s(i * 5),
}));
/** Payments of most orders (not of every third), within the minute, one of them too late to match. */
const PAYMENTS: Payment[] = ORDERS.filter((_, i) => i % 3 !== 2).map((order, i) => ({
  paymentId: `pay${i}`,
  payOrderId: order.orderId,
  paid: order.amount,
  pts: order.ots + (i === 4 ? s(90) : s(3 + (i % 7))),
}));

const shardOf = (key: string) => SHARDS[[...key].reduce((a, c) => a + c.charCodeAt(0), 0) % SHARDS.length]!;
const describeRow = (r: Row) =>
  `${r.orderId ?? '-'}|${r.paymentId ?? '-'}|${r.amount ?? '-'}|${r.paid ?? '-'}|${r.ots ?? '-'}|${r.pts ?? '-'}`;

/** Feeds orders and payments in rounds, then one row on each side far ahead (closes everything). */
async function feed(
  test: StreamTest,
  orders: MemoryStream<Order>,
  payments: MemoryStream<Payment>,
  partitioned: boolean,
) {
  for (let round = 0; round < 4; round++) {
    for (const order of ORDERS.slice(round * 6, round * 6 + 6)) {
      if (partitioned) orders.addDataTo(shardOf(order.orderId), order);
      else orders.addDataTo('0', order);
    }
    for (const payment of PAYMENTS.filter((p) => p.pts < s(30 * (round + 1)) && p.pts >= s(30 * round))) {
      if (partitioned) payments.addDataTo(shardOf(payment.paymentId), payment);
      else payments.addDataTo('0', payment);
    }
    await test.processAllAvailable();
  }
  const tail = PAYMENTS.filter((p) => p.pts >= s(120));
  for (const payment of tail) {
    if (partitioned) payments.addDataTo(shardOf(payment.paymentId), payment);
    else payments.addDataTo('0', payment);
  }
  const end = { orderId: 'end', customer: 'x', amount: 0, ots: s(1000) };
  const endPay = { paymentId: 'end', payOrderId: 'none', paid: 0, pts: s(1000) };
  orders.addDataTo(partitioned ? 'shard-0' : '0', end);
  payments.addDataTo(partitioned ? 'shard-1' : '0', endPay);
  await test.processAllAvailable();
  await test.processAllAvailable();
}

async function reference(how: JoinType): Promise<string[]> {
  const { orders, payments, query } = ordersPayments(how, false);
  expect(planStages(query).stages).toHaveLength(1);
  const test = new StreamTest(query, [orders, payments]);
  await feed(test, orders, payments, false);
  return test.allOutput().map(describeRow).sort();
}

describe('stream-stream joins through the exchange (orders keyed by order id, payments by payment id)', () => {
  it('plans one stage 1 per side, routed by the join key, and explain() shows them', () => {
    const { query } = ordersPayments('inner');
    const staged = planStages(query);
    expect(staged.stages.map((stage) => `${stage.id}:${stage.query.name}`)).toEqual([
      '1:paid-orders.stage-1.orders',
      '1:paid-orders.stage-1.payments',
      '2:paid-orders',
    ]);
    expect(staged.exchanges.map((exchange) => exchange.name)).toEqual([
      'paid-orders.exchange.orders',
      'paid-orders.exchange.payments',
    ]);
    expect(staged.exchanges.map((exchange) => exchange.eventTime)).toEqual(['ots', 'pts']);
    const text = explain(query);
    expect(text).toContain('== Stage 2: paid-orders (per internal shard) ==');
    expect(text).toContain(
      '+- StreamJoin inner on [left.orderId = right.payOrderId] within [0, 60000] ms of pts − ots',
    );
    expect(text).toContain('+- ExchangeReader paid-orders.exchange.orders');
    expect(text).toContain('+- ExchangeReader paid-orders.exchange.payments');
    expect(text).toContain('== Stage 1: paid-orders.stage-1.payments (per source shard) ==');
    expect(text).toContain(
      'Sink ExchangeWriter paid-orders.exchange.payments routed by join key [payOrderId]',
    );
    expect(text).toContain("does not follow 'paymentId', the partition key of 'payments'");
  });

  it('a join whose keys follow both sides partition keys stays one stage', () => {
    const orders = new MemoryStream<Order>('orders');
    const payments = new MemoryStream<Payment>('payments');
    const query = orders
      .toStream({ partitionKey: 'orderId' })
      .alias('o')
      .join(payments.toStream({ partitionKey: 'payOrderId' }).alias('p'), expr('o.orderId = p.payOrderId'))
      .writeStream.build();
    expect(planStages(query).stages).toHaveLength(1);
  });

  it('sides read from two Kinesis streams go through the exchange even when keyed by the join key', async () => {
    const build = (streams: boolean) => {
      const orders = new MemoryStream<Order>('orders');
      const payments = new MemoryStream<Payment>('payments');
      const o = orders
        .toStream({ eventTime: 'ots', partitionKey: 'orderId', ...(streams ? { stream: 'orders' } : {}) })
        .withWatermark('ots', '10 seconds')
        .alias('o');
      const p = payments
        .toStream({
          eventTime: 'pts',
          partitionKey: 'payOrderId',
          ...(streams ? { stream: 'payments' } : {}),
        })
        .withWatermark('pts', '10 seconds')
        .alias('p');
      const query = o
        .join(p, expr('o.orderId = p.payOrderId AND p.pts BETWEEN o.ots AND o.ots + INTERVAL 1 MINUTE'))
        .writeStream.queryName('paid-orders')
        .outputMode('append')
        .build();
      return { orders, payments, query };
    };
    // On one stream, keyed by the join key on both sides: co-partitioned, one stage.
    expect(planStages(build(false).query).stages).toHaveLength(1);
    const { orders, payments, query } = build(true);
    expect(planStages(query).stages.map((stage) => stage.query.name)).toEqual([
      'paid-orders.stage-1.orders',
      'paid-orders.stage-1.payments',
      'paid-orders',
    ]);
    expect(explain(query)).toContain(
      "reads streams 'orders' and 'payments', whose shards never hold the same keys",
    );
    const test = new StreamTest(query, [orders, payments], { partitions: SHARDS, exchangePartitions: 3 });
    await feed(test, orders, payments, true);
    const actual = test.allOutput().map(describeRow).sort();
    expect(actual).toEqual(await reference('inner'));
    expect(actual.filter((row) => /^o\d+\|pay/.test(row)).length).toBeGreaterThanOrEqual(13);
  });

  for (const how of ['inner', 'left_outer', 'right_outer', 'full_outer'] as const) {
    it(`${how}: differently named keys meet across shards; same result as one stage`, async () => {
      const expected = await reference(how);
      const { orders, payments, query } = ordersPayments(how);
      const test = new StreamTest(query, [orders, payments], { partitions: SHARDS, exchangePartitions: 3 });
      expect(test.stageOnePartitionIds).toEqual([
        'paid-orders.stage-1.orders/shard-0',
        'paid-orders.stage-1.orders/shard-1',
        'paid-orders.stage-1.payments/shard-0',
        'paid-orders.stage-1.payments/shard-1',
      ]);
      await feed(test, orders, payments, true);
      const actual = test.allOutput().map(describeRow).sort();
      expect(actual).toEqual(expected);
      // Non-trivial: most orders were paid within the minute and meet their payment across shards.
      expect(actual.filter((row) => /^o\d+\|pay/.test(row)).length).toBeGreaterThanOrEqual(13);
    });
  }

  it('each side keeps its own watermark in stage 2 (global = min), from its own markers', async () => {
    const { orders, payments, query } = ordersPayments('inner');
    const test = new StreamTest(query, [orders, payments], { partitions: SHARDS, exchangePartitions: 2 });
    orders.addDataTo('shard-0', { orderId: 'a', customer: 'c', amount: 1, ots: s(100) });
    payments.addDataTo('shard-1', { paymentId: 'x', payOrderId: 'b', paid: 1, pts: s(40) });
    await test.processAllAvailable();
    await test.processAllAvailable();
    for (const partition of test.exchangePartitionIds) {
      const last = test.progress.filter((p) => p.partition === partition && p.name === 'paid-orders').at(-1)!;
      // Orders' watermark 90 s, payments' 30 s: the global one is the min, 30 s (Spark's default).
      expect(last.eventTime.watermark).toBe(new Date(s(30)).toISOString());
    }
  });
});

describe('unions through the exchange', () => {
  interface View {
    user: string;
    page: string;
    ts: number;
  }
  function viewsAndClicks(keyed = true) {
    const views = new MemoryStream<View>('views');
    const clicks = new MemoryStream<View>('clicks');
    const query = views
      .toStream(keyed ? { eventTime: 'ts', partitionKey: 'user' } : { eventTime: 'ts' })
      .withWatermark('ts', '5 seconds')
      .union(
        clicks
          .toStream(keyed ? { eventTime: 'ts', partitionKey: 'page' } : { eventTime: 'ts' })
          .withWatermark('ts', '5 seconds'),
      )
      .filter((row) => row.page !== 'ignored')
      .groupBy(window('ts', '10 seconds'), 'page')
      .agg({ n: count() })
      .writeStream.queryName('per-page')
      .outputMode('append')
      .build();
    return { views, clicks, query };
  }

  async function run(keyed: boolean): Promise<string[]> {
    const { views, clicks, query } = viewsAndClicks(keyed);
    const test = keyed
      ? new StreamTest(query, [views, clicks], { partitions: SHARDS, exchangePartitions: 2 })
      : new StreamTest(query, [views, clicks]);
    for (let i = 0; i < 40; i++) {
      const row = { user: `u${i % 7}`, page: i % 9 === 0 ? 'ignored' : `p${i % 3}`, ts: s(i) };
      const stream = i % 2 === 0 ? views : clicks;
      stream.addDataTo(keyed ? SHARDS[(i >> 1) % 2]! : '0', row);
      if (i % 8 === 7) await test.processAllAvailable();
    }
    views.addDataTo(keyed ? 'shard-0' : '0', { user: 'u', page: 'p0', ts: s(500) });
    clicks.addDataTo(keyed ? 'shard-1' : '0', { user: 'u', page: 'p0', ts: s(500) });
    await test.processAllAvailable();
    await test.processAllAvailable();
    return test
      .allOutput()
      .map((r) => `${r.page}@${(r.window as { start: number }).start / 1000}=${r.n}`)
      .sort();
  }

  it('an aggregation over a union of two differently keyed streams: one stage 1 each, partial aggregates', async () => {
    const { query } = viewsAndClicks();
    const staged = planStages(query);
    expect(staged.stages.map((stage) => stage.query.name)).toEqual([
      'per-page.stage-1.views',
      'per-page.stage-1.clicks',
      'per-page',
    ]);
    expect(staged.exchanges.every((exchange) => exchange.partialAggregate !== undefined)).toBe(true);
    // The filter after the union runs in each stage 1.
    expect(explain(query)).toMatch(/stage-1\.views[\s\S]*Filter[\s\S]*Source views/);
    const expected = await run(false);
    expect(expected.length).toBeGreaterThan(5);
    expect(await run(true)).toEqual(expected);
  });

  it('a union of sides of one stream keyed differently reads the stream in two stage 1s', () => {
    const views = new MemoryStream<View>('views');
    const byUser = views.toStream({ partitionKey: 'user' });
    const query = byUser
      .union(byUser.filter((row) => row.page === 'home'))
      .dropDuplicates(['page'])
      .writeStream.queryName('pages')
      .build();
    const staged = planStages(query);
    expect(staged.stages.map((stage) => stage.query.name)).toEqual([
      'pages.stage-1.views',
      'pages.stage-1.views.2',
      'pages',
    ]);
  });
});
