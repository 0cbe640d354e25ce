import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, errorLines, runCli } from './run-cli.js';

/**
 * The user's loop, driven as a user drives it: `sluice local up`, `push` files, `status --wait`,
 * `query --format json`, `local down`, each a separate `node bin/sluice.js` process. Results are
 * checked against a reference computed here from the pushed events.
 */

const MINUTE = 60_000;
const BASE = Date.UTC(2026, 0, 15, 9, 0, 0);
const PAGES = ['/', '/docs', '/pricing'];

interface View {
  page: string;
  user: string;
  ts: number;
}

/** Ten minutes of views per page, a few out of order, then one view per page 30 minutes on. */
function pageViews(): { views: View[]; closers: View[] } {
  const views: View[] = [];
  for (let minute = 0; minute < 10; minute++) {
    for (const [i, page] of PAGES.entries()) {
      const count = ((i + minute) % 4) + 1;
      for (let n = 0; n < count; n++)
        views.push({ page, user: `u${n}`, ts: BASE + minute * MINUTE + n * 7_000 + i * 1_000 });
    }
  }
  // Out of order by up to two minutes: within the 10-minute watermark delay, so still counted.
  views.splice(40, 0, { page: '/docs', user: 'late-but-ok', ts: BASE + 3 * MINUTE + 30_000 });
  // One view per page 30 minutes on moves every shard's watermark to +20 min: minutes 0-9 close.
  const closers = PAGES.map((page) => ({ page, user: 'closer', ts: BASE + 30 * MINUTE }));
  return { views, closers };
}

/** views per (window start, page), for windows the closers close. */
function windowCounts(views: readonly View[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const view of views) {
    const start = new Date(view.ts - (view.ts % MINUTE)).toISOString();
    const key = `${start}|${view.page}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

interface Order {
  orderId: string;
  customer: string;
  amount: number;
  ts: number;
}

function orders(): { sent: Order[]; unique: Order[] } {
  const unique = Array.from({ length: 30 }, (_, i) => ({
    orderId: `ord-${String(i).padStart(3, '0')}`,
    customer: ['acme', 'globex', 'hooli'][i % 3]!,
    amount: 10 + i,
    ts: BASE + i * 20_000,
  }));
  // Producers retry: eight orders arrive twice, minutes apart (inside the 1-hour watermark delay).
  const sent = [...unique, ...unique.filter((_, i) => i % 4 === 1)];
  return { sent, unique };
}

const jsonl = (rows: readonly unknown[]) => `${rows.map((row) => JSON.stringify(row)).join('\n')}\n`;

describe('sluice CLI end to end on the local stack', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const cli = (...args: string[]) => runCli(args, { env, timeoutMs: 60_000 });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-cli-e2e-'));
    env = cleanEnv({ SLUICE_STATE_DIR: join(dir, 'state') });
    const up = await runCli(['local', 'up'], { env, timeoutMs: 150_000 });
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/local stack up \(pid \d+\)/);
    expect(up.stdout).toContain('page-views ← stream');
  }, 160_000);

  afterAll(async () => {
    if (env !== undefined) await runCli(['local', 'down'], { env, timeoutMs: 60_000 });
    await rm(dir, { recursive: true, force: true });
  }, 70_000);

  it('pushes page views, waits, and reads the closed windows back; late views are dropped', async () => {
    const { views, closers } = pageViews();
    const lines = [...views, ...closers].map((view) => JSON.stringify(view));
    lines.splice(4, 0, '{"page": "/", "user": oops}'); // line 5: malformed
    const file = join(dir, 'page-views.jsonl');
    await writeFile(file, `${lines.join('\n')}\n`);

    const pushed = await cli('push', 'page-views', file);
    expect(pushed.code).toBe(1);
    expect(pushed.stdout).toMatch(new RegExp(`^pushed ${views.length + closers.length} records to \\S+ in`));
    const errors = errorLines(pushed);
    expect(errors[0]).toBe(`${file}:5: not JSON (${errorOf('{"page": "/", "user": oops}')})`);
    expect(errors.at(-1)).toMatch(/^sluice: 1 malformed line skipped: fix the lines reported above/);

    const waited = await cli('status', '--wait', '--timeout', '45', '--format', 'json');
    expect(waited.code).toBe(0);
    const status = JSON.parse(waited.stdout) as {
      query: string;
      shards: { lag: { records: number }; pendingBatchId: unknown }[];
    }[];
    const pageStatus = status.find((entry) => entry.query === 'page-views')!;
    expect(pageStatus.shards).toHaveLength(2);
    for (const shard of pageStatus.shards) {
      expect(shard.lag.records).toBe(0);
      expect(shard.pendingBatchId).toBeNull();
    }

    // Trigger.AvailableNow under its own name: the query's code over what the stream holds now.
    const backfilled = await cli('backfill', 'page-views', '--format', 'json');
    expect(backfilled.code).toBe(0);
    const summary = JSON.parse(backfilled.stdout) as { name: string; shards: { records: number }[] };
    expect(summary.name).toBe('page-views-backfill');
    expect(summary.shards.reduce((sum, shard) => sum + shard.records, 0)).toBe(views.length + closers.length);
    const backfillRows = JSON.parse(
      (await cli('query', 'page-views-backfill', '--format', 'json')).stdout,
    ) as {
      window: { start: string };
      page: string;
      views: number;
    }[];
    expect(new Map(backfillRows.map((row) => [`${row.window.start}|${row.page}`, row.views]))).toEqual(
      windowCounts(views),
    );
    const backfillStatus = await cli('status', 'page-views-backfill', '--format', 'json');
    expect(backfillStatus.code).toBe(0);
    const backfillShards = (
      JSON.parse(backfillStatus.stdout) as { shards: { lag: { records: number } }[] }[]
    )[0]!.shards;
    expect(backfillShards.map((shard) => shard.lag.records)).toEqual([0, 0]);

    // Views far behind the watermark (+20 min): their windows are closed, so they are dropped.
    const late = PAGES.map((page) => ({ page, user: 'too-late', ts: BASE + MINUTE + 5_000 }));
    const lateFile = join(dir, 'late.jsonl');
    await writeFile(lateFile, jsonl(late));
    expect((await cli('push', 'page-views', lateFile)).code).toBe(0);
    expect((await cli('status', 'page-views', '--wait', '--timeout', '45')).code).toBe(0);

    const [queried, summed, csv] = await Promise.all([
      cli('query', 'page-views', '--format', 'json'),
      cli(
        'query',
        'page-views',
        '--sql',
        'select page, sum(views) as views from result group by page order by page',
        '--format',
        'json',
      ),
      cli('query', 'page-views', '--format', 'csv'),
    ]);
    expect(queried.stderr).toBe('');
    expect(queried.code).toBe(0);
    const rows = JSON.parse(queried.stdout) as {
      window: { start: string; end: string };
      page: string;
      views: number;
    }[];
    const actual = new Map(rows.map((row) => [`${row.window.start}|${row.page}`, row.views]));
    expect(actual).toEqual(windowCounts(views));
    for (const row of rows) expect(Date.parse(row.window.end) - Date.parse(row.window.start)).toBe(MINUTE);

    expect(summed.code).toBe(0);
    expect(JSON.parse(summed.stdout)).toEqual(
      PAGES.map((page) => ({ page, views: views.filter((view) => view.page === page).length })),
    );
    expect(csv.stdout.split('\n')[0]).toBe('window.start,window.end,page,views');
    expect(csv.stdout.trim().split('\n')).toHaveLength(rows.length + 1);
  }, 120_000);

  it('pushes orders from standard input (duplicates are written once) and user sessions (an upsert log)', async () => {
    const { sent, unique } = orders();
    const activity = ['ann', 'bob', 'cid'].flatMap((user, u) =>
      Array.from({ length: 5 }, (_, n) => ({
        page: PAGES[(u + n) % PAGES.length]!,
        user,
        ts: BASE + n * MINUTE + u * 1_000,
      })),
    );
    const activityFile = join(dir, 'activity.jsonl');
    await writeFile(activityFile, jsonl(activity));
    const [pushed, pushedActivity] = await Promise.all([
      runCli(['push', 'orders', '-'], { env, input: jsonl(sent), timeoutMs: 60_000 }),
      cli('push', 'user-activity', activityFile),
    ]);
    expect(pushed.stderr).toBe('');
    expect(pushed.code).toBe(0);
    expect(pushed.stdout).toMatch(new RegExp(`^pushed ${sent.length} records to `));
    expect(pushedActivity.code).toBe(0);
    expect((await cli('status', '--wait', '--timeout', '45')).code).toBe(0);

    const [queried, table, sessions, noKey] = await Promise.all([
      cli('query', 'orders', '--format', 'json'),
      cli('status', 'orders'),
      cli('query', 'sessions', '--key', 'user,start', '--format', 'json'),
      cli('query', 'sessions', '--format', 'json'),
    ]);
    expect(sessions.code).toBe(0);
    const sessionRows = JSON.parse(sessions.stdout) as { user: string }[];
    expect(sessionRows.sort((x, y) => x.user.localeCompare(y.user))).toEqual(
      ['ann', 'bob', 'cid'].map((user, u) => ({
        user,
        start: BASE + u * 1_000,
        end: BASE + 4 * MINUTE + u * 1_000,
        views: 5,
        pages: 3,
        status: 'open',
      })),
    );
    // The sessions function names its output key in the manifests, so --key is optional.
    expect(noKey.code).toBe(0);
    expect(
      (JSON.parse(noKey.stdout) as { user: string }[]).sort((x, y) => x.user.localeCompare(y.user)),
    ).toEqual(sessionRows);
    expect(queried.code).toBe(0);
    const rows = JSON.parse(queried.stdout) as Order[];
    expect([...rows].sort((a, b) => a.orderId.localeCompare(b.orderId))).toEqual(unique);

    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(
      /^orders ← stream \S+\nshard\s+batch\s+committed seq\s+watermark\s+lag\s+pending\s+last batch\n/,
    );
    expect(table.stdout).toMatch(/shardId-000000000000\s+\d+\s+…\d{12}\s+2026-01-15 \d\d:\d\d:\d\d\s+0\s/);
  }, 120_000);

  it('rejects unknown queries and streams and unreadable files with a one-line fix', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['push', 'clicks', join(dir, 'none.jsonl')],
        /^sluice: Unknown stream 'clicks' on the local stack: use one of page-views, user-activity, sessions, orders, ad-clicks, campaign-clicks\.$/,
      ],
      [
        ['push', 'page-views', join(dir, 'missing.jsonl')],
        /^sluice: Cannot read .*missing\.jsonl \(ENOENT\): pass a readable JSON Lines file, or '-' to read standard input\.$/,
      ],
      [['push', 'page-views', dir], /^sluice: Cannot read .* \(EISDIR\): pass a readable JSON Lines file/],
      [
        ['query', 'clicks'],
        /^sluice: Unknown query 'clicks' on the local stack: use one of page-views, sessions, orders, campaign-clicks\.$/,
      ],
      [['status', 'clicks'], /^sluice: Unknown query 'clicks' on the local stack: use one of /],
    ];
    await Promise.all(
      cases.map(async ([args, message]) => {
        const run = await cli(...args);
        expect(run.code, args.join(' ')).toBe(2);
        expect(errorLines(run), args.join(' ')).toHaveLength(1);
        expect(errorLines(run)[0]).toMatch(message);
      }),
    );
  }, 120_000);

  it('stops with local down; the other commands then say to run local up', async () => {
    const down = await cli('local', 'down');
    expect(down.code).toBe(0);
    expect(down.stdout).toMatch(/^local stack stopped \(pid \d+\)/);
    const after = await cli('status', '--local');
    expect(after.code).toBe(1);
    expect(errorLines(after)).toEqual([
      `sluice: The local stack is not running (no ${join(dir, 'state', 'local.json')}): start it with \`sluice local up\`.`,
    ]);
    expect((await cli('local', 'down')).stdout).toBe('no local stack running\n');
  }, 90_000);
});

function errorOf(text: string): string {
  try {
    JSON.parse(text);
    return '';
  } catch (error) {
    return (error as Error).message;
  }
}
