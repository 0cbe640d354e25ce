/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { App, Stack } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProgressFeed } from '../../cli/ui/progress-feed.js';
import { startUiServer, type UiServer } from '../../cli/ui/server.js';
import { S3ProgressWriter } from '../../engine/aws/s3/progress-writer.js';
import type { QueryProgress } from '../../engine/runtime/progress.js';
import { type LocalDeployment, startLocalDeployment } from '../../local/index.js';
import { pageViewPhases, putInOrder } from '../local/e2e-inputs.js';
import { REPO_ROOT } from './run-cli.js';

/** The distribution's Chromium (apt-get install -y chromium); puppeteer's own download cannot reach its host. */
const CHROMIUM = process.env.SLUICE_CHROMIUM ?? '/usr/bin/chromium';
const noBrowser = existsSync(CHROMIUM)
  ? undefined
  : `no browser at ${CHROMIUM} (apt-get install -y chromium, or set SLUICE_CHROMIUM)`;
if (noBrowser !== undefined) console.warn(`sluice ui browser test skipped: ${noBrowser}`);
/** Set to a directory (e.g. docs) to save screenshots of the page there. */
const SCREENSHOTS = process.env.SLUICE_UI_SCREENSHOTS;

type Page = import('puppeteer-core').Page;
type Browser = import('puppeteer-core').Browser;

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** Every progress record of every shard of page-views, read from S3 apart from the UI's feed. */
async function progressOnS3(local: LocalDeployment): Promise<Map<string, QueryProgress[]>> {
  const query = local.resources.queries['page-views']!;
  const writer = new S3ProgressWriter({
    client: local.emulators.clients.s3,
    bucket: query.bucket,
    prefix: query.prefix,
    query: 'page-views',
  });
  const shards = new Map<string, QueryProgress[]>();
  for (const shard of ['shardId-000000000000', 'shardId-000000000001']) {
    const ids = await writer.batchIds(shard);
    shards.set(shard, await Promise.all(ids.map((id) => writer.read(shard, id))));
  }
  return shards;
}

/** The stats table of a shard's section: header → value. */
async function stats(page: Page, shard: string): Promise<Record<string, string>> {
  return page.evaluate((shard) => {
    const section = document.querySelector(`section[data-query="page-views"][data-shard="${shard}"]`);
    const [head, values] = [...(section?.querySelectorAll('.stats tr') ?? [])];
    const cells = (row: Element | undefined) =>
      [...(row?.children ?? [])].map((cell) => cell.textContent ?? '');
    const names = cells(head);
    return Object.fromEntries(cells(values).map((value, i) => [names[i], value]));
  }, shard);
}

describe.skipIf(noBrowser !== undefined)('sluice ui in a headless browser', () => {
  let local: LocalDeployment;
  let server: UiServer;
  let browser: Browser;
  let page: Page;
  const inputs = pageViewPhases(300);

  beforeAll(async () => {
    const { ExampleQueriesStack } = await import('../../infra/example-queries-stack.js');
    local = await startLocalDeployment({
      app: (app: App): Stack => new ExampleQueriesStack(app, 'SluiceExamples'),
      runner: { initTimeoutMs: 60_000, environment: { POWERTOOLS_LOG_LEVEL: 'ERROR' }, schedules: false },
    });
    const query = local.resources.queries['page-views']!;
    const feed = new ProgressFeed({
      client: local.emulators.clients.s3,
      bucket: query.bucket,
      prefix: query.prefix,
      query: 'page-views',
    });
    server = await startUiServer({
      port: 0,
      read: async () => ({
        where: 'the local stack',
        generatedAt: new Date().toISOString(),
        queries: [await feed.read()],
      }),
    });
    const puppeteer = await import('puppeteer-core');
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
    });
    page = await browser.newPage();
    await page.setViewport({ width: 1500, height: 1100 });
    // The first phases: valid rows, duplicates and malformed records, then rows that move the watermark.
    const [first, movers] = inputs.phases;
    await putInOrder(local.emulators.clients.kinesis, query.stream, first!);
    await local.runner.runUntilCaughtUp({ timeoutMs: 60_000 });
    await putInOrder(local.emulators.clients.kinesis, query.stream, movers!);
    await local.runner.runUntilCaughtUp({ timeoutMs: 60_000 });
    await page.goto(server.url);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await local?.stop();
  });

  it('draws five charts per shard with the numbers of the progress records on S3', async () => {
    await page.waitForFunction(() => document.querySelectorAll('section[data-shard] canvas').length >= 10, {
      timeout: 30_000,
    });
    const onS3 = await progressOnS3(local);
    for (const [shard, records] of onS3) {
      expect(records.length).toBeGreaterThan(0);
      const table = await stats(page, shard);
      expect(Number(table.batches)).toBe(records.length);
      expect(Number(table['input rows (all)'])).toBe(sum(records.map((p) => p.numInputRows)));
      expect(Number(table['dead letters (all)'])).toBe(sum(records.map((p) => p.numDeadLetters)));
      expect(table.watermark).toBe(records.at(-1)!.eventTime.watermark);
      // The charts hold the same series: processed rows/s per batch, phase durations, state rows.
      const data = await page.evaluate((shard) => {
        const charts = (window as any).sluiceUi.charts as Map<string, { data: (number | null)[][] }>;
        const of = (name: string) => charts.get(`page-views/${shard}/${name}`)!.data;
        return { rates: of('rates'), duration: of('duration'), state: of('state'), bad: of('bad') };
      }, shard);
      expect(data.rates[2]).toEqual(records.map((p) => p.processedRowsPerSecond));
      expect(data.duration[7]).toEqual(records.map((p) => p.durationMs.triggerExecution));
      expect(data.state[1]).toEqual(records.map((p) => p.stateOperators[0]!.numRowsTotal));
      expect(data.bad[1]).toEqual(records.map((p) => p.numDeadLetters));
      expect(data.rates[0]).toEqual(records.map((p) => Date.parse(p.timestamp) / 1000));
    }
    // Every valid row was counted once across the shards; every malformed record is a dead letter.
    const all = [...onS3.values()].flat();
    expect(sum(all.map((p) => p.numDeadLetters))).toBe(inputs.malformed);
    // The canvases are drawn on: more than a few distinct pixels (uPlot draws lines, axes and labels).
    const inked = await page.evaluate(() =>
      [...document.querySelectorAll('section[data-shard] canvas')].map((canvas) => {
        const c = canvas as HTMLCanvasElement;
        const pixels = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let drawn = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) drawn++;
        return drawn;
      }),
    );
    expect(inked.every((drawn) => drawn > 500)).toBe(true);
    if (SCREENSHOTS !== undefined) {
      await mkdir(join(REPO_ROOT, SCREENSHOTS), { recursive: true });
      await page.screenshot({ path: join(REPO_ROOT, SCREENSHOTS, 'sluice-ui.png'), fullPage: true });
    }
  }, 120_000);

  it('updates live: late rows and new batches appear without reloading', async () => {
    const query = local.resources.queries['page-views']!;
    const before = await page.evaluate(() => (window as any).sluiceUi.updates as number);
    const [, , lateAndOnTime] = inputs.phases;
    await putInOrder(local.emulators.clients.kinesis, query.stream, lateAndOnTime!);
    await local.runner.runUntilCaughtUp({ timeoutMs: 60_000 });
    const onS3 = await progressOnS3(local);
    const lateOnS3 = sum(
      [...onS3.values()].flat().map((p) => sum(p.stateOperators.map((op) => op.numLateInputRows))),
    );
    expect(lateOnS3).toBeGreaterThan(0);
    await page.waitForFunction(
      (expected) => {
        const cells = [
          ...document.querySelectorAll('section[data-shard] .stats tr:nth-child(2) td:nth-child(6)'),
        ];
        return cells.reduce((total, cell) => total + Number(cell.textContent), 0) === expected;
      },
      { timeout: 30_000 },
      lateOnS3,
    );
    expect(await page.evaluate(() => (window as any).sluiceUi.updates as number)).toBeGreaterThan(before);
    await page.click('section[data-shard] details summary');
    const json = await page.$eval('section[data-shard] .progress-json', (pre) => pre.textContent ?? '');
    const latest = JSON.parse(json) as QueryProgress;
    const shardRecords = onS3.get(latest.partition)!;
    expect(latest).toEqual(shardRecords.at(-1));
    if (SCREENSHOTS !== undefined) {
      await page.screenshot({
        path: join(REPO_ROOT, SCREENSHOTS, 'sluice-ui-progress-json.png'),
        fullPage: true,
      });
    }
  }, 120_000);
});

if (noBrowser !== undefined) {
  describe('sluice ui in a headless browser', () => {
    it.skip(`skipped: ${noBrowser}`, () => {});
  });
}
