/**
 * The demo's event generator: an hour and a quarter of a small web shop, compressed into seconds.
 * Page views (partition key `page`), user activity for sessions (partition key `user`), orders
 * (partition key `orderId`) and ad clicks (partition key `user`, counted per campaign), with the mess real streams carry: out-of-order events, late events
 * the watermark drops, retried duplicate orders, and malformed records that become dead letters.
 * Seeded, so every run generates the same events.
 */
import { mulberry32 } from '../local/seeded-random.js';

/** One record for PutRecords. */
export interface DemoRecord {
  readonly partitionKey: string;
  readonly data: Uint8Array;
}

/** The records of one round, per source stream name. */
export interface DemoRound {
  readonly 'page-views': DemoRecord[];
  readonly 'user-activity': DemoRecord[];
  readonly orders: DemoRecord[];
  readonly 'ad-clicks': DemoRecord[];
}

/** What the generator put in, to compare with what the queries report. */
export interface GeneratorCounts {
  pageViews: number;
  outOfOrder: number;
  late: number;
  userEvents: number;
  orders: number;
  duplicateOrders: number;
  /** Valid ad clicks, and their cost in cents. */
  adClicks: number;
  adClickCost: number;
  malformed: number;
}

/** Simulated event time starts here (UTC). */
export const DEMO_START_MS = Date.UTC(2026, 0, 15, 9, 0, 0);
/** Rounds pushed, each covering {@link ROUND_MS} of event time. */
export const DEMO_ROUNDS = 60;
export const ROUND_MS = 75_000;

const PAGES = ['/', '/pricing', '/docs', '/blog', '/signup'] as const;
const PAGE_WEIGHTS = [5, 2, 3, 2, 1] as const;
/** When each user is active, in simulated minutes since the start. */
const USER_ACTIVITY: Readonly<Record<string, readonly (readonly [number, number])[]>> = {
  ann: [[0, 12]],
  bob: [
    [0, 8],
    [50, 75],
  ],
  cid: [[5, 20]],
  dee: [[15, 30]],
  eve: [[25, 75]],
  fay: [[0, 4]],
  gus: [[40, 75]],
  hal: [[10, 25]],
};
const CUSTOMERS = ['acme', 'globex', 'initech', 'umbrella', 'hooli'] as const;
const CAMPAIGNS = ['spring-sale', 'docs-launch', 'retarget', 'brand'] as const;

const random = mulberry32;

const encoder = new TextEncoder();
const json = (partitionKey: string, value: unknown): DemoRecord => ({
  partitionKey,
  data: encoder.encode(JSON.stringify(value)),
});

/** Generates the demo's rounds; `counts` tallies what went in. */
export class DemoGenerator {
  readonly counts: GeneratorCounts = {
    pageViews: 0,
    outOfOrder: 0,
    late: 0,
    userEvents: 0,
    orders: 0,
    duplicateOrders: 0,
    adClicks: 0,
    adClickCost: 0,
    malformed: 0,
  };
  private readonly next = random(20260115);
  /** Ad clicks draw from their own sequence, so the other streams' events stay as they were. */
  private readonly nextClick = random(20260116);
  private orderSeq = 0;
  /** Orders to send again in a later round (a producer's retry): round → records. */
  private readonly retries = new Map<number, DemoRecord[]>();

  /** The records of round `round` (0-based). */
  round(round: number): DemoRound {
    const start = DEMO_START_MS + round * ROUND_MS;
    const out: DemoRound = { 'page-views': [], 'user-activity': [], orders: [], 'ad-clicks': [] };
    const at = () => start + Math.floor(this.next() * ROUND_MS);

    // Page views: ~20 per round; 1 in 8 arrives up to 3 minutes out of order (still on time).
    const views = 15 + Math.floor(this.next() * 10);
    for (let i = 0; i < views; i++) {
      const page = this.page();
      let ts = at();
      if (this.next() < 0.125) {
        ts -= Math.floor(this.next() * 180_000);
        this.counts.outOfOrder++;
      }
      out['page-views'].push(json(page, { page, user: this.user(), ts }));
      this.counts.pageViews++;
    }
    // Late: 25 minutes behind, past the 10-minute watermark; dropped and counted.
    if (round % 8 === 7) {
      for (const page of ['/', '/docs']) {
        out['page-views'].push(json(page, { page, user: 'late-lou', ts: start - 25 * 60_000 }));
        this.counts.late++;
      }
    }

    // User activity: each active user views 0–2 pages per round.
    const minute = (round * ROUND_MS) / 60_000;
    for (const [user, spans] of Object.entries(USER_ACTIVITY)) {
      if (!spans.some(([from, to]) => minute >= from && minute < to)) continue;
      const count = Math.floor(this.next() * 3);
      for (let i = 0; i < count; i++) {
        out['user-activity'].push(json(user, { page: this.page(), user, ts: at() }));
        this.counts.userEvents++;
      }
    }

    // Orders: ~4 per round; 1 in 6 is sent again one to three rounds later (a retried request).
    for (const retry of this.retries.get(round) ?? []) {
      out.orders.push(retry);
      this.counts.duplicateOrders++;
    }
    this.retries.delete(round);
    const orders = 2 + Math.floor(this.next() * 5);
    for (let i = 0; i < orders; i++) {
      const orderId = `ord-${String(++this.orderSeq).padStart(4, '0')}`;
      const customer = CUSTOMERS[Math.floor(this.next() * CUSTOMERS.length)]!;
      const amount = Math.round((5 + this.next() * 195) * 100) / 100;
      const record = json(orderId, { orderId, customer, amount, ts: at() });
      out.orders.push(record);
      this.counts.orders++;
      if (this.next() < 1 / 6) {
        const later = round + 1 + Math.floor(this.next() * 3);
        this.retries.set(later, [...(this.retries.get(later) ?? []), record]);
      }
    }

    // Ad clicks: ~10 per round by any user, for one of four campaigns (keyed by user, counted per
    // campaign: the query's two stages regroup them).
    const users = Object.keys(USER_ACTIVITY);
    const clicks = 6 + Math.floor(this.nextClick() * 9);
    for (let i = 0; i < clicks; i++) {
      const user = users[Math.floor(this.nextClick() * users.length)]!;
      const campaign = CAMPAIGNS[Math.floor(this.nextClick() * CAMPAIGNS.length)]!;
      const cost = 5 + Math.floor(this.nextClick() * 60);
      const ts = start + Math.floor(this.nextClick() * ROUND_MS);
      out['ad-clicks'].push(json(user, { user, campaign, cost, ts }));
      this.counts.adClicks++;
      this.counts.adClickCost += cost;
    }

    // Malformed records every tenth round: each becomes a dead letter with its reason.
    if (round % 10 === 4) {
      out['page-views'].push({ partitionKey: '/', data: encoder.encode('page=/&user=ann') }); // not JSON
      out['page-views'].push(json('/docs', { page: '/', user: 'ann', ts: start })); // partition key mismatch
      out['user-activity'].push({ partitionKey: 'ann', data: new Uint8Array([0xff, 0xfe, 0x7b]) }); // not UTF-8
      out.orders.push(json('ord-bad', { orderId: 'ord-bad', customer: 'acme', amount: -5, ts: start })); // schema
      // Schema (no campaign): a dead letter of campaign-clicks' stage 1, before the exchange.
      out['ad-clicks'].push(json('ann', { user: 'ann', cost: 10, ts: start }));
      this.counts.malformed += 5;
    }
    return out;
  }

  private page(): string {
    const total = PAGE_WEIGHTS.reduce((sum, weight) => sum + weight, 0);
    let pick = this.next() * total;
    for (let i = 0; i < PAGES.length; i++) {
      pick -= PAGE_WEIGHTS[i]!;
      if (pick < 0) return PAGES[i]!;
    }
    return PAGES[0];
  }

  private user(): string {
    const users = Object.keys(USER_ACTIVITY);
    return users[Math.floor(this.next() * users.length)]!;
  }
}
