import { describe, expect, it } from 'vitest';
import type { Row, TimeWindow } from '../../../engine/index.js';
import type { BatchPhase } from '../../../engine/runtime/batch-runner.js';
import { MemoryStream, SimulatedCrash, StreamTest } from '../../../engine/testkit/index.js';

const s = (seconds: number) => seconds * 1000;
const stateOf = (test: StreamTest) => test.progress.at(-1)!.stateOperators[0]!;
const tumble10s = (t: number): TimeWindow => ({ start: t - (t % s(10)), end: t - (t % s(10)) + s(10) });

/** The rows each side buffers in the join's state, in key order then arrival order. */
function buffered(test: StreamTest): { left: Row[]; right: Row[] } {
  const out = { left: [] as Row[], right: [] as Row[] };
  for (const [namespace, entries] of Object.entries(test.stateSnapshot())) {
    if (!namespace.includes('#join-')) continue;
    for (const [key, entry] of Object.entries(entries)) {
      const rows = (entry.value as { rows: { row: Row }[] }).rows.map((stored) => stored.row);
      out[key.startsWith('L') ? 'left' : 'right'].push(...rows);
    }
  }
  return out;
}

interface Keyed {
  key: number;
  time: number;
}

/** Spark's `setupJoinWithRangeCondition`: `leftTime BETWEEN rightTime - 5 s AND rightTime + 5 s`. */
function rangeJoin(how: 'inner' | 'left_outer' | 'right_outer') {
  const leftInput = new MemoryStream<Keyed>('left');
  const rightInput = new MemoryStream<Keyed>('right');
  const left = leftInput
    .toStream()
    .map((r) => ({ key: r.key, leftTime: s(r.time), leftValue: r.key * 2 }))
    .withWatermark('leftTime', '10 seconds');
  const right = rightInput
    .toStream()
    .map((r) => ({ key: r.key, rightTime: s(r.time), rightValue: r.key * 3 }))
    .withWatermark('rightTime', '10 seconds');
  const query = left
    .join(right, {
      on: ['key'],
      how,
      timeRange: { leftColumn: 'leftTime', rightColumn: 'rightTime', min: '-5 seconds', max: '5 seconds' },
    })
    .writeStream.build();
  const test = new StreamTest(query, [leftInput, rightInput]);
  const add = (input: MemoryStream<Keyed>, ...pairs: [number, number][]) =>
    input.addData(...pairs.map(([key, time]) => ({ key, time })));
  return { leftInput, rightInput, test, add };
}

/** `[key, leftTime s, rightTime s]`, `null` for the side an outer row lacks. */
const triples = (rows: readonly Row[]) =>
  rows.map((row) => [
    row.key,
    row.leftTime === undefined ? null : (row.leftTime as number) / 1000,
    row.rightTime === undefined ? null : (row.rightTime as number) / 1000,
  ]);

describe('stream-stream inner join (Spark StreamingInnerJoinSuite)', () => {
  it('joins on a non-time column in both arrival orders, across restarts, keeping state forever', async () => {
    const input1 = new MemoryStream<{ value: number }>('input1');
    const input2 = new MemoryStream<{ value: number }>('input2');
    const df1 = input1.toStream().map((r) => ({ key: r.value, leftValue: r.value * 2 }));
    const df2 = input2.toStream().map((r) => ({ key: r.value, rightValue: r.value * 3 }));
    const test = new StreamTest(df1.join(df2, { on: ['key'] }).writeStream.build(), [input1, input2]);
    const row = (key: number) => ({ key, leftValue: key * 2, rightValue: key * 3 });

    input1.addData({ value: 1 });
    expect(await test.processAllAvailable()).toEqual([]);
    input2.addData({ value: 1 }, { value: 10 }); // 1 arrived on the left first
    expect(await test.processAllAvailable()).toEqual([row(1)]);
    input1.addData({ value: 10 }); // 10 arrived on the right first
    expect(await test.processAllAvailable()).toEqual([row(10)]);
    input2.addData({ value: 1 }); // another right 1 joins the left 1
    expect(await test.processAllAvailable()).toEqual([row(1)]);
    test.restart();
    input1.addData({ value: 1 }); // both right 1s are still buffered
    expect(await test.processAllAvailable()).toEqual([row(1), row(1)]);
    // numRowsTotal counts buffered rows, as Spark's join state manager does (not keys).
    expect(stateOf(test)).toMatchObject({
      operatorName: 'symmetricHashJoin',
      numRowsTotal: 6,
      numRowsUpdated: 1,
    });
    expect(buffered(test).left).toHaveLength(3);
    expect(buffered(test).right).toHaveLength(3);
    test.restart();
    MemoryStream.addDataTogether([input1, [{ value: 100 }]], [input2, [{ value: 100 }]]);
    expect(await test.processAllAvailable()).toEqual([row(100)]); // same batch: matched exactly once
    expect(test.progress.some((p) => p.isNoDataBatch)).toBe(false); // nothing can ever expire
  });

  it('joins on a watermarked window: late rows are dropped and expired keys leave the state', async () => {
    const input1 = new MemoryStream<{ value: number }>('input1');
    const input2 = new MemoryStream<{ value: number }>('input2');
    // Only the left side has a watermark; the window join key carries it (Spark "with watermark").
    const df1 = input1
      .toStream()
      .map((r) => ({ key: r.value, time: s(r.value), leftValue: r.value * 2 }))
      .withWatermark('time', '10 seconds')
      .map((r) => ({ key: r.key, time: tumble10s(r.time), leftValue: r.leftValue }));
    const df2 = input2
      .toStream()
      .map((r) => ({ key: r.value, time: tumble10s(s(r.value)), rightValue: r.value * 3 }));
    const test = new StreamTest(df1.join(df2, { on: ['key', 'time'] }).writeStream.build(), [input1, input2]);

    input1.addData({ value: 1 });
    expect(await test.processAllAvailable()).toEqual([]);
    input2.addData({ value: 1 });
    expect(await test.processAllAvailable()).toEqual([
      { key: 1, time: { start: 0, end: s(10) }, leftValue: 2, rightValue: 3 },
    ]);
    expect(stateOf(test).numRowsTotal).toBe(2);

    input1.addData({ value: 25 }); // watermark 15 s: the no-data batch drops both window-[0,10) rows
    expect(await test.processAllAvailable()).toEqual([]);
    expect(test.progress.at(-1)!.isNoDataBatch).toBe(true);
    expect(stateOf(test)).toMatchObject({ numRowsTotal: 1, numRowsRemoved: 2 });

    input2.addData({ value: 25 });
    expect(await test.processAllAvailable()).toEqual([
      { key: 25, time: { start: s(20), end: s(30) }, leftValue: 50, rightValue: 75 },
    ]);
    test.restart();
    input2.addData({ value: 1 }); // not late on the right, but behind the key watermark: not kept
    expect(await test.processAllAvailable()).toEqual([]);
    expect(stateOf(test)).toMatchObject({ numRowsTotal: 2, numRowsUpdated: 0 });
    input1.addData({ value: 5 }); // late on the left
    expect(await test.processAllAvailable()).toEqual([]);
    expect(stateOf(test)).toMatchObject({ numRowsTotal: 2, numRowsDroppedByWatermark: 1 });
  });

  it('bounds state with a two-sided time range and different watermarks', async () => {
    // leftTime BETWEEN rightTime - 10 s AND rightTime + 5 s, i.e. rightTime - leftTime ∈ [-5 s, 10 s].
    const leftInput = new MemoryStream<Keyed>('left');
    const rightInput = new MemoryStream<Keyed>('right');
    const left = leftInput
      .toStream()
      .map((r) => ({ key: r.key, leftTime: s(r.time) }))
      .withWatermark('leftTime', '20 seconds');
    const right = rightInput
      .toStream()
      .map((r) => ({ key: r.key, rightTime: s(r.time) }))
      .withWatermark('rightTime', '30 seconds');
    const timeRange = { leftColumn: 'leftTime', rightColumn: 'rightTime', min: -s(5), max: s(10) };
    const test = new StreamTest(left.join(right, { on: ['key'], timeRange }).writeStream.build(), [
      leftInput,
      rightInput,
    ]);
    const add = (input: MemoryStream<Keyed>, ...times: number[]) =>
      input.addData(...times.map((time) => ({ key: 1, time })));
    const times = (side: Row[], column: string) => side.map((row) => (row[column] as number) / 1000);

    add(leftInput, 20);
    expect(await test.processAllAvailable()).toEqual([]);
    add(rightInput, 14, 15, 25, 26, 30, 31); // left 20 matches right [15, 30]
    expect(triples(await test.processAllAvailable())).toEqual([
      [1, 20, 15],
      [1, 20, 25],
      [1, 20, 26],
      [1, 20, 30],
    ]);
    add(rightInput, 60);
    expect(await test.processAllAvailable()).toEqual([]);
    add(leftInput, 49, 50, 65, 66); // right 60 matches left [50, 65]
    expect(triples(await test.processAllAvailable())).toEqual([
      [1, 50, 60],
      [1, 65, 60],
    ]);
    // Watermark = min(66 - 20, 60 - 30) = 30 s. Spark's state watermarks: left 30 - 10 - 1 ms
    // (from rightTime - leftTime <= 10 s, inclusive), right 30 - 5 - 1 ms; rows at or below go.
    expect(times(buffered(test).left, 'leftTime')).toEqual([20, 49, 50, 65, 66]);
    expect(times(buffered(test).right, 'rightTime')).toEqual([25, 26, 30, 31, 60]);

    add(leftInput, 30, 31); // 30 is late
    expect(triples(await test.processAllAvailable())).toEqual([
      [1, 31, 26],
      [1, 31, 30],
      [1, 31, 31],
    ]);
    expect(stateOf(test).numRowsDroppedByWatermark).toBe(1);

    add(rightInput, 80); // watermark = min(46, 50) = 46
    expect(await test.processAllAvailable()).toEqual([]);
    expect(times(buffered(test).left, 'leftTime')).toEqual([49, 50, 65, 66]);
    expect(times(buffered(test).right, 'rightTime')).toEqual([60, 80]);

    add(rightInput, 46, 50); // 46 is late
    expect(triples(await test.processAllAvailable())).toEqual([
      [1, 49, 50],
      [1, 50, 50],
    ]);
    expect(stateOf(test).numRowsDroppedByWatermark).toBe(1);
  });

  it('matches every pair exactly once when both sides and the state meet in one batch', async () => {
    const { leftInput, rightInput, test, add } = rangeJoin('inner');
    add(rightInput, [1, 10]);
    await test.processAllAvailable();
    MemoryStream.addDataTogether([leftInput, [{ key: 1, time: 8 }]], [rightInput, [{ key: 1, time: 12 }]]);
    // Left 8 joins the stored right 10, then the new right 12 joins left 8.
    expect(triples(await test.processAllAvailable())).toEqual([
      [1, 8, 10],
      [1, 8, 12],
    ]);
  });

  it('drops late rows, and rejects rows whose time-range column is not epoch milliseconds', async () => {
    const { leftInput, rightInput, test, add } = rangeJoin('inner');
    MemoryStream.addDataTogether([leftInput, [{ key: 1, time: 30 }]], [rightInput, [{ key: 9, time: 30 }]]);
    await test.processAllAvailable(); // watermark 20 s
    add(leftInput, [1, 20], [1, 21]);
    add(rightInput, [1, 19], [1, 24]);
    expect(triples(await test.processAllAvailable())).toEqual([[1, 21, 24]]);
    expect(stateOf(test).numRowsDroppedByWatermark).toBe(1);
    expect(test.progress.at(-2)!.stateOperators[0]!.numRowsDroppedByWatermark).toBe(1);

    leftInput.addData({ key: 1, time: Number.NaN });
    expect(await test.processAllAvailable()).toEqual([]);
    expect(test.rejected.map((r) => r.reason)).toEqual([
      "event time is missing or not epoch milliseconds (column 'leftTime')",
    ]);
  });
});

describe('stream-stream outer joins (Spark StreamingOuterJoinSuite)', () => {
  it.each([
    ['left_outer', [3, 5, null]],
    ['right_outer', [2, null, 5]],
  ] as const)(
    '%s with a range condition emits the null row only when the watermark passes',
    async (how, outer) => {
      const { leftInput, rightInput, test, add } = rangeJoin(how);
      add(leftInput, [1, 5], [3, 5]);
      expect(await test.processAllAvailable()).toEqual([]);
      add(rightInput, [1, 10], [2, 5]);
      expect(triples(await test.processAllAvailable())).toEqual([[1, 5, 10]]);
      add(rightInput, [1, 11]);
      expect(await test.processAllAvailable()).toEqual([]); // left 5 is too early for right 11
      add(leftInput, [1, 7], [1, 30]);
      expect(triples(await test.processAllAvailable())).toEqual([
        [1, 7, 10],
        [1, 7, 11],
      ]);
      add(rightInput, [0, 30]); // watermark 20 s: the no-data batch expires everything ≤ 15 s
      expect(triples(await test.processAllAvailable())).toEqual([outer]);
      expect(test.progress.at(-1)!.isNoDataBatch).toBe(true);
      expect(test.batchOutput(test.progress.at(-1)!.batchId)).toHaveLength(1);
      expect(stateOf(test).numRowsTotal).toBe(2);
      expect(buffered(test)).toEqual({
        left: [{ key: 1, leftTime: s(30), leftValue: 2 }],
        right: [{ key: 0, rightTime: s(30), rightValue: 0 }],
      });
    },
  );

  it.each([
    ['left_outer', 'left'],
    ['right_outer', 'right'],
  ] as const)(
    'self %s join never returns a null row for a row that matched (SPARK-26187)',
    async (how, outerSide) => {
      const input = new MemoryStream<{ id: number; time: number }>('events');
      const events = input.toStream().map((r) => ({ id: r.id, time: s(r.time) }));
      const side = (column: string, evensOnly: boolean) =>
        events
          .filter((r) => !evensOnly || r.id % 2 === 0) // before the watermark, as in Spark's test
          .map((r) => ({ id: r.id, [column]: r.time }))
          .withWatermark(column, '5 seconds');
      const left = side('leftTime', outerSide === 'right');
      const right = side('rightTime', outerSide === 'left');
      // The even side's time lies within 5 s after (left outer) or before (right outer) the other's.
      const [min, max] = outerSide === 'left' ? [0, s(5)] : [-s(5), 0];
      const timeRange = { leftColumn: 'leftTime', rightColumn: 'rightTime', min, max };
      const test = new StreamTest(left.join(right, { on: ['id'], how, timeRange }).writeStream.build(), [
        input,
      ]);
      const add = (...ids: number[]) => input.addData(...ids.map((id) => ({ id, time: id })));
      const pair = (id: number) => ({ id, leftTime: s(id), rightTime: s(id) });
      const outer = (id: number) => ({ id, [`${outerSide}Time`]: s(id) });

      add(1, 2, 3, 4, 5);
      expect(await test.processAllAvailable()).toEqual([pair(2), pair(4)]);
      add(6, 7, 8, 9, 10); // watermark 5 s: matched even rows expire silently
      expect(await test.processAllAvailable()).toEqual([pair(6), pair(8), pair(10)]);
      add(11, 12, 13, 14, 15); // watermark min(10, 9) = 9 s: 1..4 expire, only 1 and 3 never matched
      expect(await test.processAllAvailable()).toEqual([pair(12), pair(14), outer(1), outer(3)]);
    },
  );

  it('windowed left outer join expires by the watermarked join key', async () => {
    const make = (name: string, value: string, factor: number) => {
      const input = new MemoryStream<{ value: number }>(name);
      const stream = input
        .toStream()
        .map((r) => ({ key: r.value, time: s(r.value), [value]: r.value * factor }))
        .withWatermark('time', '10 seconds')
        .map((r) => ({ ...r, time: tumble10s(r.time as number) }));
      return { input, stream };
    };
    const left = make('left', 'leftValue', 2);
    const right = make('right', 'rightValue', 3);
    const joined = left.stream.join(right.stream, { on: ['key', 'time'], how: 'left_outer' });
    const test = new StreamTest(joined.writeStream.outputMode('append').build(), [left.input, right.input]);
    const values = (...vs: number[]) => vs.map((value) => ({ value }));
    const tuples = (rows: readonly Row[]) =>
      rows.map((r) => [r.key, (r.time as TimeWindow).end / 1000, r.leftValue, r.rightValue ?? null]);

    MemoryStream.addDataTogether([left.input, values(1, 2, 3, 4, 5)], [right.input, values(3, 4, 5, 6, 7)]);
    expect(tuples(await test.processAllAvailable())).toEqual([
      [3, 10, 6, 9],
      [4, 10, 8, 12],
      [5, 10, 10, 15],
    ]);
    MemoryStream.addDataTogether([left.input, values(21)], [right.input, values(22)]); // watermark 11 s
    expect(tuples(await test.processAllAvailable())).toEqual([
      [1, 10, 2, null],
      [2, 10, 4, null],
    ]);
    expect(stateOf(test).numRowsTotal).toBe(2);
    left.input.addData(...values(22));
    expect(tuples(await test.processAllAvailable())).toEqual([[22, 30, 44, 66]]);
    left.input.addData(...values(1)); // late
    expect(await test.processAllAvailable()).toEqual([]);
    expect(stateOf(test)).toMatchObject({ numRowsTotal: 3, numRowsDroppedByWatermark: 1 });
  });
});

type Impression = {
  adId: string;
  impressionTime: number;
};
type Click = {
  adId: string;
  clickTime: number;
};

const T = Date.UTC(2024, 0, 1, 12);
const minutes = (m: number) => T + m * 60_000;

/** Spark's guide: `clickTime BETWEEN impressionTime AND impressionTime + 1 hour`, watermarks 2 h / 3 h. */
function impressionsAndClicks(how: 'inner' | 'left_outer' = 'left_outer') {
  const impressions = new MemoryStream<Impression>('impressions');
  const clicks = new MemoryStream<Click>('clicks');
  const query = impressions
    .toStream()
    .withWatermark('impressionTime', '2 hours')
    .join(clicks.toStream().withWatermark('clickTime', '3 hours'), {
      on: ['adId'],
      how,
      timeRange: { leftColumn: 'impressionTime', rightColumn: 'clickTime', min: 0, max: '1 hour' },
    })
    .writeStream.build();
  const test = new StreamTest(query, [impressions, clicks]);
  const impression = (adId: string, m: number): Impression => ({ adId, impressionTime: minutes(m) });
  const click = (adId: string, m: number): Click => ({ adId, clickTime: minutes(m) });
  const steps: Array<() => void> = [
    () =>
      MemoryStream.addDataTogether(
        [impressions, [impression('a1', 0), impression('a2', 10), impression('a3', 20)]],
        [clicks, [click('a1', 30), click('a2', 90)]], // a2 clicked 80 minutes after: too late
      ),
    () => clicks.addData(click('a3', 50), click('a2', 5)), // a2 clicked before its impression
    () => impressions.addData(impression('a4', 300)),
    () => clicks.addData(click('a4', 310)), // watermark min(3:00, 2:10) = 2:10 expires a1..a3
    () => clicks.addData(click('a2', 40)), // late
  ];
  return { test, steps };
}

const adView = (rows: readonly Row[]) =>
  rows.map((r) => [
    r.adId,
    ((r.impressionTime as number) - T) / 60_000,
    r.clickTime === undefined ? null : ((r.clickTime as number) - T) / 60_000,
  ]);

describe('impressions joined with clicks (Spark programming guide)', () => {
  it('left outer: matches as they happen, the unclicked impression once the watermark passes it', async () => {
    const { test, steps } = impressionsAndClicks();
    const outputs: unknown[] = [];
    for (const step of steps) {
      step();
      outputs.push(adView(await test.processAllAvailable()));
    }
    expect(outputs).toEqual([
      [['a1', 0, 30]],
      [['a3', 20, 50]],
      [],
      [
        ['a4', 300, 310],
        ['a2', 10, null],
      ],
      [],
    ]);
    expect(stateOf(test).numRowsDroppedByWatermark).toBe(1);
    expect(buffered(test)).toEqual({
      left: [{ adId: 'a4', impressionTime: minutes(300) }],
      right: [{ adId: 'a4', clickTime: minutes(310) }],
    });
  });

  it('inner: the same matches and never a null row', async () => {
    const { test, steps } = impressionsAndClicks('inner');
    for (const step of steps) {
      step();
      await test.processAllAvailable();
    }
    expect(adView(test.allOutput())).toEqual([
      ['a1', 0, 30],
      ['a3', 20, 50],
      ['a4', 300, 310],
    ]);
  });

  it.each([
    ['a data batch', false],
    ['a no-data batch that expires state', true],
  ])('replaying %s gives identical output, state and progress', async (_, isNoDataBatch) => {
    const { test, steps } = impressionsAndClicks();
    for (const step of steps.slice(0, 3)) {
      step();
      await test.processAllAvailable();
    }
    steps[3]!(); // the a4 match, then a no-data batch that outputs a2 with nulls
    if (isNoDataBatch) await test.processAllAvailable();
    else await test.runOneBatch();
    const last = test.progress.at(-1)!;
    expect(last.isNoDataBatch).toBe(isNoDataBatch);
    const output = test.batchOutput(last.batchId);
    expect(adView(output)).toEqual(isNoDataBatch ? [['a2', 10, null]] : [['a4', 300, 310]]);
    const state = test.stateSnapshot();

    const replay = await test.replayLastBatch();
    expect(replay.progress.batchId).toBe(last.batchId);
    expect(replay.output).toEqual(output);
    expect(test.stateSnapshot()).toEqual(state);
    expect(replay.progress.stateOperators).toEqual(last.stateOperators);
  });

  const phases: BatchPhase[] = ['walCommit', 'getBatch', 'addBatch', 'commitState', 'commitOffsets'];

  it.each(phases)(
    'a crash after %s and a re-run give the same output and state as no crash',
    async (phase) => {
      /** Runs every step; at step `at`, runs `before` batches and then crashes the next one. */
      const run = async (crash?: { at: number; before: number }) => {
        const { test, steps } = impressionsAndClicks();
        for (const [i, step] of steps.entries()) {
          step();
          if (i === crash?.at) {
            for (let b = 0; b < crash.before; b++) await test.runOneBatch();
            test.crashAfter(phase);
            await expect(test.processAllAvailable()).rejects.toBeInstanceOf(SimulatedCrash);
            test.restart();
          }
          await test.processAllAvailable();
        }
        return { output: test.allOutput(), state: test.stateSnapshot() };
      };
      const clean = await run();
      expect(adView(clean.output)).toEqual([
        ['a1', 0, 30],
        ['a3', 20, 50],
        ['a4', 300, 310],
        ['a2', 10, null],
      ]);
      expect(await run({ at: 1, before: 0 })).toEqual(clean); // a data batch with matches
      expect(await run({ at: 3, before: 0 })).toEqual(clean); // the data batch that moves the watermark
      expect(await run({ at: 3, before: 1 })).toEqual(clean); // the no-data batch that expires state
    },
  );
});

describe('stream-stream join edge cases', () => {
  type Comment = {
    id: string;
    t: number;
    comment: string;
  };
  /** SPARK-38684's query: watermark 0 on both sides, leftTime within ±30 s of rightTime. */
  function commentsJoin() {
    const leftInput = new MemoryStream<Comment>('left');
    const rightInput = new MemoryStream<Comment>('right');
    const side = (input: MemoryStream<Comment>, prefix: string) =>
      input
        .toStream()
        .map((r) => ({ id: r.id, [`${prefix}Time`]: r.t, [`${prefix}Comment`]: r.comment }))
        .withWatermark(`${prefix}Time`, '0 seconds');
    const timeRange = {
      leftColumn: 'leftTime',
      rightColumn: 'rightTime',
      min: '-30 seconds',
      max: '30 seconds',
    };
    const query = side(leftInput, 'left')
      .join(side(rightInput, 'right'), { on: ['id'], how: 'left_outer', timeRange })
      .writeStream.build();
    return { leftInput, rightInput, test: new StreamTest(query, [leftInput, rightInput]) };
  }
  const comment = (m: number, text: string): Comment => ({ id: 'abc', t: minutes(m), comment: text });
  const comments = (rows: readonly Row[]) => rows.map((r) => [r.leftComment, r.rightComment ?? null]);

  it('processes input and expires older rows of the same key in one batch (SPARK-38684)', async () => {
    const { leftInput, rightInput, test } = commentsJoin();
    MemoryStream.addDataTogether([leftInput, [comment(0, 'left 1')]], [rightInput, [comment(1, 'right 1')]]);
    expect(await test.processAllAvailable()).toEqual([]);
    MemoryStream.addDataTogether(
      [leftInput, [comment(60, 'left 2')]],
      [rightInput, [comment(61, 'right 2')]],
    );
    expect(comments(await test.processAllAvailable())).toEqual([['left 1', null]]); // watermark 1:00
    leftInput.addData(comment(90, 'left 3'));
    rightInput.addData(comment(90 + 1 / 6, 'match left 3'));
    await test.runOneBatch(); // watermark 1:01 for the next batch, which has data: no no-data batch between
    const outcome = await test.runOneBatch();
    expect(outcome!.progress.isNoDataBatch).toBe(false);
    // The same batch matches the new right row with 'left 3' and expires 'left 2' of the same key.
    expect(comments(outcome!.output)).toEqual([
      ['left 3', 'match left 3'],
      ['left 2', null],
    ]);
    expect(await test.processAllAvailable()).toEqual([]);
    expect(buffered(test).left.map((r) => r.leftComment)).toEqual(['left 3']);
  });

  it('joins rows already behind their state watermark within the batch, then drops them at once', async () => {
    const { leftInput, rightInput, test } = rangeJoin('left_outer');
    MemoryStream.addDataTogether([leftInput, [{ key: 1, time: 30 }]], [rightInput, [{ key: 1, time: 30 }]]);
    await test.processAllAvailable(); // watermark 20 s
    MemoryStream.addDataTogether([leftInput, [{ key: 9, time: 50 }]], [rightInput, [{ key: 9, time: 50 }]]);
    MemoryStream.addDataTogether(
      [
        leftInput,
        [
          { key: 2, time: 25 },
          { key: 3, time: 22 },
        ],
      ],
      [rightInput, [{ key: 2, time: 29 }]],
    );
    await test.runOneBatch(); // the watermark moves to 40 s; the next data batch comes first
    const outcome = (await test.runOneBatch())!;
    // Late bound 20 s, expiry bound 40 s: left 25 and 22 expire at 30 and 27 s, right 29 at 34 s.
    // Right 29 still meets left 25 of the same batch; left 22 never matches, so it is output now.
    expect(triples(outcome.output)).toEqual([
      [2, 25, 29],
      [3, 22, null],
    ]);
    expect(buffered(test)).toEqual({
      left: [{ key: 9, leftTime: s(50), leftValue: 18 }],
      right: [{ key: 9, rightTime: s(50), rightValue: 27 }],
    });
  });

  it('outputs expired rows by (expiry, key), then arrival order', async () => {
    const { leftInput, rightInput, test, add } = rangeJoin('left_outer');
    add(leftInput, [2, 1], [1, 2], [1, 1], [3, 0.5]);
    MemoryStream.addDataTogether([leftInput, [{ key: 9, time: 100 }]], [rightInput, [{ key: 9, time: 100 }]]);
    // Keys 1 and 2 expire at 1 s + 5 s, key 3 at 5.5 s: key 3 first, then key 1 (its rows in arrival order), then 2.
    expect(triples(await test.processAllAvailable())).toEqual([
      [9, 100, 100],
      [3, 0.5, null],
      [1, 2, null],
      [1, 1, null],
      [2, 1, null],
    ]);
  });

  it('a row with a null join key matches nothing; on the outer side it is output at once', async () => {
    const { leftInput, rightInput, test } = rangeJoin('left_outer');
    leftInput.addData({ key: null as unknown as number, time: 5 });
    rightInput.addData({ key: null as unknown as number, time: 5 });
    expect(await test.processAllAvailable()).toEqual([{ key: null, leftTime: s(5), leftValue: 0 }]);
    expect(buffered(test)).toEqual({ left: [], right: [] });
  });

  it('asks for a no-data batch only when state can expire and the watermark moved', async () => {
    const { leftInput, rightInput, test, add } = rangeJoin('inner');
    add(leftInput, [1, 5]);
    await test.processAllAvailable(); // the right side has no watermark yet: global stays 0
    expect(test.progress.map((p) => p.isNoDataBatch)).toEqual([false]);
    add(rightInput, [1, 30]);
    await test.processAllAvailable(); // global watermark min(-5, 20) → stays 0
    add(leftInput, [1, 40]);
    await test.processAllAvailable(); // global watermark 20: one no-data batch
    expect(test.progress.map((p) => p.isNoDataBatch)).toEqual([false, false, false, true]);
  });
});
