import { describe, expect, it } from 'vitest';
import { count, window } from '../../../engine/index.js';
import { MemoryStream, StreamTest } from '../../../engine/testkit/index.js';

// Spark's Trigger.AvailableNow and Trigger.Once in the test kit: start from the checkpoint, process
// what is available when the trigger starts, stop. Same WAL, commits and state as any run.

interface Click {
  page: string;
  ts: number;
}
const s = (n: number) => n * 1000;

function setup() {
  const clicks = new MemoryStream<Click>('clicks');
  const query = clicks
    .toStream({ eventTime: 'ts' })
    .withWatermark('ts', '10 seconds')
    .groupBy(window('ts', '10 seconds'), 'page')
    .agg({ n: count() })
    .writeStream.queryName('clicks')
    .outputMode('append')
    .build();
  return { clicks, query, test: new StreamTest(query, [clicks]) };
}

const windows = (rows: readonly Record<string, unknown>[]) =>
  rows.map((r) => `${r.page}@${(r.window as { start: number }).start / 1000}=${r.n}`);

describe('Trigger.AvailableNow (StreamTest.runAvailableNow)', () => {
  it('runs one batch per addData available at the start, then the no-data batch they make due, then stops', async () => {
    const { clicks, test } = setup();
    clicks.addData({ page: '/a', ts: s(1) }, { page: '/a', ts: s(2) });
    clicks.addData({ page: '/b', ts: s(12) });
    clicks.addData({ page: '/c', ts: s(25) }); // watermark → 15 s: [0, 10) closes
    expect(windows(await test.runAvailableNow())).toEqual(['/a@0=2']);
    expect(test.progress.map((p) => [p.batchId, p.numInputRows, p.isNoDataBatch])).toEqual([
      [0, 2, false],
      [1, 1, false],
      [2, 1, false],
      [3, 0, true],
    ]);
    // Stopped: nothing runs until the next trigger, even with new data.
    clicks.addData({ page: '/c', ts: s(40) });
    expect(test.progress).toHaveLength(4);
    expect(windows(await test.runAvailableNow())).toEqual(['/b@10=1', '/c@20=1']);
    expect(test.progress.slice(4).map((p) => p.batchId)).toEqual([4, 5]);
  });

  it('leaves data added after the trigger started for the next one', async () => {
    const { clicks, test } = setup();
    clicks.addData({ page: '/a', ts: s(1) });
    const run = test.runAvailableNow();
    clicks.addData({ page: '/b', ts: s(30) }); // arrives while the trigger runs
    expect(await run).toEqual([]);
    expect(test.progress.map((p) => p.numInputRows)).toEqual([1]);
    expect(windows(await test.runAvailableNow())).toEqual(['/a@0=1']);
  });

  it('after a crash, the next trigger replays the pending batch exactly, then goes on: output equals a run without crash', async () => {
    const batches: Click[][] = [
      [{ page: '/a', ts: s(1) }],
      [{ page: '/b', ts: s(14) }],
      [{ page: '/a', ts: s(33) }],
    ];
    const clean = setup();
    for (const batch of batches) clean.clicks.addData(...batch);
    await clean.test.runAvailableNow();

    const crashed = setup();
    for (const batch of batches) crashed.clicks.addData(...batch);
    crashed.test.crashAfter('addBatch');
    await expect(crashed.test.runAvailableNow()).rejects.toThrow('simulated crash after addBatch');
    await expect(crashed.test.checkpoints.load()).resolves.toMatchObject({ pending: { batchId: 0 } });
    await crashed.test.runAvailableNow();
    expect(crashed.test.allOutput()).toEqual(clean.test.allOutput());
    expect(windows(crashed.test.allOutput())).toEqual(['/a@0=1', '/b@10=1']);
    expect(crashed.test.stateSnapshot()).toEqual(clean.test.stateSnapshot());
  });
});

describe('Trigger.Once (StreamTest.runOnce)', () => {
  it('runs one batch with every addData available, then stops', async () => {
    const { clicks, test } = setup();
    clicks.addData({ page: '/a', ts: s(1) });
    clicks.addData({ page: '/a', ts: s(2) });
    clicks.addData({ page: '/b', ts: s(25) });
    // One batch: it runs with the watermark of before it (0), so nothing closes yet.
    expect(await test.runOnce()).toEqual([]);
    expect(test.progress.map((p) => [p.batchId, p.numInputRows, p.isNoDataBatch])).toEqual([[0, 3, false]]);
    // The next Once has no new data: it runs the due no-data batch, which emits [0, 10).
    expect(windows(await test.runOnce())).toEqual(['/a@0=2']);
    expect(test.progress.at(-1)!.isNoDataBatch).toBe(true);
    expect(await test.runOnce()).toEqual([]);
    expect(test.progress).toHaveLength(2);
  });

  it('replays a pending batch as its one batch, and takes the new data in the next', async () => {
    const { clicks, test } = setup();
    clicks.addData({ page: '/a', ts: s(1) });
    test.crashAfter('walCommit');
    await expect(test.runOnce()).rejects.toThrow('simulated crash');
    clicks.addData({ page: '/a', ts: s(3) });
    await test.runOnce();
    expect(test.progress.map((p) => [p.batchId, p.numInputRows])).toEqual([[0, 1]]);
    await test.runOnce();
    expect(test.progress.map((p) => [p.batchId, p.numInputRows])).toEqual([
      [0, 1],
      [1, 1],
    ]);
  });
});
