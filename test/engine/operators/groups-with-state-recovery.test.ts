import { describe, expect, it } from 'vitest';
import { type GroupState, GroupStateTimeout, type QueryDefinition } from '../../../engine/index.js';
import type { BatchPhase } from '../../../engine/runtime/batch-runner.js';
import { MemoryStream, SimulatedCrash, StreamTest } from '../../../engine/testkit/index.js';

interface Word {
  value: string;
}
interface RunningCount {
  count: number;
}

const words = (...values: string[]): Word[] => values.map((value) => ({ value }));
const stateOf = (test: StreamTest) => test.progress.at(-1)!.stateOperators[0]!;
const pairs = (rows: readonly Record<string, unknown>[]) => rows.map((row) => [row.key, row.value]);

/**
 * Counts per key with a 10 s processing-time timeout; emits -1 on timeout. It mutates the state
 * object it reads, which must not leak into the stored previous version that replays read.
 */
function countingQuery(input: MemoryStream<Word>, initialState?: Array<[string, RunningCount]>) {
  return input
    .toStream()
    .groupByKey((row) => row.value)
    .flatMapGroupsWithState(
      'update',
      (key: string, rows, state: GroupState<RunningCount>) => {
        if (state.hasTimedOut) {
          state.remove();
          return [{ key, value: -1 }];
        }
        const current = state.getOption() ?? { count: 0 };
        current.count += rows.length;
        state.update(current);
        state.setTimeoutDuration('10 seconds');
        return [{ key, value: current.count }];
      },
      { timeout: GroupStateTimeout.ProcessingTimeTimeout, ...(initialState ? { initialState } : {}) },
    )
    .writeStream.outputMode('update')
    .build();
}

describe('flatMapGroupsWithState initial state (Spark FlatMapGroupsWithStateWithInitialStateSuite)', () => {
  it('applies the initial state in the first batch only, calling the function for keys without data too', async () => {
    const input = new MemoryStream<Word>('words');
    const emptyCallsSawState: boolean[] = [];
    const query = input
      .toStream()
      .groupByKey((row) => row.value)
      .flatMapGroupsWithState(
        'update',
        (key: string, rows, state: GroupState<RunningCount>) => {
          if (rows.length === 0) emptyCallsSawState.push(state.exists);
          expect(state.hasTimedOut).toBe(false);
          const count = (state.getOption()?.count ?? 0) + rows.length;
          if (!key.includes('NoUpdate')) state.update({ count });
          return [{ key, values: rows.map((row) => row.value), count }];
        },
        {
          initialState: [
            ['keyInStateAndData-1', { count: 1 }],
            ['keyInStateAndData-2', { count: 2 }],
            ['keyNoUpdate', { count: 2 }], // update() is not called: the initial state must still be kept
            ['keyOnlyInState-1', { count: 1 }],
          ],
        },
      )
      .writeStream.outputMode('update')
      .build();
    const test = new StreamTest(query, [input]);

    input.addData(...words('keyOnlyInData', 'keyInStateAndData-2'));
    // Keys with data first (order of appearance), then initial-state keys without data (given order).
    expect(await test.processAllAvailable()).toEqual([
      { key: 'keyOnlyInData', values: ['keyOnlyInData'], count: 1 },
      { key: 'keyInStateAndData-2', values: ['keyInStateAndData-2'], count: 3 },
      { key: 'keyInStateAndData-1', values: [], count: 1 },
      { key: 'keyNoUpdate', values: [], count: 2 },
      { key: 'keyOnlyInState-1', values: [], count: 1 },
    ]);
    expect(emptyCallsSawState).toEqual([true, true, true]);
    // Spark reports 4 updated rows (its initial-state writes are not counted); the state view
    // counts every key written in the batch, keyNoUpdate's initial state included.
    expect(stateOf(test)).toMatchObject({ numRowsTotal: 5, numRowsUpdated: 5 });

    test.restart(); // the initial state must not be applied again
    input.addData(...words('keyInStateAndData-1'));
    expect(await test.processAllAvailable()).toEqual([
      { key: 'keyInStateAndData-1', values: ['keyInStateAndData-1'], count: 2 },
    ]);
    expect(stateOf(test)).toMatchObject({ numRowsTotal: 5, numRowsUpdated: 1 });
    input.addData(...words('keyNoUpdate'));
    expect(await test.processAllAvailable()).toEqual([
      { key: 'keyNoUpdate', values: ['keyNoUpdate'], count: 3 },
    ]);
  });

  it('skipEmittingInitialStateKeys: keys with only initial state are not called, but their state is kept', async () => {
    const input = new MemoryStream<Word>('words');
    const calls: string[] = [];
    const query = input
      .toStream()
      .groupByKey((row) => row.value)
      .flatMapGroupsWithState(
        'update',
        (key: string, rows, state: GroupState<RunningCount>) => {
          calls.push(key);
          const count = (state.getOption()?.count ?? 0) + rows.length;
          state.update({ count });
          return [{ key, count }];
        },
        {
          initialState: [
            ['a', { count: 5 }],
            ['b', { count: 7 }],
          ],
          skipEmittingInitialStateKeys: true,
        },
      )
      .writeStream.outputMode('update')
      .build();
    const test = new StreamTest(query, [input]);
    input.addData(...words('a', 'c'));
    expect(await test.processAllAvailable()).toEqual([
      { key: 'a', count: 6 },
      { key: 'c', count: 1 },
    ]);
    expect(calls).toEqual(['a', 'c']); // b has no rows: not called
    input.addData(...words('b'));
    expect(await test.processAllAvailable()).toEqual([{ key: 'b', count: 8 }]); // its initial state was kept
  });

  it('times out initial-state keys like any other (processing-time timeout)', async () => {
    const input = new MemoryStream<Word>('words');
    const test = new StreamTest(countingQuery(input, [['c', { count: 2 }]]), [input]);
    input.addData(...words('a'));
    test.clock.advance(1000); // a and c are processed for the first time; both time out at 11 s
    expect(pairs(await test.processAllAvailable())).toEqual([
      ['a', 1],
      ['c', 2],
    ]);
    test.clock.advance(10_000);
    input.addData(...words('b'));
    test.clock.advance(1000);
    expect(pairs(await test.processAllAvailable())).toEqual([
      ['b', 1],
      ['a', -1],
      ['c', -1],
    ]);
  });

  it('rejects an initial state with a key twice', async () => {
    const input = new MemoryStream<Word>('words');
    const query = countingQuery(input, [
      ['a', { count: 2 }],
      ['a', { count: 1 }],
    ]);
    input.addData(...words('a'));
    await expect(new StreamTest(query, [input]).processAllAvailable()).rejects.toMatchObject({
      rule: 'DUPLICATE_INITIAL_STATE_KEY',
      message: expect.stringContaining('multiple rows (state) with the same key "a"'),
    });
  });
});

describe('flatMapGroupsWithState recovery', () => {
  it('replays the last batch (data and timeouts) with identical output and state', async () => {
    const input = new MemoryStream<Word>('words');
    const test = new StreamTest(countingQuery(input), [input]);
    input.addData(...words('a', 'b')); // t=0: both time out at 10 s
    await test.processAllAvailable();
    input.addData(...words('a')); // t=5 s: a → 15 s
    test.clock.advance(5000);
    await test.processAllAvailable();
    input.addData(...words('b', 'b')); // t=16 s: b has data, a times out
    test.clock.advance(11_000);
    const original = await test.processAllAvailable();
    expect(pairs(original)).toEqual([
      ['b', 3],
      ['a', -1],
    ]);
    const state = test.stateSnapshot();

    const replay = await test.replayLastBatch();
    expect(replay.progress.isReplay).toBe(true);
    expect(replay.output).toEqual(original);
    expect(test.stateSnapshot()).toEqual(state);
  });

  const phases: BatchPhase[] = ['walCommit', 'getBatch', 'addBatch', 'commitState', 'commitOffsets'];
  type Step = { add?: string[]; advanceMs: number };
  const steps: Step[] = [
    { add: ['a', 'b'], advanceMs: 1000 }, // first batch, with initial state for c
    { add: ['a'], advanceMs: 5000 },
    { advanceMs: 20_000 }, // no data: a, b and c time out
    { add: ['c', 'a'], advanceMs: 1000 },
    { advanceMs: 11_000 }, // a and c time out again
  ];

  async function run(query: (input: MemoryStream<Word>) => QueryDefinition, crash?: [number, BatchPhase]) {
    const input = new MemoryStream<Word>('words');
    const test = new StreamTest(query(input), [input]);
    for (const [i, step] of steps.entries()) {
      if (step.add) input.addData(...words(...step.add));
      test.clock.advance(step.advanceMs);
      if (crash?.[0] === i) {
        test.crashAfter(crash[1]);
        await expect(test.processAllAvailable()).rejects.toBeInstanceOf(SimulatedCrash);
      }
      await test.processAllAvailable();
    }
    return { output: test.allOutput(), state: test.stateSnapshot() };
  }

  it('a crash after any phase of any batch, then recovery, gives the output and state of a clean run', async () => {
    const query = (input: MemoryStream<Word>) => countingQuery(input, [['c', { count: 10 }]]);
    const clean = await run(query);
    expect(pairs(clean.output)).toEqual([
      ['a', 1],
      ['b', 1],
      ['c', 10],
      ['a', 2],
      ['b', -1],
      ['c', -1],
      ['a', -1],
      ['c', 1],
      ['a', 1],
      ['a', -1],
      ['c', -1],
    ]);
    for (const [i] of steps.entries()) {
      for (const phase of phases) {
        const recovered = await run(query, [i, phase]);
        expect({ step: i, phase, ...recovered }).toEqual({ step: i, phase, ...clean });
      }
    }
  });
});
