import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, REPO_ROOT, runNode } from './run-cli.js';

/** `tsx`, as `npm start` runs it. */
const TSX = join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

/**
 * `npm start`, once: the demo must end by itself, exit 0 and print each query's results. Run as
 * `tsx demo/start.ts` (what `npm start` runs) with standard output not a terminal, so the live
 * view prints plain lines.
 */
describe('npm start (the demo)', () => {
  it('runs the four example queries (one in two stages) on the local stack and prints their results', async () => {
    const run = await runNode([TSX, 'demo/start.ts'], { env: cleanEnv(), timeoutMs: 110_000 });
    expect(run.code, run.stderr).toBe(0);
    const out = run.stdout;

    // The live view, as plain lines: every query shard, with its numbers.
    for (const query of ['page-views', 'sessions', 'orders', 'campaign-clicks.stage-1', 'campaign-clicks']) {
      expect(out).toMatch(
        new RegExp(
          `\\[\\s*[\\d.]+ s\\] ${query} shardId-\\d+: \\d+ batches, \\d+ rows, \\d+ rows/s, watermark [\\d:—]+, lag \\d+, \\d+ dead letters?`,
        ),
      );
    }
    expect(out).toMatch(
      /pushed \d+ page views \(\d+ out of order, \d+ arriving 25 minutes late\), \d+ user events, \d+ orders \(\d+ duplicates\), \d+ ad clicks, 30 malformed records/,
    );

    // page-views: a pivot of closed 1-minute windows, one column per page, and totals.
    const pageViews = section(out, 'page-views —');
    expect(pageViews[0]).toMatch(
      /^page-views — views per page per 1-minute window, Parquet, append: \d+ rows for \d+ closed windows/,
    );
    expect(pageViews[1]).toMatch(/^window\s+\/\s+\/blog\s+\/docs\s+\/pricing\s+\/signup$/);
    expect(pageViews.some((line) => /^09:5\d–09:5\d(\s+\d+){5}$/.test(line))).toBe(true);
    expect(pageViews.at(-1)).toMatch(/^all windows(\s+\d+){5}$/);

    // sessions: some closed by the event-time timeout, some still open.
    const sessions = section(out, 'sessions —');
    const closed = Number(/(\d+) closed/.exec(sessions[0]!)![1]);
    expect(closed).toBeGreaterThan(0);
    const sessionRows = sessions.slice(3).filter((line) => /^\w+\s+\d\d:\d\d\s+\d\d:\d\d/.test(line));
    expect(sessionRows.filter((line) => /\sclosed$/.test(line))).toHaveLength(closed);
    expect(sessionRows.some((line) => /\sopen$/.test(line))).toBe(true);
    expect(sessions.at(-1)).toMatch(/unless the query sets writeStream\.idleWatermark/);

    // orders: every order written exactly once although duplicates were sent.
    const orders = section(out, 'orders —');
    const [, written, distinct, duplicates] =
      /(\d+) orders written, (\d+) distinct ids, (\d+) retried duplicates sent/.exec(orders[0]!)!;
    expect(written).toBe(distinct);
    expect(Number(duplicates)).toBeGreaterThan(0);
    expect(orders.slice(3).reduce((sum, line) => sum + Number(line.trim().split(/\s+/)[1]), 0)).toBe(
      Number(written),
    );

    // campaign-clicks (two stages): every click pushed is counted once, per campaign.
    const clicks = section(out, 'campaign-clicks —');
    const [, counted, cost, pushed, pushedCost] =
      /(\d+) clicks and (\d+) cents counted of (\d+) and (\d+) pushed/.exec(clicks[0]!)!;
    expect([counted, cost]).toEqual([pushed, pushedCost]);
    expect(clicks[1]).toMatch(/^campaign\s+windows\s+clicks\s+cost$/);
    expect(
      clicks.filter((line) => /^(spring-sale|docs-launch|retarget|brand)\s+\d+\s+\d+\s+\d+$/.test(line)),
    ).toHaveLength(4);

    // dead letters: each kind of malformed record, with its reason (and stage, for two stages).
    const dead = section(out, 'dead letters —');
    expect(dead.slice(3)).toEqual([
      expect.stringMatching(/^page-views\s+malformed JSON\s+6$/),
      expect.stringMatching(/^page-views\s+partition key mismatch\s+6$/),
      expect.stringMatching(/^sessions\s+invalid UTF-8\s+6$/),
      expect.stringMatching(/^orders\s+schema\s+6$/),
      expect.stringMatching(/^campaign-clicks \(stage-1\)\s+schema\s+6$/),
    ]);

    const [, errors, seconds] = /(\d+) function errors.*, \d+ records read; finished in ([\d.]+) s/.exec(
      out,
    )!;
    expect(errors).toBe('0');
    // About 25 s on an idle two-CPU machine; the bound leaves room for one shared with other suites.
    expect(Number(seconds)).toBeLessThan(90);
  }, 120_000);
});

/** The lines of the block that starts with `title`, up to the next blank line. */
function section(out: string, title: string): string[] {
  const lines = out.split('\n');
  const start = lines.findIndex((line) => line.startsWith(title));
  expect(start, `no "${title}" in the output`).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((line, i) => i > start && line.trim() === '');
  return lines.slice(start, end === -1 ? undefined : end);
}
