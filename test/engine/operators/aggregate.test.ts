import { describe, expect, it } from 'vitest';
import { avg, collectList, count, max, min, sum, window } from '../../../engine/index.js';
import { MemoryStream, StreamTest } from '../../../engine/testkit/index.js';

interface Event {
  value: number;
  eventTime: number;
}

const seconds = (s: number) => s * 1000;
const events = (...values: number[]): Event[] =>
  values.map((value) => ({ value, eventTime: seconds(value) }));

function windowedCount(outputMode: 'append' | 'update' | 'complete') {
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

const startAndCount = (rows: readonly Record<string, unknown>[]) =>
  rows.map((row) => [(row.window as { start: number }).start / 1000, row.count]);

const stateOf = (test: StreamTest) => test.progress.at(-1)!.stateOperators[0]!;

describe('windowed aggregation (Spark EventTimeWatermarkSuite)', () => {
  it('append mode emits a window once, after the watermark passes its end, and drops late rows', async () => {
    const { input, test } = windowedCount('append');
    input.addData(...events(10, 11, 12, 13, 14, 15));
    expect(await test.processAllAvailable()).toEqual([]);

    input.addData(...events(25)); // the watermark moves to 15 s
    expect(startAndCount(await test.processAllAvailable())).toEqual([[10, 5]]);
    expect(stateOf(test).numRowsTotal).toBe(2);
    expect(test.progress.at(-1)!.isNoDataBatch).toBe(true);

    input.addData(...events(10)); // behind the watermark: dropped, nothing emitted
    expect(await test.processAllAvailable()).toEqual([]);
    expect(stateOf(test).numRowsTotal).toBe(2);
    expect(stateOf(test).numRowsDroppedByWatermark).toBe(1);

    input.addData(...events(40)); // watermark 30: windows [15,20) and [25,30) close
    expect(startAndCount(await test.processAllAvailable())).toEqual([
      [15, 1],
      [25, 1],
    ]);
  });

  it('update mode emits changed windows each batch and evicts silently', async () => {
    const { input, test } = windowedCount('update');
    input.addData(...events(10, 11, 12, 13, 14, 15));
    expect(startAndCount(await test.processAllAvailable())).toEqual([
      [10, 5],
      [15, 1],
    ]);
    input.addData(...events(25));
    expect(startAndCount(await test.processAllAvailable())).toEqual([[25, 1]]);
    expect(stateOf(test).numRowsTotal).toBe(2); // [10,15) evicted by the no-data batch at watermark 15
    input.addData(...events(10)); // late
    expect(await test.processAllAvailable()).toEqual([]);
    input.addData(...events(26, 16));
    expect(startAndCount(await test.processAllAvailable())).toEqual([
      [25, 2],
      [15, 2],
    ]);
  });

  it('complete mode emits the whole table every batch and ignores the watermark', async () => {
    const { input, test } = windowedCount('complete');
    input.addData(...events(10, 11, 25));
    expect(startAndCount(await test.processAllAvailable())).toEqual([
      [10, 2],
      [25, 1],
    ]);
    input.addData(...events(1)); // far behind the watermark (15 s) but complete mode keeps it
    expect(startAndCount(await test.processAllAvailable())).toEqual([
      [0, 1],
      [10, 2],
      [25, 1],
    ]);
  });

  it('places a row in every sliding window that contains it and judges each window on its own end', async () => {
    const input = new MemoryStream<Event>('events');
    const query = input
      .toStream()
      .withWatermark('eventTime', '0 seconds')
      .groupBy(window('eventTime', '10 seconds', '5 seconds'))
      .count()
      .writeStream.outputMode('update')
      .build();
    const test = new StreamTest(query, [input]);
    input.addData(...events(12));
    expect(startAndCount(await test.processAllAvailable())).toEqual([
      [10, 1],
      [5, 1],
    ]);
    // Watermark is 12 s: window [5,15) is still open, [0,10) has closed, so 9 s counts only in [5,15).
    input.addData(...events(9));
    expect(startAndCount(await test.processAllAvailable())).toEqual([[5, 2]]);
    expect(stateOf(test).numRowsDroppedByWatermark).toBe(1);
  });

  it('aligns windows before the epoch with floor division', async () => {
    const input = new MemoryStream<Event>('events');
    const query = input
      .toStream()
      .groupBy(window('eventTime', '10 seconds'))
      .count()
      .writeStream.outputMode('complete')
      .build();
    const test = new StreamTest(query, [input]);
    input.addData(
      { value: 0, eventTime: -1 },
      { value: 0, eventTime: -10_000 },
      { value: 0, eventTime: -10_001 },
    );
    expect(
      (await test.processAllAvailable())
        .map((row) => [(row.window as { start: number }).start, row.count])
        .sort((a, b) => Number(a[0]) - Number(b[0])),
    ).toEqual([
      [-20_000, 1],
      [-10_000, 2],
    ]);
  });

  it('computes every aggregate function per group, merging across batches', async () => {
    interface Sale {
      shop: string;
      price: number | null;
      item: string;
    }
    const input = new MemoryStream<Sale>('sales');
    const query = input
      .toStream()
      .groupBy('shop')
      .agg({
        n: count(),
        priced: count('price'),
        total: sum('price'),
        mean: avg('price'),
        cheapest: min('price'),
        dearest: max('price'),
        items: collectList('item'),
      })
      .writeStream.outputMode('update')
      .build();
    const test = new StreamTest(query, [input]);
    input.addData({ shop: 'a', price: 3, item: 'x' }, { shop: 'b', price: null, item: 'y' });
    await test.processAllAvailable();
    input.addData({ shop: 'a', price: 5, item: 'z' }, { shop: 'b', price: null, item: 'w' });
    expect(await test.processAllAvailable()).toEqual([
      { shop: 'a', n: 2, priced: 2, total: 8, mean: 4, cheapest: 3, dearest: 5, items: ['x', 'z'] },
      {
        shop: 'b',
        n: 2,
        priced: 0,
        total: null,
        mean: null,
        cheapest: null,
        dearest: null,
        items: ['y', 'w'],
      },
    ]);
  });

  it('rejects rows without a valid event time as dead letters instead of failing the batch', async () => {
    const { input, test } = windowedCount('update');
    input.addData({ value: 1, eventTime: seconds(1) }, { value: 2, eventTime: Number.NaN }, {
      value: 3,
    } as unknown as Event);
    expect(startAndCount(await test.processAllAvailable())).toEqual([[0, 1]]);
    expect(test.rejected.map((r) => r.row.value)).toEqual([2, 3]);
    expect(test.rejected[0]!.reason).toMatch(/event time/);
  });
});
