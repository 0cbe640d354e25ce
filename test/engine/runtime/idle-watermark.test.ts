import { describe, expect, it } from 'vitest';
import { count, window } from '../../../engine/index.js';
import { MemoryStream, StreamTest } from '../../../engine/testkit/index.js';

interface Event {
  key: string;
  ts: number;
}

const s = (seconds: number) => seconds * 1000;

function setup(idle?: string) {
  const input = new MemoryStream<Event>('events');
  const writer = input
    .toStream()
    .withWatermark('ts', '10 seconds')
    .groupBy(window('ts', '5 seconds'), 'key')
    .agg({ n: count() })
    .writeStream.outputMode('append');
  const query = (idle === undefined ? writer : writer.idleWatermark(idle)).build();
  return { input, test: new StreamTest(query, [input]) };
}

const windows = (rows: readonly Record<string, unknown>[]) =>
  rows.map((row) => [(row.window as { start: number }).start / 1000, row.key, row.n]);

describe('idle watermark policy', () => {
  it('closes windows on a quiet partition once it has been idle long enough, then treats older rows as late', async () => {
    const { input, test } = setup('1 minute');
    input.addData({ key: 'a', ts: s(1) }, { key: 'a', ts: s(6) }, { key: 'b', ts: s(7) });
    expect(await test.processAllAvailable()).toEqual([]);

    test.clock.advance(s(59)); // quiet, but not for a minute yet
    expect(await test.processAllAvailable()).toEqual([]);

    test.clock.advance(s(31)); // quiet for 90 s: seen event time 30 s, watermark 20 s
    expect(windows(await test.processAllAvailable())).toEqual([
      [0, 'a', 1],
      [5, 'a', 1],
      [5, 'b', 1],
    ]);
    const idleBatch = test.progress.find(
      (p) => p.isNoDataBatch && p.eventTime.watermark === new Date(0).toISOString(),
    );
    expect(idleBatch).toBeDefined();
    expect(test.progress.at(-1)!.eventTime.watermark).toBe(new Date(s(20)).toISOString());

    // A row behind the idle watermark is now late.
    input.addData({ key: 'a', ts: s(12) });
    expect(await test.processAllAvailable()).toEqual([]);
    expect(test.progress.at(-1)!.stateOperators[0]!.numRowsDroppedByWatermark).toBe(1);
  });

  it('does nothing without the policy (Spark: an idle input holds the watermark)', async () => {
    const { input, test } = setup();
    input.addData({ key: 'a', ts: s(1) });
    await test.processAllAvailable();
    test.clock.advance(s(3600));
    expect(await test.processAllAvailable()).toEqual([]);
    expect(test.progress).toHaveLength(1);
  });

  it('never fires while input keeps arriving: every batch runs with the regular watermark', async () => {
    const { input, test } = setup('1 minute');
    for (let i = 0; i < 5; i++) {
      input.addData({ key: 'a', ts: s(100 + i * 30) });
      await test.processAllAvailable();
      test.clock.advance(s(30));
    }
    // Every watermark a batch ran with follows the regular rule over the data seen before it.
    let maxSeen = Number.NEGATIVE_INFINITY;
    let expected = 0;
    for (const progress of test.progress) {
      expect(progress.eventTime.watermark).toBe(new Date(expected).toISOString());
      if (progress.eventTime.max !== undefined)
        maxSeen = Math.max(maxSeen, Date.parse(progress.eventTime.max));
      expected = Math.max(expected, maxSeen - s(10));
    }
    expect(expected).toBe(s(210)); // max event time 220 s − 10 s
  });
});
