import { describe, expect, it } from 'vitest';
import { count, sessionWindow, sum, window } from '../../../engine/index.js';
import type { QueryProgress, StateOperatorProgress } from '../../../engine/runtime/progress.js';
import { MemoryStream, StreamTest } from '../../../engine/testkit/index.js';

/**
 * Spark parity of the progress metrics around the watermark, ported from Spark's suites as vectors:
 * `numRowsDroppedByWatermark` as `StateStoreMetricsTest`/`assertNumRowsDroppedByWatermark` checks it
 * (EventTimeWatermarkSuite, MultiStatefulOperatorsSuite, StreamingSessionWindowSuite), beside
 * sluice's `numLateInputRows`, and `eventTime` as `assertEventStats` checks it.
 */
// A type alias (not an interface) so rows fit `MemoryStream.addDataTogether`'s `Row`.
type Event = { value: number; eventTime: number };
const s = (seconds: number) => seconds * 1000;
const events = (...values: number[]): Event[] => values.map((value) => ({ value, eventTime: s(value) }));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const iso = (seconds: number) => new Date(s(seconds)).toISOString();

/** Spark's helpers read the last progress with input rows (not the no-data batch after it). */
const lastWithData = (test: StreamTest): QueryProgress =>
  test.progress.filter((p) => p.numInputRows > 0).at(-1)!;
const droppedBy = (
  test: StreamTest,
  field: keyof Pick<StateOperatorProgress, 'numRowsDroppedByWatermark' | 'numLateInputRows'>,
) => Object.fromEntries(lastWithData(test).stateOperators.map((op) => [op.operatorId, op[field]]));
const startOf = (row: Record<string, unknown>) => (row.window as { start: number }).start / 1000;

function windowedCount(outputMode: 'append' | 'update') {
  const input = new MemoryStream<Event>('events');
  const query = input
    .toStream()
    .withWatermark('eventTime', '10 seconds')
    .groupBy(window('eventTime', '5 seconds'))
    .agg({ count: count() })
    .writeStream.outputMode(outputMode)
    .build();
  return { input, test: new StreamTest(query, [input]) };
}

describe('numRowsDroppedByWatermark as Spark counts it, numLateInputRows as the late-rows output', () => {
  it('EventTimeWatermarkSuite "append mode": one late row of one window counts 1 both ways', async () => {
    const { input, test } = windowedCount('append');
    input.addData(...events(10, 11, 12, 13, 14, 15));
    await test.processAllAvailable();
    input.addData(...events(25)); // watermark → 15 s
    expect((await test.processAllAvailable()).map(startOf)).toEqual([10]);
    expect(droppedBy(test, 'numRowsDroppedByWatermark')).toEqual({ 'aggregate-0': 0 });
    input.addData(...events(10));
    expect(await test.processAllAvailable()).toEqual([]);
    expect(droppedBy(test, 'numRowsDroppedByWatermark')).toEqual({ 'aggregate-0': 1 });
    expect(droppedBy(test, 'numLateInputRows')).toEqual({ 'aggregate-0': 1 });
  });

  it('EventTimeWatermarkSuite "update mode", and three late rows of one window: Spark counts the group once', async () => {
    const { input, test } = windowedCount('update');
    input.addData(...events(10, 11, 12, 13, 14, 15));
    await test.processAllAvailable();
    input.addData(...events(25)); // watermark → 15 s
    await test.processAllAvailable();
    input.addData(...events(10, 25)); // 10 is late
    expect((await test.processAllAvailable()).map((row) => [startOf(row), row.count])).toEqual([[25, 2]]);
    expect(droppedBy(test, 'numRowsDroppedByWatermark')).toEqual({ 'aggregate-0': 1 });
    input.addData(...events(10));
    await test.processAllAvailable();
    expect(droppedBy(test, 'numRowsDroppedByWatermark')).toEqual({ 'aggregate-0': 1 });
    // Beyond the suite: the partial aggregation folds late rows of one window into one row.
    input.addData(...events(10, 11, 12, 6));
    await test.processAllAvailable();
    expect(droppedBy(test, 'numRowsDroppedByWatermark')).toEqual({ 'aggregate-0': 2 }); // [10,15) and [5,10)
    expect(droppedBy(test, 'numLateInputRows')).toEqual({ 'aggregate-0': 4 });
  });

  it('MultiStatefulOperatorsSuite "window agg -> window agg, append mode": 10 late rows in 2 windows count 2', async () => {
    const input = new MemoryStream<Event>('events');
    const query = input
      .toStream()
      .withWatermark('eventTime', '0 seconds')
      .groupBy(window('eventTime', '5 seconds'))
      .agg({ count: count() })
      .groupBy(window('window', '10 seconds'))
      .agg({ count: count(), sum: sum('count') })
      .writeStream.outputMode('append')
      .build();
    const test = new StreamTest(query, [input]);
    const answer = (rows: Record<string, unknown>[]) => rows.map((row) => [startOf(row), row.count, row.sum]);
    input.addData(...events(...range(10, 21)));
    expect(answer(await test.processAllAvailable())).toEqual([[10, 2, 10]]);
    expect(droppedBy(test, 'numRowsDroppedByWatermark')).toEqual({ 'aggregate-0': 0, 'aggregate-1': 0 });

    input.addData(...events(...range(10, 29))); // [10,15) and [15,20) are late for the first aggregation
    expect(answer(await test.processAllAvailable())).toEqual([]);
    expect(droppedBy(test, 'numRowsDroppedByWatermark')).toEqual({ 'aggregate-0': 2, 'aggregate-1': 0 });
    expect(droppedBy(test, 'numLateInputRows')).toEqual({ 'aggregate-0': 10, 'aggregate-1': 0 });
    expect(test.progress.at(-1)!.stateOperators.map((op) => op.numRowsTotal)).toEqual([1, 1]);

    input.addData(...events(30, 31));
    expect(answer(await test.processAllAvailable())).toEqual([[20, 2, 12]]);
    expect(droppedBy(test, 'numRowsDroppedByWatermark')).toEqual({ 'aggregate-0': 0, 'aggregate-1': 0 });
  });

  it('MultiStatefulOperatorsSuite "agg -> agg -> agg, append mode": the late window [30,35) of 5 rows counts 1', async () => {
    const input = new MemoryStream<Event>('events');
    const query = input
      .toStream()
      .withWatermark('eventTime', '0 seconds')
      .groupBy(window('eventTime', '5 seconds'))
      .agg({ count: count() })
      .groupBy(window('window', '10 seconds'))
      .agg({ count: count(), sum: sum('count') })
      .groupBy(window('window', '20 seconds'))
      .agg({ count: count(), sum: sum('sum') })
      .writeStream.outputMode('append')
      .build();
    const test = new StreamTest(query, [input]);
    const answer = (rows: Record<string, unknown>[]) =>
      rows.map((row) => [startOf(row), (row.window as { end: number }).end / 1000, row.count, row.sum]);
    input.addData(...events(...range(0, 37)));
    expect(answer(await test.processAllAvailable())).toEqual([[0, 20, 2, 20]]);
    const none = { 'aggregate-0': 0, 'aggregate-1': 0, 'aggregate-2': 0 };
    expect(droppedBy(test, 'numRowsDroppedByWatermark')).toEqual(none);

    input.addData(...events(...range(30, 60)));
    expect(answer(await test.processAllAvailable())).toEqual([
      [20, 40, 2, 23],
      [40, 60, 2, 20],
    ]);
    expect(droppedBy(test, 'numRowsDroppedByWatermark')).toEqual({ ...none, 'aggregate-0': 1 });
    expect(droppedBy(test, 'numLateInputRows')).toEqual({ ...none, 'aggregate-0': 5 });
  });

  it('sliding windows: a late group is a window × key, so rows late for the same windows count once per window', async () => {
    const input = new MemoryStream<Event>('events');
    const query = input
      .toStream()
      .withWatermark('eventTime', '0 seconds')
      .groupBy(window('eventTime', '10 seconds', '5 seconds'))
      .count()
      .writeStream.outputMode('update')
      .build();
    const test = new StreamTest(query, [input]);
    input.addData(...events(30)); // watermark → 30 s
    await test.processAllAvailable();
    // 11 and 12: windows [5,15) and [10,20), both late; 16: [10,20) late, [15,25) late.
    input.addData(...events(11, 12, 16));
    await test.processAllAvailable();
    expect(droppedBy(test, 'numRowsDroppedByWatermark')).toEqual({ 'aggregate-0': 3 }); // [5,15) [10,20) [15,25)
    expect(droppedBy(test, 'numLateInputRows')).toEqual({ 'aggregate-0': 6 });
  });

  it('StreamingSessionWindowSuite: a late line of two words counts 2 (two keys); one key twice at one time counts 1', async () => {
    interface Line {
      words: string;
      eventTime: number;
    }
    const input = new MemoryStream<Line>('lines');
    const query = input
      .toStream()
      .withWatermark('eventTime', '30 seconds')
      .flatMap((line) => line.words.split(' ').map((sessionId) => ({ sessionId, eventTime: line.eventTime })))
      .groupBy(sessionWindow('eventTime', '10 seconds'), 'sessionId')
      .agg({ count: count() })
      .writeStream.outputMode('append')
      .build();
    const test = new StreamTest(query, [input]);
    input.addData({ words: 'hello world', eventTime: s(41) }); // watermark → 11 s
    await test.processAllAvailable();
    input.addData({ words: 'spark streaming', eventTime: s(0) }); // sessions end at 10 ≤ 11: late
    await test.processAllAvailable();
    expect(droppedBy(test, 'numRowsDroppedByWatermark')).toEqual({ 'aggregate-0': 2 });
    expect(droppedBy(test, 'numLateInputRows')).toEqual({ 'aggregate-0': 2 });
    // Spark's partial aggregation groups by key and the row's own session [t, t + gap).
    input.addData({ words: 'spark spark streaming', eventTime: s(0) }, { words: 'spark', eventTime: s(1) });
    await test.processAllAvailable();
    expect(droppedBy(test, 'numRowsDroppedByWatermark')).toEqual({ 'aggregate-0': 3 }); // spark@0, streaming@0, spark@1
    expect(droppedBy(test, 'numLateInputRows')).toEqual({ 'aggregate-0': 4 });
  });

  it('dedup and stream-stream joins filter input rows: both figures count each late row (StreamingDeduplicationSuite, StreamingJoinSuite)', async () => {
    const input = new MemoryStream<Event>('events');
    const dedup = new StreamTest(
      input.toStream().withWatermark('eventTime', '10 seconds').dropDuplicates().writeStream.build(),
      [input],
    );
    input.addData(...events(25)); // watermark → 15 s
    await dedup.processAllAvailable();
    input.addData(...events(10, 10, 12));
    await dedup.processAllAvailable();
    expect(droppedBy(dedup, 'numRowsDroppedByWatermark')).toEqual({ 'dedup-0': 3 });
    expect(droppedBy(dedup, 'numLateInputRows')).toEqual({ 'dedup-0': 3 });

    const left = new MemoryStream<Event>('left');
    const right = new MemoryStream<Event>('right');
    const join = new StreamTest(
      left
        .toStream()
        .withWatermark('eventTime', '10 seconds')
        .join(
          right
            .toStream()
            .map((row) => ({ value: row.value, rightTime: row.eventTime }))
            .withWatermark('rightTime', '10 seconds'),
          {
            on: ['value'],
            how: 'inner',
            timeRange: {
              leftColumn: 'eventTime',
              rightColumn: 'rightTime',
              min: '-5 seconds',
              max: '5 seconds',
            },
          },
        )
        .writeStream.build(),
      [left, right],
    );
    left.addData(...events(30));
    right.addData(...events(30));
    await join.processAllAvailable(); // watermark → 20 s
    MemoryStream.addDataTogether([left, events(1, 1, 25)], [right, events(2)]);
    await join.processAllAvailable();
    const [joinOperator] = lastWithData(join).stateOperators;
    expect(joinOperator!.operatorId).toMatch(/^join-/);
    // Both sides' late rows, each counted (Spark's per-side filters add to one metric).
    expect(joinOperator!.numRowsDroppedByWatermark).toBe(3);
    expect(joinOperator!.numLateInputRows).toBe(3);
  });
});

describe('eventTime in the progress, as Spark reports it', () => {
  it('EventTimeWatermarkSuite "event time and watermark metrics": empty without a watermark', async () => {
    const input = new MemoryStream<Event>('events');
    const query = input
      .toStream()
      .groupBy(window('eventTime', '5 seconds'))
      .agg({ count: count() })
      .writeStream.outputMode('complete')
      .build();
    const test = new StreamTest(query, [input]);
    input.addData(...events(15));
    await test.processAllAvailable();
    expect(lastWithData(test).eventTime).toEqual({});
    input.addData(...events(10, 12, 14));
    await test.processAllAvailable();
    expect(lastWithData(test).eventTime).toEqual({});
  });

  it('EventTimeWatermarkSuite "event time and watermark metrics": min, max, avg and the watermark with one', async () => {
    const { input, test } = windowedCount('append');
    input.addData(...events(15));
    await test.processAllAvailable();
    expect(lastWithData(test).eventTime).toEqual({
      min: iso(15),
      max: iso(15),
      avg: iso(15),
      watermark: iso(0),
    });
    input.addData(...events(10, 12, 14));
    await test.processAllAvailable();
    expect(lastWithData(test).eventTime).toEqual({
      min: iso(10),
      max: iso(14),
      avg: iso(12),
      watermark: iso(5),
    });
    input.addData(...events(25));
    expect((await test.processAllAvailable()).map(startOf)).toEqual([10]);
    expect(lastWithData(test).eventTime).toEqual({
      min: iso(25),
      max: iso(25),
      avg: iso(25),
      watermark: iso(5),
    });
    // The no-data batch after it reports the watermark only, as Spark's batch without new data.
    expect(test.progress.at(-1)!.isNoDataBatch).toBe(true);
    expect(test.progress.at(-1)!.eventTime).toEqual({ watermark: iso(15) });
  });

  it('several inputs: the first watermark operator that saw rows, not a merge (Spark takes the first with a count); avg truncated', async () => {
    const first = new MemoryStream<Event>('first');
    const second = new MemoryStream<Event>('second');
    const query = first
      .toStream()
      .withWatermark('eventTime', '10 seconds')
      .union(second.toStream().withWatermark('eventTime', '15 seconds'))
      .writeStream.build();
    const test = new StreamTest(query, [first, second]);
    second.addData({ value: 0, eventTime: 30 }, { value: 0, eventTime: 41 });
    await test.processAllAvailable();
    expect(lastWithData(test).eventTime).toEqual({
      min: new Date(30).toISOString(),
      max: new Date(41).toISOString(),
      avg: new Date(35).toISOString(), // 35.5 → 35, as Spark's avg.toLong
      watermark: iso(0),
    });
    MemoryStream.addDataTogether([first, events(20)], [second, events(90)]);
    await test.processAllAvailable();
    const last = test.progress.at(-1)!;
    expect(last.numInputRows).toBe(2);
    expect(last.eventTime).toEqual({ min: iso(20), max: iso(20), avg: iso(20), watermark: iso(0) });
  });
});
