import { describe, expect, it } from 'vitest';
import { count, GroupStateTimeout, InvalidQueryError, readStream, window } from '../../../engine/index.js';
import { MemoryStream, StreamTest } from '../../../engine/testkit/index.js';

// Spark's spark.sql.streaming.noDataMicroBatches.enabled as a per-query setting
// (writeStream.noDataMicroBatches(false)): without no-data batches, a window whose end the
// watermark has passed is emitted (and its state evicted) only by the next batch that brings data.

interface Click {
  page: string;
  ts: number;
}
const s = (n: number) => n * 1000;

const windowedCounts = (noData: boolean) =>
  new MemoryStream<Click>('clicks')
    .toStream({ eventTime: 'ts' })
    .withWatermark('ts', '10 seconds')
    .groupBy(window('ts', '10 seconds'), 'page')
    .agg({ n: count() })
    .writeStream.queryName('clicks')
    .outputMode('append')
    .noDataMicroBatches(noData)
    .build();

const stateRows = (test: StreamTest) => test.progress.at(-1)!.stateOperators[0]!.numRowsTotal;

describe('noDataMicroBatches', () => {
  it('on (default): the batch after the watermark moves emits the closed window by itself', async () => {
    const clicks = new MemoryStream<Click>('clicks');
    const test = new StreamTest(windowedCounts(true), [clicks]);
    clicks.addData({ page: '/a', ts: s(1) }, { page: '/a', ts: s(2) });
    expect(await test.processAllAvailable()).toEqual([]);
    clicks.addData({ page: '/b', ts: s(25) }); // watermark → 15 s: [0, 10) closes
    expect(await test.processAllAvailable()).toEqual([
      { window: { start: 0, end: s(10) }, page: '/a', n: 2 },
    ]);
    expect(test.progress.map((p) => p.isNoDataBatch)).toEqual([false, false, true]);
    expect(stateRows(test)).toBe(1);
  });

  it('off: the closed window waits for the next data, which emits it in its own batch', async () => {
    const clicks = new MemoryStream<Click>('clicks');
    const test = new StreamTest(windowedCounts(false), [clicks]);
    clicks.addData({ page: '/a', ts: s(1) }, { page: '/a', ts: s(2) });
    expect(await test.processAllAvailable()).toEqual([]);
    clicks.addData({ page: '/b', ts: s(25) }); // the watermark moves to 15 s after this batch…
    expect(await test.processAllAvailable()).toEqual([]); // …but no batch runs to close [0, 10)
    expect(test.progress.map((p) => p.isNoDataBatch)).toEqual([false, false]);
    expect(stateRows(test)).toBe(2);
    // Nothing is due until data comes, however often the trigger fires.
    test.clock.advance(s(60));
    expect(await test.processAllAvailable()).toEqual([]);
    expect(test.progress).toHaveLength(2);

    clicks.addData({ page: '/b', ts: s(26) }); // data: this batch evicts with watermark 15 s
    expect(await test.processAllAvailable()).toEqual([
      { window: { start: 0, end: s(10) }, page: '/a', n: 2 },
    ]);
    expect(test.progress.map((p) => p.isNoDataBatch)).toEqual([false, false, false]);
    expect(stateRows(test)).toBe(1);
  });

  it('off: the same windows, emitted later; a row is late only once its window was emitted, so it may still count', async () => {
    const batches: Click[][] = [
      [{ page: '/a', ts: s(1) }],
      [{ page: '/b', ts: s(12) }],
      [{ page: '/a', ts: s(31) }], // watermark → 21 s after this batch: [0, 10) and [10, 20) are closed
      [{ page: '/a', ts: s(5) }], // with no-data batches [0, 10) is emitted already: late; without, still open
      [{ page: '/c', ts: s(70) }],
      [{ page: '/c', ts: s(71) }],
    ];
    const run = async (noData: boolean) => {
      const clicks = new MemoryStream<Click>('clicks');
      const test = new StreamTest(windowedCounts(noData), [clicks]);
      for (const batch of batches) {
        clicks.addData(...batch);
        await test.processAllAvailable();
      }
      const dropped = test.progress.reduce((n, p) => n + p.stateOperators[0]!.numRowsDroppedByWatermark, 0);
      return { test, dropped };
    };
    const on = await run(true);
    const off = await run(false);
    const windows = (test: StreamTest) =>
      test.allOutput().map((r) => `${r.page}@${(r.window as { start: number }).start}=${r.n}`);
    expect(windows(on.test)).toEqual(['/a@0=1', '/b@10000=1', '/a@30000=1']);
    expect(on.dropped).toBe(1);
    // Spark behaves the same: the late bound of a batch is the previous batch's eviction watermark.
    expect(windows(off.test)).toEqual(['/a@0=2', '/b@10000=1', '/a@30000=1']);
    expect(off.dropped).toBe(0);
    expect(off.test.progress.every((p) => !p.isNoDataBatch)).toBe(true);
    expect(on.test.progress.some((p) => p.isNoDataBatch)).toBe(true);
  });

  it('off: an event-time timeout fires only in a batch with data', async () => {
    const events = new MemoryStream<Click>('events');
    const query = events
      .toStream({ eventTime: 'ts' })
      .withWatermark('ts', '0 seconds')
      .groupByKey((c) => c.page)
      .flatMapGroupsWithState(
        'update',
        (page, rows, state) => {
          if (state.hasTimedOut) {
            state.remove();
            return [{ page, closed: true }];
          }
          state.update(rows.length);
          state.setTimeoutTimestamp(Math.max(...rows.map((r) => r.ts)) + s(5));
          return [];
        },
        { timeout: GroupStateTimeout.EventTimeTimeout },
      )
      .writeStream.outputMode('update')
      .noDataMicroBatches(false)
      .build();
    const test = new StreamTest(query, [events]);
    events.addData({ page: '/a', ts: s(1) });
    await test.processAllAvailable();
    events.addData({ page: '/b', ts: s(20) }); // watermark → 20 s after this batch: /a's timeout (6 s) is due
    expect(await test.processAllAvailable()).toEqual([]);
    events.addData({ page: '/b', ts: s(21) });
    expect(await test.processAllAvailable()).toEqual([{ page: '/a', closed: true }]);
  });

  it('refuses an idle-watermark policy, which needs batches without data', () => {
    const build = () =>
      readStream<Click>('clicks', { eventTime: 'ts' })
        .withWatermark('ts', '10 seconds')
        .groupBy(window('ts', '10 seconds'))
        .count()
        .writeStream.idleWatermark('1 minute')
        .noDataMicroBatches(false)
        .build();
    expect(build).toThrow(InvalidQueryError);
    expect(build).toThrow(/IDLE_WATERMARK_WITHOUT_NO_DATA_BATCHES/);
  });
});
