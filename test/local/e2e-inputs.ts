// Inputs and independent references for the end-to-end tests: page views and orders with
// out-of-order, late, duplicate and malformed records, and what the queries must output for them.
import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { mulberry32 } from '../../local/seeded-random.js';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
/** Event time zero of the inputs, aligned to a minute. */
export const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

/** A record to put: bytes or a JSON payload, and its partition key. */
export interface Put {
  readonly data: unknown;
  readonly partitionKey: string;
}

/** Puts the records in order, 500 per PutRecords call, and checks none failed. */
export async function putInOrder(
  client: KinesisClient,
  stream: string,
  records: readonly Put[],
): Promise<void> {
  for (let i = 0; i < records.length; i += 500) {
    const response = await client.send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: records.slice(i, i + 500).map((record) => ({
          PartitionKey: record.partitionKey,
          Data:
            record.data instanceof Uint8Array
              ? record.data
              : new TextEncoder().encode(
                  typeof record.data === 'string' ? record.data : JSON.stringify(record.data),
                ),
        })),
      }),
    );
    if (response.FailedRecordCount) throw new Error(`${response.FailedRecordCount} records failed`);
  }
}

/** A small deterministic PRNG, so the shuffles are the same every run. */
export const random = mulberry32;

export interface View {
  readonly page: string;
  readonly user: string;
  readonly ts: number;
}

export const PAGES = ['/home', '/about', '/pricing', '/docs', '/blog', '/careers'] as const;
const view = (v: View): Put => ({ data: v, partitionKey: v.page });

/**
 * Page views in four phases, each put after the runner caught up on the one before:
 *
 * 1. `count` views with event times shuffled within [T0, T0+9 min) (out of order, but never late:
 *    the watermark stays below T0 while the span is under the 10-minute delay), some put twice,
 *    and malformed records mixed in;
 * 2. one view per page at T0+30 min: every shard's watermark becomes exactly T0+20 min;
 * 3. late views (windows ending at or before T0+20 min, the boundary included) and on-time ones;
 * 4. one view per page two days later, which closes every earlier window.
 */
export function pageViewPhases(count: number): { phases: Put[][]; accepted: View[]; malformed: number } {
  const next = random(42);
  const valid: View[] = Array.from({ length: count }, (_, i) => ({
    page: PAGES[i % PAGES.length]!,
    user: `u${i % 37}`,
    ts: T0 + Math.floor(next() * 9 * MINUTE),
  }));
  const duplicates = valid.filter((_, i) => i % 15 === 0);
  const malformed: Put[] = [
    { data: 'not json at all', partitionKey: '/home' },
    { data: { page: '/home' }, partitionKey: '/home' }, // missing user and ts
    { data: { page: '/docs', user: 'u1', ts: 'yesterday' }, partitionKey: '/docs' }, // ts not a time
    { data: { page: '/docs', user: 'u1', ts: T0 }, partitionKey: '/home' }, // partition key is not the page
    { data: [1, 2, 3], partitionKey: '/blog' }, // not an object
    { data: new Uint8Array([0xff, 0xfe, 0x7b]), partitionKey: '/blog' }, // not UTF-8
  ];
  const phase1: Put[] = [...valid.map(view), ...duplicates.map(view)];
  for (const [i, record] of malformed.entries()) {
    phase1.splice(Math.floor(((i + 1) * phase1.length) / (malformed.length + 1)), 0, record);
  }
  const movers = PAGES.map((page) => ({ page, user: 'mover', ts: T0 + 30 * MINUTE }));
  const late = PAGES.flatMap((page, i) => [
    { page, user: 'late', ts: T0 + (i + 1) * MINUTE },
    { page, user: 'late-boundary', ts: T0 + 19 * MINUTE + 30_000 }, // window [19, 20) ends at the watermark
  ]);
  const onTime = PAGES.flatMap((page) => [
    { page, user: 'on-time', ts: T0 + 20 * MINUTE }, // window [20, 21) ends after it
    { page, user: 'on-time', ts: T0 + 25 * MINUTE + 1 },
  ]);
  const closers = PAGES.map((page) => ({ page, user: 'closer', ts: T0 + 48 * HOUR }));
  return {
    phases: [phase1, movers.map(view), [...late, ...onTime].map(view), closers.map(view)],
    accepted: [...valid, ...duplicates, ...movers, ...onTime],
    malformed: malformed.length,
  };
}

/** Views per (window start, page) for every 1-minute window that ends at or before `watermark`. */
export function closedWindowCounts(views: readonly View[], watermark: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { page, ts } of views) {
    const start = Math.floor(ts / MINUTE) * MINUTE;
    if (start + MINUTE > watermark) continue;
    const key = `${start}|${page}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

export interface Order {
  readonly orderId: string;
  readonly customer: string;
  readonly amount: number;
  readonly ts: number;
}

const order = (o: Order): Put => ({ data: o, partitionKey: o.orderId });

/**
 * Orders in four phases (each after the runner caught up):
 *
 * 1. `count` orders, some retried (same order again, or with another amount: the first wins),
 *    and malformed ones;
 * 2. retries of early orders (still within the 1-hour watermark delay: dropped) and new orders;
 * 3. an order three hours later: the watermark moves to T0+2 h, expiring the dedup state;
 * 4. o1 again at T0 (late: dropped) and at T0+2.5 h (its state expired: emitted again).
 */
export function orderPhases(count: number): { phases: Put[][]; expected: Order[]; malformed: number } {
  const orders: Order[] = Array.from({ length: count }, (_, i) => ({
    orderId: `o${i + 1}`,
    customer: `c${i % 7}`,
    amount: 10 + i,
    ts: T0 + i * 10_000,
  }));
  const byId = (id: string) => orders.find((o) => o.orderId === id)!;
  const phase1: Put[] = orders.flatMap((o, i) => {
    const retries =
      i % 9 === 4 ? [o] : i % 9 === 6 ? [{ ...o, amount: o.amount + 1000 }] : i % 11 === 1 ? [o, o] : [];
    return [o, ...retries].map(order);
  });
  const malformed: Put[] = [
    { data: { orderId: 'bad1', customer: 'c1', amount: -5, ts: T0 }, partitionKey: 'bad1' }, // negative amount
    { data: { customer: 'c1', amount: 5, ts: T0 }, partitionKey: 'x' }, // no orderId
  ];
  phase1.splice(3, 0, malformed[0]!);
  phase1.splice(9, 0, malformed[1]!);
  const fresh: Order[] = Array.from({ length: 5 }, (_, i) => ({
    orderId: `n${i + 1}`,
    customer: 'c9',
    amount: 1 + i,
    ts: T0 + count * 10_000 + i * 1000,
  }));
  const phase2 = [byId('o1'), byId('o2'), { ...byId('o3'), amount: 999 }, ...fresh].map(order);
  const far: Order = { orderId: 'far', customer: 'c1', amount: 1, ts: T0 + 3 * HOUR };
  const again: Order = { ...byId('o1'), amount: 77, ts: T0 + 2.5 * HOUR };
  const phase4 = [{ ...byId('o1'), amount: 66 }, again].map(order);
  return {
    phases: [phase1, phase2, [order(far)], phase4],
    expected: [...orders, ...fresh, far, again],
    malformed: malformed.length,
  };
}
