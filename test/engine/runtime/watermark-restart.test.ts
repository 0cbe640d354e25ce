import { describe, expect, it } from 'vitest';
import type { QueryDefinition } from '../../../engine/index.js';
import { MemoryStream, StreamTest } from '../../../engine/testkit/index.js';

/**
 * Per-input watermarks across a restart, as Spark's `WatermarkTracker`: only the global watermark
 * is restored (from the commit log), each input's own watermark starts empty and is rebuilt from
 * new data, and the global one never goes back. Ported from EventTimeWatermarkSuite ("watermark
 * with 2 streams", "MultipleWatermarkPolicy: max / min") as vectors; a crash and replay stays in
 * the run (on Lambda: a retried invocation), so it keeps the inputs' watermarks.
 */
type Event = { value: number; eventTime: number };
const s = (seconds: number) => seconds * 1000;
const events = (...values: number[]): Event[] => values.map((value) => ({ value, eventTime: s(value) }));

/**
 * Spark's `dfWithMultipleWatermarks`: a union of two inputs with delays of 10 s and 15 s ("watermark
 * with 2 streams" delays the second by 5 s).
 */
function twoWatermarks(policy: 'min' | 'max', partitions?: string[], secondDelay = '15 seconds') {
  const first = new MemoryStream<Event>('first');
  const second = new MemoryStream<Event>('second');
  const query: QueryDefinition = first
    .toStream()
    .withWatermark('eventTime', '10 seconds')
    .union(second.toStream().withWatermark('eventTime', secondDelay))
    .writeStream.watermarkPolicy(policy)
    .build();
  const test = new StreamTest(query, [first, second], partitions === undefined ? {} : { partitions });
  /** The watermark (seconds) the last batch of `partition` ran with. */
  const watermarkOf = (partition = test.partitions[0]!) =>
    Date.parse(test.progress.filter((p) => p.partition === partition).at(-1)!.eventTime.watermark!) / 1000;
  return { first, second, test, watermarkOf };
}

describe('per-input watermarks on restart, as Spark', () => {
  it('EventTimeWatermarkSuite "watermark with 2 streams": the global watermark recovers, an input ahead of it does not', async () => {
    const { first, second, test, watermarkOf } = twoWatermarks('min', undefined, '5 seconds');
    /** Spark's getWatermarkAfterData: the data, then a dummy batch that runs with the new watermark. */
    const watermarkAfter = async (firstData: number[] = [], secondData: number[] = []) => {
      MemoryStream.addDataTogether([first, events(...firstData)], [second, events(...secondData)]);
      await test.processAllAvailable();
      first.addData(...events(0));
      await test.processAllAvailable();
      return watermarkOf();
    };
    expect(await watermarkAfter([11])).toBe(0); // 0 until both inputs have data
    expect(await watermarkAfter([], [6])).toBe(1);
    expect(await watermarkAfter([], [8])).toBe(1); // stays at the first input's 1 while the second moves to 3
    expect(await watermarkAfter([21])).toBe(3);
    expect(await watermarkAfter([], [17, 28, 39])).toBe(11);
    expect(await watermarkAfter([31])).toBe(21);
    expect(await watermarkAfter([41])).toBe(31);
    expect(await watermarkAfter([51])).toBe(34);
    expect(await watermarkAfter([100], [100])).toBe(90);
    expect(await watermarkAfter([120], [110])).toBe(105);
    expect(await watermarkAfter([130], [125])).toBe(120);
    expect(await watermarkAfter([100], [100])).toBe(120); // never decreases
    expect(await watermarkAfter([140], [100])).toBe(120);
    expect(await watermarkAfter([100], [135])).toBe(130);
    expect(await watermarkAfter([200], [190])).toBe(185);

    test.newRun();
    expect(await watermarkAfter()).toBe(185); // the global watermark is restored
    // The first input was at 190 before the restart; that is forgotten, so the second input's
    // 195 cannot lift the global watermark alone (restoring each input, it would be 190).
    expect(await watermarkAfter([], [200])).toBe(185);
    expect(await watermarkAfter([200])).toBe(190);
  });

  it('EventTimeWatermarkSuite "MultipleWatermarkPolicy: max": recovered, then advances even with one input', async () => {
    const { first, second, test, watermarkOf } = twoWatermarks('max');
    const check = async (input: MemoryStream<Event>) => {
      input.addData(...events(1));
      await test.processAllAvailable();
      return watermarkOf();
    };
    MemoryStream.addDataTogether([first, events(20)], [second, events(30)]);
    await test.processAllAvailable();
    expect(await check(first)).toBe(15); // max(20 − 10, 30 − 15)
    test.newRun();
    expect(await check(first)).toBe(15); // recovered
    MemoryStream.addDataTogether([first, events(120)], [second, events(130)]);
    await test.processAllAvailable();
    expect(await check(first)).toBe(115);
    first.addData(...events(150));
    await test.processAllAvailable();
    expect(await check(first)).toBe(140);
  });

  it('EventTimeWatermarkSuite "MultipleWatermarkPolicy: min": recovered, then held by the input without data', async () => {
    const { first, second, test, watermarkOf } = twoWatermarks('min');
    const check = async (input: MemoryStream<Event>) => {
      input.addData(...events(1));
      await test.processAllAvailable();
      return watermarkOf();
    };
    MemoryStream.addDataTogether([first, events(20)], [second, events(30)]);
    await test.processAllAvailable();
    expect(await check(first)).toBe(10);
    test.newRun();
    expect(await check(first)).toBe(10);
    MemoryStream.addDataTogether([first, events(120)], [second, events(130)]);
    await test.processAllAvailable();
    expect(await check(second)).toBe(110);
    second.addData(...events(150));
    await test.processAllAvailable();
    expect(await check(second)).toBe(110); // does not advance when only one input has data
  });

  it('min: after a restart an input without new data holds the watermark (0 until it sees data), never below the restored one', async () => {
    const { first, second, test, watermarkOf } = twoWatermarks('min');
    MemoryStream.addDataTogether([first, events(100)], [second, events(100)]);
    await test.processAllAvailable(); // inputs 90 and 85
    second.addData(...events(200)); // second → 185: the global watermark becomes 90
    await test.processAllAvailable();
    test.newRun();
    first.addData(...events(150)); // first → 140; second unseen since the restart
    await test.processAllAvailable();
    first.addData(...events(0));
    await test.processAllAvailable();
    expect(watermarkOf()).toBe(90); // restoring each input it would be min(140, 185) = 140
    second.addData(...events(160)); // second → 145
    await test.processAllAvailable();
    first.addData(...events(0));
    await test.processAllAvailable();
    expect(watermarkOf()).toBe(140);
  });

  it('a cold container (restart) of the same deployment stays in the run: the inputs keep their watermarks', async () => {
    const { first, second, test, watermarkOf } = twoWatermarks('min');
    MemoryStream.addDataTogether([first, events(100)], [second, events(100)]);
    await test.processAllAvailable();
    second.addData(...events(200));
    await test.processAllAvailable();
    test.restart();
    first.addData(...events(150));
    await test.processAllAvailable();
    first.addData(...events(0));
    await test.processAllAvailable();
    expect(watermarkOf()).toBe(140); // min(140, 185): after newRun() it is 90 (the test above)
  });

  it('a crash and its replay stay in the run: the inputs keep their watermarks', async () => {
    const { first, second, test, watermarkOf } = twoWatermarks('min');
    MemoryStream.addDataTogether([first, events(100)], [second, events(100)]);
    await test.processAllAvailable(); // inputs 90 and 85
    second.addData(...events(200)); // second → 185
    await test.processAllAvailable();
    first.addData(...events(150)); // first → 140: min(140, 185) with the second input's watermark kept
    test.crashAfter('addBatch');
    await expect(test.processAllAvailable()).rejects.toThrow(/addBatch/);
    await test.processAllAvailable(); // the replay, in the same run
    first.addData(...events(0));
    await test.processAllAvailable();
    expect(watermarkOf()).toBe(140);
  });

  it('one watermark across shards: after a restart only this run’s input watermarks count, the global one is kept', async () => {
    const { first, second, test, watermarkOf } = twoWatermarks('min', ['s0', 's1']);
    first.addDataTo('s0', ...events(100)); // s0: first 90
    second.addDataTo('s1', ...events(100)); // s1: second 85
    await test.processAllAvailable();
    second.addDataTo('s1', ...events(200)); // s1: second 185; the query's watermark → min(90, 185) = 90
    await test.processAllAvailable();
    first.addDataTo('s0', ...events(0));
    await test.processAllAvailable();
    expect(watermarkOf('s0')).toBe(90);

    test.newRun();
    second.addDataTo('s1', ...events(150)); // s1: second 135 in the new run (185 before it)
    await test.processAllAvailable();
    expect(watermarkOf('s1')).toBe(90); // restored
    first.addDataTo('s0', ...events(250)); // s0: first 240 in the new run
    await test.processAllAvailable();
    expect(watermarkOf('s0')).toBe(90); // the first input unseen in this run until this batch
    second.addDataTo('s1', ...events(0));
    await test.processAllAvailable();
    expect(watermarkOf('s1')).toBe(135); // min(240, 135); restoring each input it would be min(240, 185)
  });
});
