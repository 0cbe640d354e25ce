import { describe, expect, it } from 'vitest';
import {
  type BatchPhase,
  compileQuery,
  count,
  InvalidQueryError,
  type QueryDefinition,
  type Row,
  sum,
  window,
} from '../../../engine/index.js';
import { MemoryStream, SimulatedCrash, StreamTest } from '../../../engine/testkit/index.js';

const seconds = (s: number) => s * 1000;

/**
 * State metrics of the batches run by one `processAllAvailable`, per stateful operator in plan
 * order, like Spark's `assertNumStateRows`: `total` from the last batch, the others summed.
 */
interface StepMetrics {
  total: number[];
  updated: number[];
  removed: number[];
  dropped: number[];
}

async function step(test: StreamTest): Promise<{ output: Row[]; metrics: StepMetrics }> {
  const from = test.progress.length;
  const output = await test.processAllAvailable();
  const batches = test.progress.slice(from);
  const sumOf = (field: 'numRowsUpdated' | 'numRowsRemoved' | 'numRowsDroppedByWatermark') =>
    batches[0]!.stateOperators.map((_, i) => batches.reduce((n, b) => n + b.stateOperators[i]![field], 0));
  return {
    output,
    metrics: {
      total: batches.at(-1)!.stateOperators.map((op) => op.numRowsTotal),
      updated: sumOf('numRowsUpdated'),
      removed: sumOf('numRowsRemoved'),
      dropped: sumOf('numRowsDroppedByWatermark'),
    },
  };
}

interface Timed {
  value: number;
  eventTime: number;
}
const timed = (...values: number[]): Timed[] => values.map((value) => ({ value, eventTime: seconds(value) }));
const times = (rows: readonly Row[]) => rows.map((row) => (row.eventTime as number) / 1000);

interface Pair {
  _1: string;
  _2: number;
}

describe('dropDuplicates without watermark (Spark StreamingDeduplicationSuite)', () => {
  it('deduplicates on all columns across batches', async () => {
    const input = new MemoryStream<{ value: string }>('words');
    const test = new StreamTest(input.toStream().dropDuplicates().writeStream.build(), [input]);

    input.addData({ value: 'a' });
    expect(await step(test)).toMatchObject({
      output: [{ value: 'a' }],
      metrics: { total: [1], updated: [1] },
    });
    input.addData({ value: 'a' });
    expect(await step(test)).toMatchObject({ output: [], metrics: { total: [1], updated: [0] } });
    input.addData({ value: 'b' });
    expect(await step(test)).toMatchObject({
      output: [{ value: 'b' }],
      metrics: { total: [2], updated: [1] },
    });
    expect(test.progress.at(-1)!.stateOperators[0]!.operatorName).toBe('dedupe');
  });

  it('deduplicates on some columns and passes the first row through unchanged', async () => {
    const input = new MemoryStream<Pair>('pairs');
    const test = new StreamTest(input.toStream().dropDuplicates(['_1']).writeStream.build(), [input]);

    input.addData({ _1: 'a', _2: 1 });
    expect(await step(test)).toMatchObject({
      output: [{ _1: 'a', _2: 1 }],
      metrics: { total: [1], dropped: [0] },
    });
    input.addData({ _1: 'a', _2: 2 });
    expect(await step(test)).toMatchObject({ output: [], metrics: { total: [1], updated: [0] } });
    input.addData({ _1: 'b', _2: 1 });
    expect(await step(test)).toMatchObject({
      output: [{ _1: 'b', _2: 1 }],
      metrics: { total: [2], updated: [1] },
    });
  });

  it('keeps the first row of each key within a batch, in input order', async () => {
    const input = new MemoryStream<Pair>('pairs');
    const test = new StreamTest(input.toStream().dropDuplicates(['_1']).writeStream.build(), [input]);
    input.addData(
      { _1: 'b', _2: 1 },
      { _1: 'a', _2: 2 },
      { _1: 'b', _2: 3 },
      { _1: 'c', _2: 4 },
      { _1: 'a', _2: 5 },
    );
    expect(await step(test)).toMatchObject({
      output: [
        { _1: 'b', _2: 1 },
        { _1: 'a', _2: 2 },
        { _1: 'c', _2: 4 },
      ],
      metrics: { total: [3], updated: [3] },
    });
  });

  it('treats rows with the same values as duplicates whatever their field order (whole-row key)', async () => {
    const input = new MemoryStream<Row>('rows');
    const test = new StreamTest(input.toStream().dropDuplicates().writeStream.build(), [input]);
    input.addData({ a: 1, b: 'x' }, { b: 'x', a: 1 }, { a: 1, b: 'y' }, { a: '1', b: 'x' });
    expect((await step(test)).output).toEqual([
      { a: 1, b: 'x' },
      { a: 1, b: 'y' },
      { a: '1', b: 'x' },
    ]);
    input.addData({ b: 'y', a: 1 }, { a: 2, b: 'x' });
    expect((await step(test)).output).toEqual([{ a: 2, b: 'x' }]);
  });

  it('chains two deduplicates, each with its own state', async () => {
    const input = new MemoryStream<Pair>('pairs');
    const test = new StreamTest(
      input.toStream().dropDuplicates().dropDuplicates(['_1']).writeStream.build(),
      [input],
    );
    input.addData({ _1: 'a', _2: 1 });
    expect(await step(test)).toMatchObject({
      output: [{ _1: 'a', _2: 1 }],
      metrics: { total: [1, 1], updated: [1, 1] },
    });
    input.addData({ _1: 'a', _2: 2 }); // new for the first, a duplicate for the second
    expect(await step(test)).toMatchObject({ output: [], metrics: { total: [2, 1], updated: [1, 0] } });
    input.addData({ _1: 'b', _2: 1 });
    expect(await step(test)).toMatchObject({
      output: [{ _1: 'b', _2: 1 }],
      metrics: { total: [3, 2], updated: [1, 1] },
    });
  });

  it.each(['update', 'complete'] as const)('feeds an aggregation in %s mode', async (mode) => {
    const input = new MemoryStream<{ str: string; num: number }>('pairs');
    const query = input
      .toStream()
      .dropDuplicates()
      .groupBy('str')
      .agg({ total: sum('num') })
      .writeStream.outputMode(mode)
      .build();
    const test = new StreamTest(query, [input]);
    input.addData({ str: 'a', num: 1 });
    expect(await step(test)).toMatchObject({ output: [{ str: 'a', total: 1 }], metrics: { total: [1, 1] } });
    input.addData({ str: 'a', num: 1 }); // dropped by the dedup
    expect(await step(test)).toMatchObject({
      output: mode === 'complete' ? [{ str: 'a', total: 1 }] : [],
      metrics: { total: [1, 1], updated: [0, 0] },
    });
    input.addData({ str: 'a', num: 2 });
    expect(await step(test)).toMatchObject({ output: [{ str: 'a', total: 3 }], metrics: { total: [2, 1] } });
    input.addData({ str: 'b', num: 1 });
    expect(await step(test)).toMatchObject({
      output:
        mode === 'complete'
          ? [
              { str: 'a', total: 3 },
              { str: 'b', total: 1 },
            ]
          : [{ str: 'b', total: 1 }],
      metrics: { total: [3, 2], updated: [1, 1] },
    });
  });
});

describe('dropDuplicates with watermark (Spark StreamingDeduplicationSuite)', () => {
  function dedupWithWatermark() {
    const input = new MemoryStream<Timed>('events');
    const query = input
      .toStream()
      .withWatermark('eventTime', '10 seconds')
      .dropDuplicates()
      .writeStream.build();
    return { input, test: new StreamTest(query, [input]) };
  }
  const fiveTimes = (from: number, to: number) =>
    [1, 2, 3, 4, 5].flatMap(() => timed(...Array.from({ length: to - from + 1 }, (_, i) => from + i)));

  it('evicts keys once the watermark passes their event time and drops late rows (SPARK-35896 metrics)', async () => {
    const { input, test } = dedupWithWatermark();
    input.addData(...fiveTimes(10, 15));
    let result = await step(test);
    expect(times(result.output)).toEqual([10, 11, 12, 13, 14, 15]);
    expect(result.metrics).toEqual({ total: [6], updated: [6], removed: [0], dropped: [0] });

    input.addData(...timed(25)); // watermark 15 s: the no-data batch evicts 10..15
    result = await step(test);
    expect(times(result.output)).toEqual([25]);
    expect(result.metrics).toEqual({ total: [1], updated: [1], removed: [6], dropped: [0] });
    expect(test.progress.at(-1)!.isNoDataBatch).toBe(true);

    input.addData(...timed(10)); // behind the watermark
    result = await step(test);
    expect(result.output).toEqual([]);
    expect(result.metrics).toEqual({ total: [1], updated: [0], removed: [0], dropped: [1] });

    input.addData(...timed(45)); // watermark 35 s: 25 is evicted
    result = await step(test);
    expect(times(result.output)).toEqual([45]);
    expect(result.metrics).toMatchObject({ total: [1], updated: [1], removed: [1] });
  });

  it('judges lateness and expiry on the key columns whatever their order (SPARK-19841)', async () => {
    const input = new MemoryStream<{ time: number; id: number }>('events');
    const query = input
      .toStream()
      .withWatermark('time', '1 second')
      .dropDuplicates(['id', 'time'])
      .select('id')
      .writeStream.build();
    const test = new StreamTest(query, [input]);
    const rows = (...pairs: Array<[number, number]>) =>
      pairs.map(([time, id]) => ({ time: seconds(time), id }));
    const ids = (output: readonly Row[]) => output.map((row) => row.id);

    input.addData(...rows([1, 1], [1, 1], [1, 2]));
    expect(ids(await test.processAllAvailable())).toEqual([1, 2]);
    input.addData(...rows([1, 1], [2, 3], [2, 4]));
    expect(ids(await test.processAllAvailable())).toEqual([3, 4]);
    input.addData(...rows([1, 0], [1, 1], [3, 5], [3, 6])); // (1, 0) and (1, 1) are late
    expect(ids(await test.processAllAvailable())).toEqual([5, 6]);
    input.addData(...rows([1, 0], [4, 7]));
    expect(ids(await test.processAllAvailable())).toEqual([7]);
  });

  it('keeps state forever when the watermarked column is not a key, but still drops late rows (SPARK-21546)', async () => {
    const input = new MemoryStream<{ id: number; time: number }>('events');
    const query = input
      .toStream()
      .withWatermark('time', '1 second')
      .dropDuplicates(['id'])
      .writeStream.build();
    const test = new StreamTest(query, [input]);
    const row = (id: number, time: number) => ({ id, time: seconds(time) });

    input.addData(row(1, 1), row(1, 2), row(2, 2));
    expect(await test.processAllAvailable()).toEqual([row(1, 1), row(2, 2)]);

    input.addData(row(1, 20)); // still a duplicate; the watermark moves to 19 s
    let result = await step(test);
    expect(result.output).toEqual([]);
    expect(result.metrics).toMatchObject({ total: [2], removed: [0] });

    input.addData(row(3, 5), row(2, 30)); // 5 s is late; id 2 is remembered forever
    result = await step(test);
    expect(result.output).toEqual([]);
    expect(result.metrics).toMatchObject({ total: [2], dropped: [1] });
  });

  it('feeds a windowed aggregation in append mode with the right counts (chained stateful operators)', async () => {
    const input = new MemoryStream<Timed>('events');
    const query = input
      .toStream()
      .withWatermark('eventTime', '10 seconds')
      .dropDuplicates()
      .groupBy(window('eventTime', '5 seconds'))
      .agg({ count: count() })
      .writeStream.outputMode('append')
      .build();
    const test = new StreamTest(query, [input]);
    const startAndCount = (rows: readonly Row[]) =>
      rows.map((row) => [(row.window as { start: number }).start / 1000, row.count]);

    input.addData(...fiveTimes(10, 15));
    let result = await step(test);
    expect(result.output).toEqual([]);
    expect(result.metrics).toMatchObject({ total: [6, 2], updated: [6, 2] }); // dedup, then aggregate

    input.addData(...timed(25)); // watermark 15 s
    result = await step(test);
    expect(startAndCount(result.output)).toEqual([[10, 5]]);
    expect(result.metrics).toMatchObject({ total: [1, 2], updated: [1, 1] });

    input.addData(...timed(10)); // late: dropped by the dedup, never reaches the aggregate
    result = await step(test);
    expect(result.output).toEqual([]);
    expect(result.metrics).toMatchObject({ total: [1, 2], updated: [0, 0], dropped: [1, 0] });

    input.addData(...timed(40)); // watermark 30 s
    result = await step(test);
    expect(startAndCount(result.output)).toEqual([
      [15, 1],
      [25, 1],
    ]);
    expect(result.metrics).toMatchObject({ total: [1, 1], updated: [1, 1] });
  });

  it('judges a window column by its end, so a window just closed upstream is not late', async () => {
    const input = new MemoryStream<Timed>('events');
    const query = input
      .toStream()
      .withWatermark('eventTime', '10 seconds')
      .groupBy(window('eventTime', '5 seconds'))
      .count()
      .dropDuplicates(['window'])
      .writeStream.outputMode('append')
      .build();
    const test = new StreamTest(query, [input]);
    input.addData(...timed(10, 11, 12, 13, 14));
    await test.processAllAvailable();
    input.addData({ value: 0, eventTime: 24_999 }); // watermark 14.999 s: [10, 15) stays open
    expect(await test.processAllAvailable()).toEqual([]);
    // Watermark 15 s closes [10, 15) while the dedup's late bound is 14.999 s: end 15 s > 14.999 s.
    input.addData(...timed(25));
    expect(await test.processAllAvailable()).toEqual([{ window: { start: 10_000, end: 15_000 }, count: 5 }]);
  });

  it('rejects rows whose event time is not valid milliseconds as dead letters', async () => {
    const input = new MemoryStream<Timed & { broken?: boolean }>('events');
    const query = input
      .toStream()
      .withWatermark('eventTime', '10 seconds')
      .map((row) => (row.broken ? { ...row, eventTime: 'soon' as unknown as number } : row))
      .dropDuplicates(['value', 'eventTime'])
      .writeStream.build();
    const test = new StreamTest(query, [input]);
    input.addData({ value: 1, eventTime: seconds(1) }, { value: 2, eventTime: seconds(2), broken: true });
    expect(await test.processAllAvailable()).toEqual([{ value: 1, eventTime: seconds(1) }]);
    expect(test.rejected).toHaveLength(1);
    expect(test.rejected[0]).toMatchObject({ operator: 'dedup-0', row: { value: 2 } });
    expect(test.rejected[0]!.reason).toMatch(/event time.*eventTime/);
  });
});

describe('dropDuplicatesWithinWatermark (Spark StreamingDeduplicationWithinWatermarkSuite)', () => {
  function withinWatermarkOnName() {
    const input = new MemoryStream<Pair & { eventTime: number }>('events');
    const query = input
      .toStream()
      .withWatermark('eventTime', '2 seconds')
      .dropDuplicatesWithinWatermark(['_1'])
      .writeStream.build();
    return { input, test: new StreamTest(query, [input]) };
  }
  const event = (name: string, time: number) => ({ _1: name, _2: time, eventTime: seconds(time) });
  const pairs = (output: readonly Row[]) => output.map((row) => [row._1, row._2]);

  it('deduplicates on all columns including event time, expiring at event time + delay', async () => {
    const input = new MemoryStream<Timed>('events');
    const query = input
      .toStream()
      .withWatermark('eventTime', '10 seconds')
      .dropDuplicatesWithinWatermark()
      .writeStream.build();
    const test = new StreamTest(query, [input]);
    const fiveTimes = [1, 2, 3, 4, 5].flatMap(() => timed(10, 11, 12, 13, 14, 15));

    input.addData(...fiveTimes); // watermark 5 s: nothing expires (expiry 20..25 s)
    let result = await step(test);
    expect(times(result.output)).toEqual([10, 11, 12, 13, 14, 15]);
    expect(result.metrics).toMatchObject({ total: [6], updated: [6] });
    expect(test.progress.at(-1)!.stateOperators[0]!.operatorName).toBe('dedupeWithinWatermark');

    input.addData(...timed(13, 14, 15, 16, 17)); // watermark 7 s
    result = await step(test);
    expect(times(result.output)).toEqual([16, 17]);
    expect(result.metrics).toMatchObject({ total: [8], updated: [2] });

    input.addData(...timed(5)); // behind the watermark
    result = await step(test);
    expect(result.output).toEqual([]);
    expect(result.metrics).toMatchObject({ total: [8], updated: [0], dropped: [1] });

    input.addData(...timed(35)); // watermark 25 s: expiries 20..25 s go
    result = await step(test);
    expect(times(result.output)).toEqual([35]);
    expect(result.metrics).toMatchObject({ total: [3], updated: [1], removed: [6] });

    input.addData(...timed(55)); // watermark 45 s: 26, 27 and 45 s go
    result = await step(test);
    expect(times(result.output)).toEqual([55]);
    expect(result.metrics).toMatchObject({ total: [1], updated: [1], removed: [3] });
  });

  it('deduplicates on columns without the event time, accepting a key again after it expires', async () => {
    const { input, test } = withinWatermarkOnName();
    input.addData(event('a', 17)); // watermark 15 s, 'a' expires at 19 s
    expect(await step(test)).toMatchObject({
      output: [event('a', 17)],
      metrics: { total: [1], updated: [1] },
    });
    expect(test.stateSnapshot()).toEqual({
      'query#dedup-0#0': { '["a"]': { value: null, expiresAt: 19_000 } },
    });

    input.addData(event('a', 16)); // within the delay: a duplicate
    expect(await step(test)).toMatchObject({ output: [], metrics: { total: [1], updated: [0] } });

    input.addData(event('a', 13)); // late
    expect(await step(test)).toMatchObject({
      output: [],
      metrics: { total: [1], updated: [0], dropped: [1] },
    });

    input.addData(event('b', 22), event('c', 21)); // watermark 20 s: the no-data batch evicts 'a'
    let result = await step(test);
    expect(pairs(result.output)).toEqual([
      ['b', 22],
      ['c', 21],
    ]);
    expect(result.metrics).toMatchObject({ total: [2], updated: [2], removed: [1] });

    input.addData(event('a', 21)); // 'a' is new again, expiring at 23 s
    result = await step(test);
    expect(pairs(result.output)).toEqual([['a', 21]]);
    expect(result.metrics).toMatchObject({ total: [3], updated: [1] });

    input.addData(event('d', 25)); // watermark 23 s: 'a' and 'c' expire
    result = await step(test);
    expect(pairs(result.output)).toEqual([['d', 25]]);
    expect(result.metrics).toMatchObject({ total: [2], updated: [1], removed: [2] });
    expect(Object.keys(test.stateSnapshot()['query#dedup-0#0']!)).toEqual(['["b"]', '["d"]']);
  });

  it('allows dropping the event-time column afterwards (SPARK-50492)', async () => {
    const input = new MemoryStream<{ first: number; _2: number }>('events');
    const query = input
      .toStream()
      .withWatermark('first', '10 seconds')
      .dropDuplicatesWithinWatermark(['_2'])
      .select('_2')
      .writeStream.build();
    const test = new StreamTest(query, [input]);
    input.addData({ first: seconds(1), _2: 2 }, { first: seconds(3), _2: 2 });
    expect(await test.processAllAvailable()).toEqual([{ _2: 2 }]);
  });

  it('takes the delay of the nearest withWatermark on the event-time column', async () => {
    const input = new MemoryStream<Pair & { eventTime: number }>('events');
    const query = input
      .toStream()
      .withWatermark('eventTime', '1 hour')
      .filter(() => true)
      .withWatermark('eventTime', '2 seconds')
      .dropDuplicatesWithinWatermark(['_1'])
      .writeStream.build();
    const test = new StreamTest(query, [input]);
    input.addData(event('a', 17));
    await test.processAllAvailable();
    expect(test.stateSnapshot()['query#dedup-0#0']).toEqual({ '["a"]': { value: null, expiresAt: 19_000 } });
  });

  it('fails with a typed error when the input has no watermark', async () => {
    const input = new MemoryStream<Pair>('pairs');
    const plan = input.toStream().dropDuplicatesWithinWatermark(['_1']).plan;
    const query: QueryDefinition = {
      name: 'q',
      plan,
      outputMode: 'append',
      sink: { kind: 'memory' },
      watermarkPolicy: 'min',
    };
    expect(() => compileQuery(query)).toThrow(InvalidQueryError);
    expect(() => compileQuery(query)).toThrow(/withWatermark/);
    try {
      compileQuery(query);
    } catch (error) {
      expect((error as InvalidQueryError).code).toBe('SLUICE_DEDUP_WITHIN_WATERMARK_WITHOUT_WATERMARK');
    }
    // Through the public path too, whether the plan checker or the compiler catches it first.
    const run = async () => {
      const test = new StreamTest(input.toStream().dropDuplicatesWithinWatermark().writeStream.build(), [
        input,
      ]);
      input.addData({ _1: 'a', _2: 1 });
      await test.processAllAvailable();
    };
    await expect(run()).rejects.toBeInstanceOf(InvalidQueryError);
  });
});

describe('dedup recovery', () => {
  function withinWatermark() {
    const input = new MemoryStream<Pair & { eventTime: number }>('events');
    const query = input
      .toStream()
      .withWatermark('eventTime', '2 seconds')
      .dropDuplicatesWithinWatermark(['_1'])
      .writeStream.build();
    return { input, test: new StreamTest(query, [input]) };
  }
  const event = (name: string, time: number) => ({ _1: name, _2: time, eventTime: seconds(time) });

  it.each([
    ['a data batch', [event('a', 11), event('b', 10)], false],
    ['a no-data batch that evicts', [event('c', 30)], true],
  ] as const)('replaying %s gives identical output and state', async (_, rows, isNoDataBatch) => {
    const { input, test } = withinWatermark();
    input.addData(event('a', 10), event('x', 11));
    await test.processAllAvailable();
    input.addData(...rows);
    await test.processAllAvailable();
    const last = test.progress.at(-1)!;
    expect(last.isNoDataBatch).toBe(isNoDataBatch);
    const output = test.batchOutput(last.batchId);
    const state = test.stateSnapshot();

    const replay = await test.replayLastBatch();
    expect(replay.progress.batchId).toBe(last.batchId);
    expect(replay.output).toEqual(output);
    expect(test.stateSnapshot()).toEqual(state);
    expect(replay.progress.stateOperators).toEqual(last.stateOperators);
  });

  const phases: BatchPhase[] = ['walCommit', 'getBatch', 'addBatch', 'commitState', 'commitOffsets'];

  async function chainedRun(crashPhase?: BatchPhase) {
    const input = new MemoryStream<Timed>('events');
    const query = input
      .toStream()
      .withWatermark('eventTime', '10 seconds')
      .dropDuplicates()
      .groupBy(window('eventTime', '5 seconds'))
      .count()
      .writeStream.outputMode('append')
      .build();
    const test = new StreamTest(query, [input]);
    input.addData(...timed(10, 11, 10, 12, 16, 16));
    await test.processAllAvailable();
    input.addData(...timed(25, 11, 26, 25)); // moves the watermark to 16 s: a no-data batch follows
    if (crashPhase !== undefined) {
      test.crashAfter(crashPhase);
      await expect(test.processAllAvailable()).rejects.toBeInstanceOf(SimulatedCrash);
    }
    await test.processAllAvailable();
    input.addData(...timed(40, 5, 26)); // 5 s is late; 26 s is a duplicate
    await test.processAllAvailable();
    return { output: test.allOutput(), state: test.stateSnapshot() };
  }

  it.each(phases)(
    'a crash after %s leads to the same output and state as a run without it',
    async (phase) => {
      const clean = await chainedRun();
      expect(clean.output).toEqual([
        { window: { start: 10_000, end: 15_000 }, count: 3 },
        { window: { start: 15_000, end: 20_000 }, count: 1 },
        { window: { start: 25_000, end: 30_000 }, count: 2 },
      ]);
      expect(await chainedRun(phase)).toEqual(clean);
    },
  );
});
