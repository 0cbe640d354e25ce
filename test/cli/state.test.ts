import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, runCli } from './run-cli.js';

/**
 * `sluice state` against `sluice local up` (real handler, S3 state on the emulators): the open
 * windows of page-views are its state; closing them shows up as deletes in the change feed.
 */

const MINUTE = 60_000;
const BASE = Date.UTC(2026, 4, 1, 8, 0, 0);

interface SummaryRow {
  shard: string;
  operator: string;
  batch: number;
  attempt: string;
  keys: number;
  snapshot: number | null;
  deltas: number;
  'snapshot bytes': number;
  'delta bytes': number;
  unreferenced: number;
}

interface StateRow {
  shard: string;
  operator: string;
  key: string;
  value: unknown;
  expiresAt: string | null;
}

describe('sluice state on the local stack', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const cli = (...args: string[]) => runCli(args, { env, timeoutMs: 60_000 });
  const json = async <T>(...args: string[]): Promise<T> => {
    const run = await cli('state', 'page-views', '--format', 'json', ...args);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    return JSON.parse(run.stdout) as T;
  };
  const push = async (name: string, views: readonly object[]) => {
    const file = join(dir, name);
    await writeFile(file, `${views.map((view) => JSON.stringify(view)).join('\n')}\n`);
    expect((await cli('push', 'page-views', file)).code).toBe(0);
    expect((await cli('status', 'page-views', '--wait', '--timeout', '60')).code).toBe(0);
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-cli-state-'));
    env = cleanEnv({ SLUICE_STATE_DIR: join(dir, 'state') });
    const up = await runCli(['local', 'up'], { env, timeoutMs: 150_000 });
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
  }, 160_000);

  afterAll(async () => {
    if (env !== undefined) await runCli(['local', 'down'], { env, timeoutMs: 60_000 });
    await rm(dir, { recursive: true, force: true });
  }, 70_000);

  it('shows the versions, objects and keys of the open windows, and the change feed as they close', async () => {
    // 2 pages × 5 minutes, 1–3 views each: 10 open (window, page) groups, none closed yet.
    const views = [];
    for (let minute = 0; minute < 5; minute++)
      for (const [i, page] of ['/a', '/b'].entries())
        for (let n = 0; n <= (minute + i) % 3; n++)
          views.push({ page, user: `u${n}`, ts: BASE + minute * MINUTE + n * 1000 });
    await push('open.jsonl', views);

    const summary = await json<SummaryRow[]>();
    expect(summary.length).toBeGreaterThan(0);
    expect(summary.reduce((total, row) => total + row.keys, 0)).toBe(10);
    const status = JSON.parse((await cli('status', 'page-views', '--format', 'json')).stdout) as Array<{
      shards: Array<{ shard: string; batchId: number | null }>;
    }>;
    for (const row of summary) {
      expect(row.batch).toBe(status[0]!.shards.find((s) => s.shard === row.shard)!.batchId);
      expect(row.attempt).toMatch(/^[0-9a-z]+$/);
      expect(row['snapshot bytes'] + row['delta bytes']).toBeGreaterThan(0);
    }

    const rows = await json<StateRow[]>('--view', 'rows');
    expect(rows).toHaveLength(10);
    for (const page of ['/a', '/b']) expect(rows.filter((row) => row.key.includes(page))).toHaveLength(5);
    // Each group's state holds its count: 1–3 views, as pushed.
    const counts = rows.map((row) => JSON.stringify(row.value));
    expect(counts.some((text) => text.includes('3'))).toBe(true);

    const objects = await json<Array<{ kind: string; bytes: number; rows: number }>>('--view', 'objects');
    expect(objects.length).toBeGreaterThanOrEqual(summary.length);
    expect(objects.every((object) => object.bytes > 0)).toBe(true);

    const sql = await cli(
      'state',
      'page-views',
      '--format',
      'csv',
      '--sql',
      "select count(*) as groups from state where key like '%/a%'",
    );
    expect(sql.stderr).toBe('');
    expect(sql.stdout.trim().split('\n')).toEqual(['groups', '5']);

    // One view per page 30 minutes on: the watermark passes every open window, which closes.
    await push('closers.jsonl', [
      { page: '/a', user: 'closer', ts: BASE + 30 * MINUTE },
      { page: '/b', user: 'closer', ts: BASE + 30 * MINUTE },
    ]);
    // (`status --wait` includes the no-data batch the moved watermark calls for, which evicts.)
    const after = await json<StateRow[]>('--view', 'rows');
    expect(after.map((row) => row.key).every((key) => !rows.some((old) => old.key === key))).toBe(true);
    // The change feed after each shard's snapshot: the deltas the chain holds, batch by batch.
    for (const row of await json<SummaryRow[]>()) {
      const since = row.snapshot ?? -1;
      const changes = await json<Array<{ batch: number; shard: string; change: string }>>(
        '--shard',
        row.shard,
        '--operator',
        row.operator,
        '--changes-since',
        String(since),
      );
      expect(changes.every((change) => change.batch > since && change.shard === row.shard)).toBe(true);
      expect(new Set(changes.map((change) => change.batch)).size).toBe(row.deltas);
      if (since > 0) {
        const refused = await cli(
          'state',
          'page-views',
          '--shard',
          row.shard,
          '--changes-since',
          String(since - 1),
        );
        expect(refused.code).toBe(2);
        expect(refused.stderr).toMatch(new RegExp(`snapshot at batch ${since}`));
      }
    }

    const bad = await cli('state', 'page-views', '--batch', 'x');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--batch "x".*batch id/);
  }, 600_000);
});
