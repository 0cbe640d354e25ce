import { describe, expect, it } from 'vitest';
import {
  type BatchPhase,
  collectList,
  count,
  InvalidQueryError,
  max,
  min,
  type OutputMode,
  type Row,
  sessionWindow,
  type TimeWindow,
  window,
} from '../../../engine/index.js';
import { MemoryStream, SimulatedCrash, StreamTest } from '../../../engine/testkit/index.js';

/** A line of words at an event time, as in Spark's StreamingSessionWindowSuite. */
interface Line {
  value: string;
  eventTime: number;
}

const seconds = (s: number) => s * 1000;
const lines = (...pairs: Array<[string, number]>): Line[] =>
  pairs.map(([value, s]) => ({ value, eventTime: seconds(s) }));

/** Spark's `sessionWindowQuery`: words are session ids, 30 s watermark, 10 s gap, count per session. */
function sessionWindowQuery(outputMode: OutputMode, name = 'sessions') {
  const input = new MemoryStream<Line>('lines');
  const query = input
    .toStream()
    .withWatermark('eventTime', '30 seconds')
    .flatMap((line) => line.value.split(' ').map((sessionId) => ({ sessionId, eventTime: line.eventTime })))
    .groupBy(sessionWindow('eventTime', '10 seconds'), 'sessionId')
    .agg({ numEvents: count() })
    .writeStream.queryName(name)
    .outputMode(outputMode)
    .build();
  return { input, test: new StreamTest(query, [input]) };
}

/** Rows as Spark's tuples `(sessionId, start s, end s, duration s, numEvents)`. */
const tuples = (rows: readonly Row[]) =>
  rows.map((row) => {
    const { start, end } = row.session_window as TimeWindow;
    return [row.sessionId, start / 1000, end / 1000, (end - start) / 1000, row.numEvents];
  });

const stateOf = (test: StreamTest) => test.progress.at(-1)!.stateOperators[0]!;

describe('session window aggregation (Spark StreamingSessionWindowSuite)', () => {
  it('complete mode: places sessions before and after others and concatenates several into one', async () => {
    const { input, test } = sessionWindowQuery('complete');
    input.addData(...lines(['hello world spark streaming', 40], ['world hello structured streaming', 41]));
    expect(tuples(await test.processAllAvailable())).toEqual([
      ['hello', 40, 51, 11, 2],
      ['spark', 40, 50, 10, 1],
      ['streaming', 40, 51, 11, 2],
      ['structured', 41, 51, 10, 1],
      ['world', 40, 51, 11, 2],
    ]);

    input.addData(...lines(['spark streaming', 25])); // new sessions before the stored ones
    expect(tuples(await test.processAllAvailable())).toEqual([
      ['hello', 40, 51, 11, 2],
      ['spark', 25, 35, 10, 1],
      ['spark', 40, 50, 10, 1],
      ['streaming', 25, 35, 10, 1],
      ['streaming', 40, 51, 11, 2],
      ['structured', 41, 51, 10, 1],
      ['world', 40, 51, 11, 2],
    ]);

    // [30,40) overlaps [25,35) and touches [40,50): all three become one session.
    input.addData(...lines(['spark streaming', 30]));
    expect(tuples(await test.processAllAvailable())).toEqual([
      ['hello', 40, 51, 11, 2],
      ['spark', 25, 50, 25, 3],
      ['streaming', 25, 51, 26, 4],
      ['structured', 41, 51, 10, 1],
      ['world', 40, 51, 11, 2],
    ]);

    input.addData(...lines(['hello apache spark', 60])); // new sessions after the stored ones
    await test.processAllAvailable();
    input.addData(...lines(['structured streaming', 90]));
    expect(tuples(await test.processAllAvailable())).toEqual([
      ['apache', 60, 70, 10, 1],
      ['hello', 40, 51, 11, 2],
      ['hello', 60, 70, 10, 1],
      ['spark', 25, 50, 25, 3],
      ['spark', 60, 70, 10, 1],
      ['streaming', 25, 51, 26, 4],
      ['streaming', 90, 100, 10, 1],
      ['structured', 41, 51, 10, 1],
      ['structured', 90, 100, 10, 1],
      ['world', 40, 51, 11, 2],
    ]);

    input.addData(...lines(['world', 0])); // far behind the watermark (60 s): complete mode keeps it
    expect(tuples(await test.processAllAvailable()).filter((row) => row[0] === 'world')).toEqual([
      ['world', 0, 10, 10, 1],
      ['world', 40, 51, 11, 2],
    ]);
    expect(stateOf(test).numRowsDroppedByWatermark).toBe(0);
  });

  it('append mode: emits each session once when the watermark passes its end, drops late rows', async () => {
    const { input, test } = sessionWindowQuery('append');
    input.addData(...lines(['hello world spark streaming', 40], ['world hello structured streaming', 41]));
    expect(await test.processAllAvailable()).toEqual([]); // watermark 11

    input.addData(...lines(['spark streaming', 25]));
    expect(await test.processAllAvailable()).toEqual([]);

    // Each row's own session [0,10) ends at or before the watermark 11: both rows are dropped.
    input.addData(...lines(['spark streaming', 0]));
    expect(await test.processAllAvailable()).toEqual([]);
    expect(stateOf(test).numRowsDroppedByWatermark).toBe(2);

    input.addData(...lines(['spark streaming', 30])); // concatenates stored sessions
    expect(await test.processAllAvailable()).toEqual([]);

    input.addData(...lines(['hello apache spark', 60])); // watermark 30: nothing has ended yet
    expect(await test.processAllAvailable()).toEqual([]);

    input.addData(...lines(['structured streaming', 90])); // watermark 60
    expect(tuples(await test.processAllAvailable())).toEqual([
      ['spark', 25, 50, 25, 3],
      ['hello', 40, 51, 11, 2],
      ['streaming', 25, 51, 26, 4],
      ['structured', 41, 51, 10, 1],
      ['world', 40, 51, 11, 2],
    ]);
    expect(test.progress.at(-1)!.isNoDataBatch).toBe(true);
    // Groups with open sessions remain: apache, hello, spark, streaming, structured.
    expect(stateOf(test).numRowsTotal).toBe(5);
  });

  it('groups by several columns (Spark "multiple col key")', async () => {
    const input = new MemoryStream<{ user: string; device: string; ts: number }>('clicks');
    const query = input
      .toStream()
      .groupBy(sessionWindow('ts', '10 seconds'), 'user', 'device')
      .agg({ n: count() })
      .writeStream.outputMode('complete')
      .build();
    const test = new StreamTest(query, [input]);
    input.addData(
      { user: 'u1', device: 'd1', ts: 0 },
      { user: 'u1', device: 'd2', ts: seconds(5) },
      { user: 'u1', device: 'd1', ts: seconds(8) },
      { user: 'u2', device: 'd1', ts: seconds(5) },
    );
    expect(await test.processAllAvailable()).toEqual([
      { user: 'u1', device: 'd1', session_window: { start: 0, end: seconds(18) }, n: 2 },
      { user: 'u1', device: 'd2', session_window: { start: seconds(5), end: seconds(15) }, n: 1 },
      { user: 'u2', device: 'd1', session_window: { start: seconds(5), end: seconds(15) }, n: 1 },
    ]);
  });

  it('refuses update mode and a second time window (as Spark does)', () => {
    const input = new MemoryStream<{ user: string; ts: number }>('clicks');
    const stream = input.toStream().withWatermark('ts', '10 seconds');
    const ruleOf = (build: () => unknown): string | undefined => {
      try {
        build();
        return undefined;
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidQueryError);
        return (error as InvalidQueryError).rule;
      }
    };
    const gap = sessionWindow('ts', '5 seconds');
    expect(ruleOf(() => stream.groupBy(gap, 'user').count().writeStream.outputMode('update').build())).toBe(
      'SESSION_WINDOW_IN_UPDATE_MODE',
    );
    expect(
      ruleOf(() => stream.groupBy(gap, window('ts', '1 minute'), 'user').count().writeStream.build()),
    ).toBe('MULTIPLE_TIME_WINDOWS_IN_GROUP_BY');
    expect(ruleOf(() => stream.groupBy(gap, 'user').count().writeStream.outputMode('append').build())).toBe(
      undefined,
    );
  });

  it('without grouping columns forms one global group of sessions (Spark refuses this; sluice allows it like a global window)', async () => {
    const input = new MemoryStream<{ ts: number }>('ticks');
    const query = input
      .toStream()
      .groupBy(sessionWindow('ts', '5 seconds'))
      .count()
      .writeStream.outputMode('complete')
      .build();
    const test = new StreamTest(query, [input]);
    input.addData({ ts: 0 }, { ts: seconds(4) }, { ts: seconds(20) });
    expect(await test.processAllAvailable()).toEqual([
      { session_window: { start: 0, end: seconds(9) }, count: 2 },
      { session_window: { start: seconds(20), end: seconds(25) }, count: 1 },
    ]);
  });
});

/** Sessions per user with a 10 s gap; `delay` is the watermark delay. */
function userSessions(outputMode: OutputMode, delay: string) {
  const input = new MemoryStream<{ user: string; ts: number }>('clicks');
  const query = input
    .toStream()
    .withWatermark('ts', delay)
    .groupBy(sessionWindow('ts', '10 seconds'), 'user')
    .agg({ n: count(), first: min('ts'), last: max('ts'), times: collectList('ts') })
    .writeStream.outputMode(outputMode)
    .build();
  return { input, test: new StreamTest(query, [input]) };
}

const clicks = (user: string, ...times: number[]) => times.map((s) => ({ user, ts: seconds(s) }));
const compact = (rows: readonly Row[]) =>
  rows.map((row) => {
    const { start, end } = row.session_window as TimeWindow;
    return [row.user, start / 1000, end / 1000, row.n];
  });

describe('session merging', () => {
  it('merges sessions that overlap or exactly touch, in one batch and across batches', async () => {
    const { input, test } = userSessions('complete', '0 seconds');
    input.addData(
      ...clicks('touch', 0, 10), // [0,10) and [10,20) touch
      ...clicks('apart', 0),
      { user: 'apart', ts: seconds(10) + 1 }, // one millisecond after [0,10) ends
      ...clicks('overlap', 0, 5),
      ...clicks('later', 0),
    );
    await test.processAllAvailable();
    input.addData(...clicks('later', 10)); // touches the stored session [0,10)
    expect(compact(await test.processAllAvailable())).toEqual([
      ['apart', 0, 10, 1],
      ['apart', 10.001, 20.001, 1],
      ['later', 0, 20, 2],
      ['overlap', 0, 15, 2],
      ['touch', 0, 20, 2],
    ]);
  });

  it('a late-arriving event bridges two stored sessions into one, emitted once', async () => {
    const { input, test } = userSessions('append', '30 seconds');
    input.addData(...clicks('a', 40, 60)); // [40,50) and [60,70); watermark 30
    await test.processAllAvailable();
    input.addData(...clicks('a', 50)); // [50,60) touches both; its own end 60 > 30, so not late
    expect(await test.processAllAvailable()).toEqual([]);
    expect(stateOf(test).numRowsTotal).toBe(1);
    input.addData(...clicks('b', 200)); // watermark 170
    expect(await test.processAllAvailable()).toEqual([
      {
        user: 'a',
        session_window: { start: seconds(40), end: seconds(70) },
        n: 3,
        first: seconds(40),
        last: seconds(60),
        times: [seconds(40), seconds(50), seconds(60)], // merged in session start order
      },
    ]);
  });

  it('drops a row that is late on its own even when it overlaps a session still open (Spark)', async () => {
    const { input, test } = userSessions('append', '5 seconds');
    input.addData(...clicks('a', 20, 28), ...clicks('b', 40)); // a: [20,38); watermark 35
    await test.processAllAvailable();
    // 15: its session [15,25) ends ≤ 35, late though [20,38) is open. 30: behind the watermark,
    // but its session [30,40) ends after it, so it counts and extends a's session.
    input.addData(...clicks('a', 15, 30));
    expect(await test.processAllAvailable()).toEqual([]);
    expect(stateOf(test).numRowsDroppedByWatermark).toBe(1);
    input.addData(...clicks('c', 100)); // watermark 95
    expect(compact(await test.processAllAvailable())).toEqual([
      ['a', 20, 40, 3],
      ['b', 40, 50, 1],
    ]);
  });

  it('append emits a session when the watermark reaches its end exactly, and never again', async () => {
    const { input, test } = userSessions('append', '0 seconds');
    input.addData(...clicks('a', 10)); // [10,20)
    expect(await test.processAllAvailable()).toEqual([]);
    input.addData(...clicks('b', 20)); // watermark 20 = end of a's session
    expect(compact(await test.processAllAvailable())).toEqual([['a', 10, 20, 1]]);
    input.addData(...clicks('b', 21)); // merges into [20,31); watermark 21
    expect(await test.processAllAvailable()).toEqual([]);
    input.addData(...clicks('c', 31)); // watermark 31
    expect(compact(await test.processAllAvailable())).toEqual([['b', 20, 31, 2]]);
    expect(compact(test.allOutput())).toEqual([
      ['a', 10, 20, 1],
      ['b', 20, 31, 2],
    ]);
  });

  it('rejects rows without a valid event time as dead letters', async () => {
    const { input, test } = userSessions('complete', '0 seconds');
    input.addData({ user: 'a', ts: 1000 }, { user: 'a', ts: Number.NaN }, { user: 'b' } as never);
    expect(compact(await test.processAllAvailable())).toEqual([['a', 1, 11, 1]]);
    expect(test.rejected.map((r) => r.row.user)).toEqual(['a', 'b']);
  });
});

describe('session window recovery', () => {
  /** Spark's append scenario as batches of input. */
  const script: Line[][] = [
    lines(['hello world spark streaming', 40], ['world hello structured streaming', 41]),
    lines(['spark streaming', 25]),
    lines(['spark streaming', 0]),
    lines(['spark streaming', 30]),
    lines(['hello apache spark', 60]),
    lines(['structured streaming', 90]),
  ];

  it.each(['append', 'complete'] as const)(
    '%s: replaying the last batch gives the same output and state',
    async (mode) => {
      const { input, test } = sessionWindowQuery(mode);
      for (const batch of script) {
        input.addData(...batch);
        await test.processAllAvailable();
      }
      const lastBatch = test.progress.at(-1)!.batchId;
      const output = structuredClone(test.batchOutput(lastBatch));
      const state = test.stateSnapshot();
      expect(output.length).toBeGreaterThan(0);
      const replay = await test.replayLastBatch();
      expect(replay.progress.batchId).toBe(lastBatch);
      expect(replay.output).toEqual(output);
      expect(test.stateSnapshot()).toEqual(state);
    },
  );

  const phases: BatchPhase[] = ['walCommit', 'getBatch', 'addBatch', 'commitState', 'commitOffsets'];
  it.each(phases)('a crash after %s, then re-processing, gives the same total output', async (phase) => {
    const clean = sessionWindowQuery('append', 'clean');
    const faulty = sessionWindowQuery('append', 'faulty');
    for (const [i, batch] of script.entries()) {
      clean.input.addData(...batch);
      await clean.test.processAllAvailable();
      faulty.input.addData(...batch);
      if (i === 3) {
        // The batch that concatenates stored sessions crashes once, then recovers.
        faulty.test.crashAfter(phase);
        await expect(faulty.test.processAllAvailable()).rejects.toBeInstanceOf(SimulatedCrash);
      }
      await faulty.test.processAllAvailable();
    }
    expect(tuples(faulty.test.allOutput())).toEqual(tuples(clean.test.allOutput()));
    expect(faulty.test.allOutput()).toHaveLength(5);
    expect(Object.values(faulty.test.stateSnapshot())).toEqual(Object.values(clean.test.stateSnapshot()));
  });
});
