import { describe, expect, it } from 'vitest';
import { type GroupState, GroupStateTimeout, UserFunctionError } from '../../../engine/index.js';
import { MemoryStream, StreamTest } from '../../../engine/testkit/index.js';

interface Word {
  value: string;
}
interface RunningCount {
  count: number;
}

const words = (...values: string[]): Word[] => values.map((value) => ({ value }));
const stateOf = (test: StreamTest) => test.progress.at(-1)!.stateOperators[0]!;
const pairs = (rows: readonly Record<string, unknown>[]) => rows.map((row) => [row.key, row.value]);

/** Spark's running count that forgets a key when it reaches 3. */
function runningCount(emitOnRemove: boolean) {
  return (key: string, rows: readonly Word[], state: GroupState<RunningCount>) => {
    expect(() => state.getCurrentWatermarkMs()).toThrow(UserFunctionError);
    const count = (state.getOption()?.count ?? 0) + rows.length;
    if (count === 3) {
      state.remove();
      return emitOnRemove ? [{ key, value: '-1' }] : [];
    }
    state.update({ count });
    return [{ key, value: String(count) }];
  };
}

describe('flatMapGroupsWithState / mapGroupsWithState (Spark FlatMapGroupsWithStateSuite)', () => {
  it('flatMapGroupsWithState keeps a running count across batches and restarts', async () => {
    const input = new MemoryStream<Word>('words');
    const query = input
      .toStream()
      .groupByKey((row) => row.value)
      .flatMapGroupsWithState('update', runningCount(false))
      .writeStream.outputMode('update')
      .build();
    const test = new StreamTest(query, [input]);

    input.addData(...words('a'));
    expect(pairs(await test.processAllAvailable())).toEqual([['a', '1']]);
    expect(stateOf(test)).toMatchObject({ operatorName: 'flatMapGroupsWithState', numRowsTotal: 1 });
    expect(stateOf(test).numRowsUpdated).toBe(1);

    input.addData(...words('a', 'b'));
    expect(pairs(await test.processAllAvailable())).toEqual([
      ['a', '2'],
      ['b', '1'],
    ]);
    expect(stateOf(test)).toMatchObject({ numRowsTotal: 2, numRowsUpdated: 2 });

    test.restart();
    input.addData(...words('a', 'b')); // removes a, emits nothing for it
    expect(pairs(await test.processAllAvailable())).toEqual([['b', '2']]);
    expect(stateOf(test)).toMatchObject({ numRowsTotal: 1, numRowsUpdated: 1, numRowsRemoved: 1 });

    test.restart();
    input.addData(...words('a', 'c')); // a starts over
    expect(pairs(await test.processAllAvailable())).toEqual([
      ['a', '1'],
      ['c', '1'],
    ]);
    expect(stateOf(test)).toMatchObject({ numRowsTotal: 3, numRowsUpdated: 2 });
    // NoTimeout never asks for a no-data batch.
    expect(test.progress.every((p) => !p.isNoDataBatch)).toBe(true);
  });

  it('consumes a lazily evaluated result before saving the state it updates', async () => {
    const input = new MemoryStream<Word>('words');
    const query = input
      .toStream()
      .groupByKey((row) => row.value)
      .flatMapGroupsWithState('update', function* (key, rows, state: GroupState<RunningCount>) {
        for (const _ of rows) {
          const count = (state.getOption()?.count ?? 0) + 1;
          if (count === 3) {
            state.remove();
          } else {
            state.update({ count });
            yield { key, value: String(count) };
          }
        }
      })
      .writeStream.outputMode('update')
      .build();
    const test = new StreamTest(query, [input]);
    input.addData(...words('a', 'a', 'b'));
    expect(pairs(await test.processAllAvailable())).toEqual([
      ['a', '1'],
      ['a', '2'],
      ['b', '1'],
    ]);
    test.restart();
    input.addData(...words('a', 'b'));
    expect(pairs(await test.processAllAvailable())).toEqual([['b', '2']]);
    input.addData(...words('a', 'c'));
    expect(pairs(await test.processAllAvailable())).toEqual([
      ['a', '1'],
      ['c', '1'],
    ]);
  });

  it('mapGroupsWithState emits exactly one row per call', async () => {
    const input = new MemoryStream<Word>('words');
    const query = input
      .toStream()
      .groupByKey((row) => row.value)
      .mapGroupsWithState((key: string, rows, state: GroupState<RunningCount>) => {
        const [row] = runningCount(true)(key, rows, state);
        return row!;
      })
      .writeStream.outputMode('update')
      .build();
    const test = new StreamTest(query, [input]);
    input.addData(...words('a'));
    expect(pairs(await test.processAllAvailable())).toEqual([['a', '1']]);
    input.addData(...words('a', 'b'));
    expect(pairs(await test.processAllAvailable())).toEqual([
      ['a', '2'],
      ['b', '1'],
    ]);
    test.restart();
    input.addData(...words('a', 'b')); // removes a and returns -1 for it
    expect(pairs(await test.processAllAvailable())).toEqual([
      ['a', '-1'],
      ['b', '2'],
    ]);
    expect(stateOf(test)).toMatchObject({ numRowsTotal: 1, numRowsUpdated: 1, numRowsRemoved: 1 });
  });

  it('fails the batch with a clear error when a function breaks its output contract', async () => {
    const input = new MemoryStream<Word>('words');
    const mapReturningArray = input
      .toStream()
      .groupByKey((row) => row.value)
      .mapGroupsWithState((key) => [{ key }] as unknown as Record<string, unknown>)
      .writeStream.outputMode('update')
      .build();
    input.addData(...words('a'));
    await expect(new StreamTest(mapReturningArray, [input]).processAllAvailable()).rejects.toMatchObject({
      code: 'SLUICE_MAP_GROUPS_WITH_STATE_RESULT',
      message: expect.stringMatching(/exactly one row.*Use flatMapGroupsWithState/),
    });

    const flatReturningRow = input
      .toStream()
      .groupByKey((row) => row.value)
      .flatMapGroupsWithState('update', (key) => ({ key }) as unknown as Iterable<{ key: string }>)
      .writeStream.outputMode('update')
      .build();
    await expect(new StreamTest(flatReturningRow, [input]).processAllAvailable()).rejects.toMatchObject({
      code: 'SLUICE_FLAT_MAP_GROUPS_WITH_STATE_RESULT',
      message: expect.stringMatching(/must return an iterable of rows/),
    });
  });

  it('processing-time timeout: sessions expire on the trigger after their timeout passes', async () => {
    const input = new MemoryStream<Word>('words');
    const seenTimes: number[] = [];
    const query = input
      .toStream()
      .groupByKey((row) => row.value)
      .flatMapGroupsWithState(
        'update',
        (key: string, rows, state: GroupState<RunningCount>) => {
          seenTimes.push(state.getCurrentProcessingTimeMs());
          expect(() => state.getCurrentWatermarkMs()).toThrow(/without setting watermark/);
          if (state.hasTimedOut) {
            expect(rows).toEqual([]);
            state.remove();
            return [{ key, value: '-1' }];
          }
          const count = (state.getOption()?.count ?? 0) + rows.length;
          state.update({ count });
          state.setTimeoutDuration('10 seconds');
          return [{ key, value: String(count) }];
        },
        { timeout: GroupStateTimeout.ProcessingTimeTimeout },
      )
      .writeStream.outputMode('update')
      .build();
    const test = new StreamTest(query, [input]);

    input.addData(...words('a'));
    test.clock.advance(1000);
    expect(pairs(await test.processAllAvailable())).toEqual([['a', '1']]); // a times out at 11 s
    expect(stateOf(test)).toMatchObject({ numRowsTotal: 1, numRowsUpdated: 1 });

    input.addData(...words('b'));
    test.clock.advance(1000);
    expect(pairs(await test.processAllAvailable())).toEqual([['b', '1']]); // b at 12 s
    expect(stateOf(test)).toMatchObject({ numRowsTotal: 2, numRowsUpdated: 1 });

    input.addData(...words('b'));
    test.clock.advance(10_000); // 12 s: a (11 s) times out; b has data and moves to 22 s
    expect(pairs(await test.processAllAvailable())).toEqual([
      ['b', '2'],
      ['a', '-1'],
    ]);
    expect(stateOf(test)).toMatchObject({ numRowsTotal: 1, numRowsUpdated: 1, numRowsRemoved: 1 });

    test.restart();
    input.addData(...words('c'));
    test.clock.advance(11_000); // 23 s: b (22 s) times out
    expect(pairs(await test.processAllAvailable())).toEqual([
      ['c', '1'],
      ['b', '-1'],
    ]);

    test.clock.advance(12_000); // 35 s: a batch without data fires c's timeout (33 s)
    expect(pairs(await test.processAllAvailable())).toEqual([['c', '-1']]);
    expect(test.progress.at(-1)).toMatchObject({
      isNoDataBatch: true,
      timestamp: '1970-01-01T00:00:35.000Z',
    });
    expect(stateOf(test)).toMatchObject({ numRowsTotal: 0, numRowsRemoved: 1 });
    expect(seenTimes.at(-1)).toBe(35_000);

    // No batch is due until the clock moves again.
    expect(await test.processAllAvailable()).toEqual([]);
    expect(test.progress).toHaveLength(5);
  });

  it('a timeout fires only when strictly less than the batch time', async () => {
    const input = new MemoryStream<Word>('words');
    const query = input
      .toStream()
      .groupByKey((row) => row.value)
      .flatMapGroupsWithState(
        'update',
        (key: string, _rows, state: GroupState<number>) => {
          if (state.hasTimedOut) return [{ key, value: 'timeout' }];
          state.update(1);
          state.setTimeoutDuration(5000);
          return [];
        },
        { timeout: GroupStateTimeout.ProcessingTimeTimeout },
      )
      .writeStream.outputMode('update')
      .build();
    const test = new StreamTest(query, [input], { startTimeMs: 1000 });
    input.addData(...words('a'));
    await test.processAllAvailable(); // timeout at 6 s
    test.clock.advance(5000); // 6 s: not yet
    expect(await test.processAllAvailable()).toEqual([]);
    expect(test.progress.at(-1)!.isNoDataBatch).toBe(true);
    test.clock.advance(1); // 6.001 s
    expect(pairs(await test.processAllAvailable())).toEqual([['a', 'timeout']]);
    // The timed-out call set no new timeout: the timeout is cleared and the state stays.
    test.clock.advance(60_000);
    expect(await test.processAllAvailable()).toEqual([]);
    expect(Object.values(Object.values(test.stateSnapshot())[0]!)).toEqual([
      { value: { key: 'a', state: 1 } },
    ]);
  });

  it('clears the timeout of a key whose call does not set it again', async () => {
    const input = new MemoryStream<Word>('words');
    const query = input
      .toStream()
      .groupByKey((row) => row.value)
      .flatMapGroupsWithState(
        'update',
        (key: string, rows, state: GroupState<number>) => {
          if (state.hasTimedOut) return [{ key, value: 'timeout' }];
          state.update((state.getOption() ?? 0) + rows.length);
          if (state.get() === 1) state.setTimeoutDuration('10 seconds'); // only on the first call
          return [];
        },
        { timeout: GroupStateTimeout.ProcessingTimeTimeout },
      )
      .writeStream.outputMode('update')
      .build();
    const test = new StreamTest(query, [input]);
    input.addData(...words('a', 'b'));
    await test.processAllAvailable(); // both time out at 10 s
    const entries = () => Object.values(Object.values(test.stateSnapshot())[0]!);
    expect(entries().map((entry) => entry.expiresAt)).toEqual([10_000, 10_000]);

    input.addData(...words('a')); // a's second call sets no timeout
    test.clock.advance(5000);
    await test.processAllAvailable();
    expect(entries()).toEqual([
      { value: { key: 'a', state: 2 } },
      { value: { key: 'b', state: 1 }, expiresAt: 10_000 },
    ]);

    test.clock.advance(60_000);
    expect(pairs(await test.processAllAvailable())).toEqual([['b', 'timeout']]);
  });

  it('processes keys with data before the timeout sweep, then timed-out keys by (timeout, key)', async () => {
    const input = new MemoryStream<Word>('words');
    const calls: string[] = [];
    const query = input
      .toStream()
      .groupByKey((row) => row.value)
      .flatMapGroupsWithState(
        'update',
        (key: string, rows, state: GroupState<number>) => {
          calls.push(`${key}:${state.hasTimedOut ? 'timeout' : rows.length}`);
          if (state.hasTimedOut) {
            state.remove();
            return [];
          }
          state.update(rows.length);
          state.setTimeoutDuration(key === 'c' ? 1000 : 2000); // c first, then a and b by key
          return [];
        },
        { timeout: GroupStateTimeout.ProcessingTimeTimeout },
      )
      .writeStream.outputMode('update')
      .build();
    const test = new StreamTest(query, [input]);
    input.addData(...words('b', 'c', 'a', 'd'));
    await test.processAllAvailable();
    expect(calls).toEqual(['b:1', 'c:1', 'a:1', 'd:1']); // order of first appearance

    calls.length = 0;
    input.addData(...words('d', 'a', 'd')); // a and d have data: no timeout for them, even though due
    test.clock.advance(5000);
    await test.processAllAvailable();
    expect(calls).toEqual(['d:2', 'a:1', 'c:timeout', 'b:timeout']);
  });
});
