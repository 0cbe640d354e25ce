import { selectDeadLetters } from '../cli/dead-letters/select.js';
import { formatTable } from '../cli/query/format.js';
import { readResults } from '../cli/query/read-results.js';
import type { Target } from '../cli/target/target.js';
import type { ProgressBoard, ShardLine } from '../cli/view/progress-board.js';
import type { Row } from '../engine/types.js';
import type { GeneratorCounts } from './generator.js';

const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

/** Windows shown in the page-views table (the newest ones). */
const WINDOWS_SHOWN = 12;

/**
 * Page views per 1-minute window as a pivot: one line per window, one column per page; only the
 * newest windows are listed, with totals over every window written.
 */
async function pageViews(target: Target): Promise<string> {
  const { rows } = await readResults(target, target.query('page-views'), { view: 'table' });
  const pages = [...new Set(rows.map((row) => String(row.page)))].sort();
  const byWindow = new Map<number, Record<string, unknown>>();
  for (const row of rows) {
    const window = row.window as { start: number; end: number };
    const line = byWindow.get(window.start) ?? { window: `${hhmm(window.start)}–${hhmm(window.end)}` };
    line[String(row.page)] = Number(line[String(row.page)] ?? 0) + Number(row.views);
    byWindow.set(window.start, line);
  }
  const windows = [...byWindow.entries()].sort(([a], [b]) => a - b).map(([, line]) => line);
  for (const line of windows) for (const page of pages) line[page] ??= 0;
  const total: Record<string, unknown> = { window: 'all windows' };
  for (const page of pages)
    total[page] = rows.filter((row) => row.page === page).reduce((n, row) => n + Number(row.views), 0);
  const shown = windows.slice(-WINDOWS_SHOWN);
  const header =
    `page-views — views per page per 1-minute window, Parquet, append: ${rows.length} rows for ${windows.length} closed windows` +
    `${windows.length > shown.length ? ` (the newest ${shown.length} shown)` : ''}\n`;
  return header + formatTable(['window', ...pages], [...shown, total]);
}

/** Sessions: the newest row per (user, start), open or closed, and why open ones are still open. */
async function sessions(target: Target, watermarks: readonly ShardLine[]): Promise<string> {
  const { rows } = await readResults(target, target.query('sessions'), {
    view: 'table',
    keyColumns: ['user', 'start'],
  });
  const lines = [...rows]
    .sort((a, b) => String(a.user).localeCompare(String(b.user)) || Number(a.start) - Number(b.start))
    .map((row) => ({
      user: row.user,
      start: hhmm(Number(row.start)),
      end: hhmm(Number(row.end)),
      views: row.views,
      pages: row.pages,
      status: row.status,
    }));
  const closed = lines.filter((line) => line.status === 'closed').length;
  const perShard = watermarks
    .filter((line) => line.query === 'sessions')
    .map(
      (line) =>
        `${line.shard} ${line.watermarkMs > 0 ? new Date(line.watermarkMs).toISOString().slice(11, 19) : '—'}`,
    )
    .join(', ');
  return (
    `sessions — flatMapGroupsWithState with a 30-minute event-time timeout, JSON Lines, update: ${lines.length} sessions, ${closed} closed\n` +
    formatTable(['user', 'start', 'end', 'views', 'pages', 'status'], lines) +
    `a session closes once the query's watermark passes its end + 30 min; watermarks: ${perShard}.\n` +
    "The shards share one watermark (the highest event time − delay, Spark's rule); a quiet shard catches up on its heartbeat.\n" +
    'Event time moves only with data: when every shard is quiet, sessions stay open unless the query sets writeStream.idleWatermark(…).\n'
  );
}

/** Orders written once each by foreachBatch, summed per customer. */
async function orders(target: Target, duplicatesSent: number): Promise<string> {
  const { rows } = await readResults(target, target.query('orders'), { view: 'table' });
  const ids = new Set(rows.map((row) => row.orderId));
  const perCustomer = new Map<string, { customer: string; orders: number; amount: number }>();
  for (const row of rows as Row[]) {
    const customer = String(row.customer);
    const line = perCustomer.get(customer) ?? { customer, orders: 0, amount: 0 };
    line.orders += 1;
    line.amount += Number(row.amount);
    perCustomer.set(customer, line);
  }
  const lines = [...perCustomer.values()]
    .sort((a, b) => b.amount - a.amount)
    .map((line) => ({ ...line, amount: line.amount.toFixed(2) }));
  return (
    `orders — dropDuplicatesWithinWatermark, foreachBatch objects: ${rows.length} orders written, ${ids.size} distinct ids, ` +
    `${duplicatesSent} retried duplicates sent\n` +
    formatTable(['customer', 'orders', 'amount'], lines)
  );
}

/**
 * Clicks per campaign per 5-minute window, counted by the two-stage query: the newest row per
 * (window, campaign), summed per campaign, next to what the generator pushed.
 */
async function campaignClicks(target: Target, pushed: { clicks: number; cost: number }): Promise<string> {
  const { rows } = await readResults(target, target.query('campaign-clicks'), { view: 'table' });
  const perCampaign = new Map<string, { campaign: string; windows: number; clicks: number; cost: number }>();
  for (const row of rows) {
    const campaign = String(row.campaign);
    const line = perCampaign.get(campaign) ?? { campaign, windows: 0, clicks: 0, cost: 0 };
    line.windows += 1;
    line.clicks += Number(row.clicks);
    line.cost += Number(row.cost);
    perCampaign.set(campaign, line);
  }
  const lines = [...perCampaign.values()].sort((a, b) => b.clicks - a.clicks);
  const clicks = lines.reduce((sum, line) => sum + line.clicks, 0);
  const cost = lines.reduce((sum, line) => sum + line.cost, 0);
  return (
    'campaign-clicks — clicks per campaign per 5-minute window; producers key by user, so two stages ' +
    `(stage 1 on ad-clicks' shards → internal stream → stage 2), JSON Lines, update: ${rows.length} windows, ` +
    `${clicks} clicks and ${cost} cents counted of ${pushed.clicks} and ${pushed.cost} pushed\n` +
    formatTable(['campaign', 'windows', 'clicks', 'cost'], [...lines]) +
    'see both stages: npx sluice status campaign-clicks (stage-1 on the source shards, stage-2 on the internal ones)\n'
  );
}

/** Dead letters per query (and stage, for a two-stage query) with their reasons. */
async function deadLetters(target: Target): Promise<string> {
  const lines: Record<string, unknown>[] = [];
  for (const query of target.knownQueries) {
    for (const letter of await selectDeadLetters(target, query, {})) {
      const reason = letter.reason.split(':')[0];
      const name = letter.stage === undefined ? query.name : `${query.name} (${letter.stage})`;
      const line = lines.find((candidate) => candidate.query === name && candidate.reason === reason);
      if (line === undefined) lines.push({ query: name, reason, records: 1 });
      else line.records = Number(line.records) + 1;
    }
  }
  const order = target.knownQueries.map((query) => query.name);
  lines.sort(
    (a, b) =>
      order.indexOf(String(a.query).split(' ')[0]!) - order.indexOf(String(b.query).split(' ')[0]!) ||
      String(a.reason).localeCompare(String(b.reason)),
  );
  return `dead letters — kept with their bytes and reason, never blocking a batch\n${formatTable(['query', 'reason', 'records'], lines)}`;
}

/** Every query's results, as the demo prints them. */
export async function printResults(
  target: Target,
  board: ProgressBoard,
  counts: GeneratorCounts,
  out: NodeJS.WriteStream,
): Promise<void> {
  const sections = [
    await pageViews(target),
    await sessions(target, board.snapshot()),
    await orders(target, counts.duplicateOrders),
    await campaignClicks(target, { clicks: counts.adClicks, cost: counts.adClickCost }),
    await deadLetters(target),
  ];
  out.write(`\n${sections.join('\n')}`);
}
