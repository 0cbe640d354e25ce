import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, errorLines, runCli } from './run-cli.js';

/**
 * The operator tools, driven as an operator drives them against `sluice local up` (real handler,
 * emulators): `dead-letters` lists and exports what a query set aside, `replay-dead-letters` puts
 * it back on the stream (and not twice), `checkpoint reset-watermark` lets rows a bad clock made
 * late count again, `checkpoint skip` moves a shard's committed position without ever rewinding.
 */

const MINUTE = 60_000;
const BASE = Date.UTC(2026, 2, 1, 12, 0, 0);

interface Letter {
  batchId: number;
  shard: string;
  reason: string;
  position: string;
  partitionKey: string;
  data: string;
}

interface ShardStatus {
  shard: string;
  batchId: number | null;
  committedSeq: string | null;
  watermark: string | null;
  pendingBatchId: number | null;
}

describe('sluice operator tools on the local stack', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const cli = (...args: string[]) => runCli(args, { env, timeoutMs: 60_000 });
  const pushLines = async (name: string, lines: readonly string[]) => {
    const file = join(dir, name);
    await writeFile(file, `${lines.join('\n')}\n`);
    const pushed = await cli('push', 'page-views', file);
    expect(pushed.stderr).toBe('');
    expect(pushed.code).toBe(0);
    const waited = await cli('status', 'page-views', '--wait', '--timeout', '60');
    expect(waited.code).toBe(0);
  };
  const deadLetters = async (...args: string[]) => {
    const run = await cli('dead-letters', 'page-views', '--format', 'json', ...args);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    return JSON.parse(run.stdout) as Letter[];
  };
  const shards = async () => {
    const run = await cli('status', 'page-views', '--format', 'json');
    expect(run.code).toBe(0);
    return (JSON.parse(run.stdout) as { shards: ShardStatus[] }[])[0]!.shards;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-cli-ops-'));
    env = cleanEnv({ SLUICE_STATE_DIR: join(dir, 'state') });
    const up = await runCli(['local', 'up'], { env, timeoutMs: 150_000 });
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
  }, 160_000);

  afterAll(async () => {
    if (env !== undefined) await runCli(['local', 'down'], { env, timeoutMs: 60_000 });
    await rm(dir, { recursive: true, force: true });
  }, 70_000);

  // Valid JSON with the partition key, so `push` accepts them; the query's schema does not.
  const noTime = JSON.stringify({ page: '/bad', user: 'no-ts' });
  const badTime = JSON.stringify({ page: '/bad', user: 'bad-ts', ts: 'soon' });

  it('lists and exports dead letters with their bytes and reason, filtered', async () => {
    const views = [0, 1, 2].map((i) => ({ page: '/a', user: `u${i}`, ts: BASE + i * MINUTE }));
    await pushLines('first.jsonl', [...views.map((view) => JSON.stringify(view)), noTime, badTime]);

    const letters = await deadLetters();
    expect(letters.map((letter) => Buffer.from(letter.data, 'base64').toString()).sort()).toEqual(
      [badTime, noTime].sort(),
    );
    for (const letter of letters) {
      expect(letter.partitionKey).toBe('/bad');
      expect(letter.shard).toMatch(/^shardId-\d{12}$/);
      expect(letter.position).toMatch(/^\d+$/);
      expect(letter.reason).not.toBe('');
    }
    const byUser = (user: string) =>
      letters.find((l) => Buffer.from(l.data, 'base64').toString().includes(user))!;
    const reason = byUser('bad-ts').reason;
    // --reason is a case-insensitive regular expression over the reason.
    const matched = await deadLetters(
      '--reason',
      reason
        .slice(0, 12)
        .toUpperCase()
        .replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    );
    expect(matched.map((l) => l.position)).toContain(byUser('bad-ts').position);
    expect(await deadLetters('--batch', String(letters[0]!.batchId + 1000))).toEqual([]);
    expect(await deadLetters('--shard', 'shardId-999999999999')).toEqual([]);

    const [records, table, csv] = await Promise.all([
      cli('dead-letters', 'page-views', '--format', 'records'),
      cli('dead-letters', 'page-views'),
      cli('dead-letters', 'page-views', '--format', 'csv'),
    ]);
    expect(records.stdout.trim().split('\n').sort()).toEqual([badTime, noTime].sort());
    expect(table.stdout).toMatch(
      /^batch\s+shard\s+position\s+partitionKey\s+bytes\s+operator\s+reason\s+data\n/,
    );
    expect(table.stdout).toContain(String(Buffer.byteLength(noTime)));
    expect(csv.stdout.split('\n')[0]).toBe('batch,shard,position,partitionKey,bytes,operator,reason,data');
    expect(csv.stdout.trim().split('\n')).toHaveLength(3);
  }, 120_000);

  it('replays dead letters as new records, once unless --again', async () => {
    const before = await deadLetters();
    const batches = [...new Set(before.map((letter) => letter.batchId))].join(',');

    const dry = await cli('replay-dead-letters', 'page-views', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^would replay 2 dead letters of page-views to \S+ \(batch(es)? [\d, ]+\)\n$/);
    expect(await deadLetters()).toEqual(before); // nothing sent

    const replayed = await cli('replay-dead-letters', 'page-views', '--batch', batches);
    expect(replayed.stderr).toBe('');
    expect(replayed.code).toBe(0);
    expect(replayed.stdout).toMatch(/^replayed 2 dead letters of page-views to \S+/);
    expect((await cli('status', 'page-views', '--wait', '--timeout', '60')).code).toBe(0);

    // The query is unchanged, so the replayed records come back as new dead letters: same bytes
    // and partition keys, new sequence numbers, later batches; the first ones are untouched.
    const after = await deadLetters();
    expect(after.slice(0, before.length)).toEqual(before);
    const again = after.slice(before.length);
    expect(again.map((l) => l.data).sort()).toEqual(before.map((l) => l.data).sort());
    for (const letter of again) {
      expect(letter.batchId).toBeGreaterThan(Math.max(...before.map((l) => l.batchId)));
      expect(before.map((l) => l.position)).not.toContain(letter.position);
    }

    const twice = await cli('replay-dead-letters', 'page-views', '--batch', batches);
    expect(twice.code).toBe(0);
    expect(twice.stdout).toBe(
      'replayed 0 dead letters of page-views; 2 replayed before skipped (--again sends them again)\n',
    );
    const forced = await cli('replay-dead-letters', 'page-views', '--batch', batches, '--again', '--dry-run');
    expect(forced.stdout).toMatch(/^would replay 2 dead letters/);
  }, 120_000);

  it('resets the watermark a far-future event time moved, so later on-time rows count again', async () => {
    // A bad clock on page /jump: its shard's watermark goes to +1000 minutes − 10 minutes.
    const jump = { page: '/jump', user: 'clock', ts: BASE + 1_000 * MINUTE };
    await pushLines('jump.jsonl', [JSON.stringify(jump)]);
    const jumped = (await shards()).filter(
      (shard) => shard.watermark === new Date(BASE + 990 * MINUTE).toISOString(),
    );
    expect(jumped).toHaveLength(1);

    // On that shard, a view at +5 minutes is now late: dropped.
    const late = { page: '/jump', user: 'dropped', ts: BASE + 5 * MINUTE + 1_000 };
    await pushLines('late.jsonl', [JSON.stringify(late)]);
    // Dropped, not lost: the late-rows output has it, with the operator and the watermark.
    const lateRun = await cli('query', 'page-views', '--late', '--format', 'json');
    expect(lateRun.stderr).toBe('');
    expect(lateRun.code).toBe(0);
    expect(JSON.parse(lateRun.stdout)).toEqual([
      {
        batch: expect.any(Number),
        shard: jumped[0]!.shard,
        operator: 'aggregate-0',
        eventTime: new Date(BASE + 6 * MINUTE).toISOString(), // its window's end
        watermark: new Date(BASE + 990 * MINUTE).toISOString(),
        page: '/jump',
        user: 'dropped',
        ts: late.ts,
      },
    ]);
    const lateTable = await cli('query', 'page-views', '--late');
    expect(lateTable.stdout).toMatch(
      /^batch\s+shard\s+operator\s+eventTime\s+watermark\s+page\s+user\s+ts\n/,
    );

    const reset = await cli(
      'checkpoint',
      'reset-watermark',
      'page-views',
      '--to',
      new Date(BASE).toISOString(),
      '--format',
      'json',
    );
    expect(reset.stderr).toBe('');
    expect(reset.code).toBe(0);
    const { repairs, unchanged } = JSON.parse(reset.stdout) as {
      repairs: { shard: string; before: { watermarkMs: number }; after: { watermarkMs: number } }[];
      unchanged: string[];
    };
    // The shard the jump reached is lowered (and any other shard whose watermarks the query-wide
    // watermark raised); every shard is at or before BASE afterwards.
    expect(repairs.map((r) => r.shard)).toContain(jumped[0]!.shard);
    expect(repairs.find((r) => r.shard === jumped[0]!.shard)).toMatchObject({
      before: { watermarkMs: BASE + 990 * MINUTE },
      after: { watermarkMs: BASE },
    });
    expect(repairs.length + unchanged.length).toBe((await shards()).length);
    for (const shard of await shards())
      expect(Date.parse(shard.watermark ?? new Date(0).toISOString())).toBeLessThanOrEqual(BASE);

    // After the reset the same kind of view counts; two closers on the same page close its window.
    const counted = { page: '/jump', user: 'counted', ts: BASE + 5 * MINUTE + 2_000 };
    await pushLines('counted.jsonl', [
      JSON.stringify(counted),
      JSON.stringify({ ...counted, user: 'c1', ts: BASE + 40 * MINUTE }),
    ]);
    await pushLines('closer.jsonl', [JSON.stringify({ ...counted, user: 'c2', ts: BASE + 41 * MINUTE })]);
    const queried = await cli('query', 'page-views', '--format', 'json');
    const rows = JSON.parse(queried.stdout) as { window: { start: string }; page: string; views: number }[];
    const jumpRows = rows.filter((row) => row.page === '/jump');
    expect(jumpRows).toEqual([
      {
        window: {
          start: new Date(BASE + 5 * MINUTE).toISOString(),
          end: new Date(BASE + 6 * MINUTE).toISOString(),
        },
        page: '/jump',
        views: 1,
      },
    ]);
  }, 180_000);

  it('skips forward only, and the shard keeps committing afterwards', async () => {
    const [first] = await shards();
    const committed = BigInt(first!.committedSeq!);
    const behind = await cli(
      'checkpoint',
      'skip',
      'page-views',
      '--shard',
      first!.shard,
      '--through',
      String(committed - 1n),
    );
    expect(behind.code).toBe(2);
    expect(errorLines(behind)).toHaveLength(1);
    expect(errorLines(behind)[0]).toMatch(
      /^sluice: Shard shardId-\d+ of 'page-views' has committed through \d+; \d+ is not after it, so there is nothing to skip/,
    );

    const skipped = await cli(
      'checkpoint',
      'skip',
      'page-views',
      '--shard',
      first!.shard,
      '--through',
      String(committed + 1n),
    );
    expect(skipped.stderr).toBe('');
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).toBe(
      `${first!.shard}: committed position ${committed} → ${committed + 1n} (batch ${first!.batchId}); records through ${committed + 1n} will not be processed\n`,
    );
    // Records put after the skip are past it: processed as usual, on every shard.
    // Sixteen pages: both shards get some (all on one shard: odds 1 in 32,768).
    const views = Array.from({ length: 16 }, (_, i) => ({
      page: `/s${i}`,
      user: 'after-skip',
      ts: BASE + 50 * MINUTE,
    }));
    await pushLines(
      'after-skip.jsonl',
      views.map((view) => JSON.stringify(view)),
    );
    for (const shard of await shards()) expect(shard.pendingBatchId).toBeNull();
    expect(BigInt((await shards()).find((s) => s.shard === first!.shard)!.committedSeq!)).toBeGreaterThan(
      committed + 1n,
    );
  }, 120_000);

  it('refuses bad input with a one-line fix', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['checkpoint', 'reset-watermark', 'page-views', '--to', 'yesterday'],
        /^sluice: Invalid --to "yesterday": give an ISO-8601 time/,
      ],
      [
        ['checkpoint', 'skip', 'page-views', '--shard', 'shardId-000000000009', '--through', '5'],
        /^sluice: Query 'page-views' has no checkpoint for shard shardId-000000000009/,
      ],
      [
        ['checkpoint', 'skip', 'page-views', '--shard', 'shardId-000000000000', '--through', 'x1'],
        /is not a Kinesis sequence number/,
      ],
      [
        ['dead-letters', 'page-views', '--batch', '7-3'],
        /^sluice: Invalid --batch "7-3": the range 7-3 ends before it starts\.$/,
      ],
      [
        ['dead-letters', 'page-views', '--reason', '('],
        /^sluice: Invalid --reason "\(": not a regular expression/,
      ],
      [['dead-letters', 'clicks'], /^sluice: Unknown query 'clicks' on the local stack/],
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
});
