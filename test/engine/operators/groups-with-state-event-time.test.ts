import { describe, expect, it } from 'vitest';
import { type GroupState, GroupStateTimeout } from '../../../engine/index.js';
import { MemoryStream, StreamTest } from '../../../engine/testkit/index.js';

interface Event {
  key: string;
  eventTime: number;
}
interface Session {
  events: number;
  start: number;
  end: number;
}

const seconds = (s: number) => s * 1000;
const at = (key: string, s: number): Event => ({ key, eventTime: seconds(s) });
const stateOf = (test: StreamTest) => test.progress.at(-1)!.stateOperators[0]!;
const pairs = (rows: readonly Record<string, unknown>[]) => rows.map((row) => [row.key, row.value]);
const { EventTimeTimeout, ProcessingTimeTimeout, NoTimeout } = GroupStateTimeout;

describe('flatMapGroupsWithState with event-time timeouts (Spark FlatMapGroupsWithStateSuite)', () => {
  it('times a key out once the watermark passes its timeout, in the no-data batch the watermark triggers', async () => {
    const input = new MemoryStream<Event>('events');
    const watermarks: number[] = [];
    // Keeps the max event time (seconds) per key; times out 5 s after it.
    const query = input
      .toStream()
      .withWatermark('eventTime', '10 seconds')
      .groupByKey((row) => row.key)
      .flatMapGroupsWithState(
        'update',
        (key: string, rows, state: GroupState<number>) => {
          watermarks.push(state.getCurrentWatermarkMs());
          if (state.hasTimedOut) {
            state.remove();
            return [{ key, value: -1 }];
          }
          const max = Math.max(...rows.map((row) => row.eventTime / 1000), state.getOption() ?? 0);
          state.update(max);
          state.setTimeoutTimestamp(seconds(max + 5));
          return [{ key, value: max }];
        },
        { timeout: EventTimeTimeout },
      )
      .writeStream.outputMode('update')
      .build();
    const test = new StreamTest(query, [input]);

    input.addData(at('a', 11), at('a', 13), at('a', 15)); // timeout 20 s; watermark → 5 s
    expect(pairs(await test.processAllAvailable())).toEqual([['a', 15]]);
    expect(test.progress.at(-1)).toMatchObject({ isNoDataBatch: true }); // nothing due at 5 s

    input.addData(at('a', 4)); // behind the watermark: dropped
    expect(await test.processAllAvailable()).toEqual([]);
    expect(stateOf(test).numRowsDroppedByWatermark).toBe(1);

    input.addData(at('a', 10)); // newer than the watermark; the max stays 15
    expect(pairs(await test.processAllAvailable())).toEqual([['a', 15]]);

    input.addData(at('b', 31)); // watermark → 21 s > a's timeout (20 s)
    expect(pairs(await test.processAllAvailable())).toEqual([
      ['b', 31],
      ['a', -1],
    ]);
    const last = test.progress.at(-1)!;
    expect(last.isNoDataBatch).toBe(true);
    expect(pairs(test.batchOutput(last.batchId))).toEqual([['a', -1]]);
    expect(stateOf(test)).toMatchObject({ numRowsTotal: 1, numRowsRemoved: 1 });
    expect(watermarks).toEqual([0, 5000, 5000, 21_000]);
  });

  it('append mode emits each session once, when its event-time timeout fires', async () => {
    const input = new MemoryStream<Event>('events');
    const query = input
      .toStream()
      .withWatermark('eventTime', '5 seconds')
      .groupByKey((row) => row.key)
      .flatMapGroupsWithState(
        'append',
        (user: string, rows, state: GroupState<Session>) => {
          if (state.hasTimedOut) {
            const session = state.get();
            state.remove();
            return [{ user, ...session }];
          }
          const times = rows.map((row) => row.eventTime);
          const previous = state.getOption();
          const session = {
            events: (previous?.events ?? 0) + rows.length,
            start: Math.min(previous?.start ?? Number.POSITIVE_INFINITY, ...times),
            end: Math.max(previous?.end ?? Number.NEGATIVE_INFINITY, ...times),
          };
          state.update(session);
          state.setTimeoutTimestamp(session.end, '10 seconds'); // a 10 s gap closes the session
          return [];
        },
        { timeout: EventTimeTimeout },
      )
      .writeStream.outputMode('append')
      .build();
    const test = new StreamTest(query, [input]);

    input.addData(at('u1', 1), at('u1', 3), at('u2', 2));
    expect(await test.processAllAvailable()).toEqual([]);

    input.addData(at('u1', 20)); // watermark → 15 s: u2 (timeout 12 s) closes; u1 now ends at 30 s
    expect(await test.processAllAvailable()).toEqual([{ user: 'u2', events: 1, start: 2000, end: 2000 }]);

    input.addData(at('u3', 40)); // watermark → 35 s: u1 closes
    expect(await test.processAllAvailable()).toEqual([{ user: 'u1', events: 3, start: 1000, end: 20_000 }]);
    expect(stateOf(test).numRowsTotal).toBe(1);
  });

  it('a timeout timestamp behind the watermark fails the batch; caught, the state is kept without a timeout', async () => {
    const input = new MemoryStream<Event>('events');
    let catchError = false;
    const query = input
      .toStream()
      .withWatermark('eventTime', '10 seconds')
      .groupByKey((row) => row.key)
      .flatMapGroupsWithState(
        'update',
        (_key: string, rows, state: GroupState<number>) => {
          state.update(rows.length);
          const timeout = rows[0]!.eventTime === seconds(15) ? seconds(5) : seconds(100);
          try {
            state.setTimeoutTimestamp(timeout);
          } catch (error) {
            if (!catchError) throw error;
          }
          return [];
        },
        { timeout: EventTimeTimeout },
      )
      .writeStream.outputMode('update')
      .build();
    const test = new StreamTest(query, [input]);
    input.addData(at('a', 20)); // timeout 100 s; watermark → 10 s
    await test.processAllAvailable();

    input.addData(at('a', 15)); // asks for 5 s, behind the watermark (10 s)
    await expect(test.processAllAvailable()).rejects.toMatchObject({
      code: 'SLUICE_GROUP_STATE_TIMEOUT_BEFORE_WATERMARK',
      message: expect.stringContaining(
        'Timeout timestamp (5000) cannot be earlier than the current watermark (10000)',
      ),
    });

    catchError = true; // the failed batch is replayed from its WAL entry
    await test.processAllAvailable();
    const [entry] = Object.values(Object.values(test.stateSnapshot())[0]!);
    expect(entry).toEqual({ value: { key: 'a', state: 1 } }); // updated, previous timeout cleared
  });

  it('setTimeoutDuration needs ProcessingTimeTimeout and setTimeoutTimestamp needs EventTimeTimeout', async () => {
    const cases = [
      { timeout: EventTimeTimeout, call: 'duration', code: 'SLUICE_CANNOT_SET_TIMEOUT_DURATION' },
      { timeout: NoTimeout, call: 'duration', code: 'SLUICE_CANNOT_SET_TIMEOUT_DURATION' },
      { timeout: ProcessingTimeTimeout, call: 'timestamp', code: 'SLUICE_CANNOT_SET_TIMEOUT_TIMESTAMP' },
      { timeout: NoTimeout, call: 'timestamp', code: 'SLUICE_CANNOT_SET_TIMEOUT_TIMESTAMP' },
    ] as const;
    for (const { timeout, call, code } of cases) {
      const input = new MemoryStream<Event>('events');
      const query = input
        .toStream()
        .withWatermark('eventTime', '10 seconds')
        .groupByKey((row) => row.key)
        .flatMapGroupsWithState(
          'update',
          (_key: string, _rows, state: GroupState<number>) => {
            if (call === 'duration') state.setTimeoutDuration('10 seconds');
            else state.setTimeoutTimestamp(seconds(100));
            return [];
          },
          { timeout },
        )
        .writeStream.outputMode('update')
        .build();
      input.addData(at('a', 1));
      await expect(new StreamTest(query, [input]).processAllAvailable()).rejects.toMatchObject({ code });
    }
  });

  it('an event-time timeout without a watermark is rejected before anything runs', async () => {
    const input = new MemoryStream<Event>('events');
    const run = async () => {
      const query = input
        .toStream()
        .groupByKey((row) => row.key)
        .flatMapGroupsWithState('update', () => [], { timeout: EventTimeTimeout })
        .writeStream.outputMode('update')
        .build();
      input.addData(at('a', 1));
      await new StreamTest(query, [input]).processAllAvailable();
    };
    await expect(run()).rejects.toMatchObject({ rule: 'EVENT_TIME_TIMEOUT_WITHOUT_WATERMARK' });
  });

  it('drops late rows only with an event-time timeout (Spark SPARK-20714)', async () => {
    const input = new MemoryStream<Event>('events');
    const query = input
      .toStream()
      .withWatermark('eventTime', '10 seconds')
      .groupByKey((row) => row.key)
      .flatMapGroupsWithState(
        'update',
        (key: string, rows, state: GroupState<number>) => {
          if (state.hasTimedOut) return [];
          state.update((state.getOption() ?? 0) + rows.length);
          state.setTimeoutDuration('1 hour');
          return [{ key, value: state.get() }];
        },
        { timeout: ProcessingTimeTimeout },
      )
      .writeStream.outputMode('update')
      .build();
    const test = new StreamTest(query, [input]);
    input.addData(at('a', 20)); // watermark → 10 s
    expect(pairs(await test.processAllAvailable())).toEqual([['a', 1]]);
    input.addData(at('a', 1)); // behind the watermark, but kept: no event-time timeout
    expect(pairs(await test.processAllAvailable())).toEqual([['a', 2]]);
    expect(stateOf(test).numRowsDroppedByWatermark).toBe(0);
  });

  it('rejects rows whose event time became invalid after the watermark', async () => {
    const input = new MemoryStream<Event>('events');
    const query = input
      .toStream()
      .withWatermark('eventTime', '10 seconds')
      .map((row) => (row.key === 'broken' ? { ...row, eventTime: Number.NaN } : row))
      .groupByKey((row) => row.key)
      .flatMapGroupsWithState('update', (key: string, rows) => [{ key, value: rows.length }], {
        timeout: EventTimeTimeout,
      })
      .writeStream.outputMode('update')
      .build();
    const test = new StreamTest(query, [input]);
    input.addData(at('a', 1), at('broken', 2), at('a', 3));
    expect(pairs(await test.processAllAvailable())).toEqual([['a', 2]]);
    expect(test.rejected).toHaveLength(1);
    expect(test.rejected[0]).toMatchObject({ operator: 'groupsWithState-0', row: { key: 'broken' } });
  });

  it('keeps a row without state when the state is removed but a timeout is set', async () => {
    const input = new MemoryStream<Event>('events');
    const query = input
      .toStream()
      .groupByKey((row) => row.key)
      .flatMapGroupsWithState(
        'update',
        (key: string, _rows, state: GroupState<number>) => {
          if (state.hasTimedOut) return [{ key, value: state.exists ? 'state' : 'no state' }];
          if (state.exists) {
            state.remove();
            state.setTimeoutDuration(1000);
          } else {
            state.update(5);
          }
          return [];
        },
        { timeout: ProcessingTimeTimeout },
      )
      .writeStream.outputMode('update')
      .build();
    const test = new StreamTest(query, [input]);
    const entries = () => Object.values(test.stateSnapshot()).flatMap((ns) => Object.values(ns));
    input.addData(at('a', 1));
    await test.processAllAvailable();
    expect(entries()).toEqual([{ value: { key: 'a', state: 5 } }]);

    input.addData(at('a', 2));
    test.clock.advance(1000);
    await test.processAllAvailable();
    expect(entries()).toEqual([{ value: { key: 'a' }, expiresAt: 2000 }]);
    expect(stateOf(test)).toMatchObject({ numRowsTotal: 1, numRowsUpdated: 1 });

    test.clock.advance(5000);
    expect(pairs(await test.processAllAvailable())).toEqual([['a', 'no state']]);
    // Neither state nor timeout is left, so the entry goes.
    expect(entries()).toEqual([]);
    expect(stateOf(test)).toMatchObject({ numRowsTotal: 0, numRowsRemoved: 1 });
  });
});
