import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { count, type GroupState, GroupStateTimeout, sessionWindow, window } from '../../../engine/index.js';
import type { DroppedRow } from '../../../engine/runtime/operator.js';
import { MemoryStream, StreamTest } from '../../../engine/testkit/index.js';

/**
 * The late-rows side output's engine part: every row an operator drops as late is handed to the
 * sink with the operator that dropped it, the time it was judged by and the watermark it was judged
 * against — exactly as many as `numLateInputRows` counts, the same on a replay.
 */
const s = (seconds: number) => seconds * 1000;
const keep = { execution: { keepDroppedRows: true } } as const;

interface Event {
  key: string;
  t: number;
}
const at = (key: string, seconds: number): Event => ({ key, t: s(seconds) });

const droppedCount = (test: StreamTest) =>
  test.progress.reduce(
    (total, batch) => total + batch.stateOperators.reduce((n, op) => n + op.numLateInputRows, 0),
    0,
  );
const brief = (rows: readonly DroppedRow[]) =>
  rows.map((dropped) => [
    dropped.row.key,
    dropped.operator,
    dropped.eventTimeMs / 1000,
    dropped.watermarkMs / 1000,
  ]);

function windowCounts(slide?: string) {
  const input = new MemoryStream<Event>('events');
  const query = input
    .toStream()
    .withWatermark('t', '10 seconds')
    .groupBy(slide === undefined ? window('t', '10 seconds') : window('t', '10 seconds', slide), 'key')
    .agg({ n: count() })
    .writeStream.outputMode('append')
    .build();
  return { input, query };
}

describe('late rows kept for the side output', () => {
  it('a tumbling-window aggregation: the row, its operator, its window end and the late watermark', async () => {
    const { input, query } = windowCounts();
    const test = new StreamTest(query, [input], keep);
    input.addData(at('a', 25)); // watermark → 15 s
    await test.processAllAvailable();
    input.addData(at('b', 4), at('c', 14), at('d', 16)); // windows [0,10) and [10,20): ends 10 ≤ 15, 20 > 15
    await test.processAllAvailable();
    expect(brief(test.droppedRows)).toEqual([['b', 'aggregate-0', 10, 15]]);
    expect(test.droppedRows[0]!.row).toEqual({ key: 'b', t: s(4) });
    expect(droppedCount(test)).toBe(1);
  });

  it('sliding windows: one entry per window the row is late for, like the counter; the row still counts in the others', async () => {
    const { input, query } = windowCounts('5 seconds');
    const test = new StreamTest(query, [input], keep);
    input.addData(at('a', 27)); // watermark → 17 s
    await test.processAllAvailable();
    input.addData(at('b', 12)); // windows [10,20) (end 20, kept) and [5,15) (end 15 ≤ 17, late)
    await test.processAllAvailable();
    expect(brief(test.droppedRows)).toEqual([['b', 'aggregate-0', 15, 17]]);
    expect(droppedCount(test)).toBe(1);
    input.addData(at('z', 60)); // closes everything
    const output = await test.processAllAvailable();
    expect(output.filter((row) => row.key === 'b').map((row) => row.n)).toEqual([1]);
  });

  it('dedup, session windows, flatMapGroupsWithState and a stream-stream join each name themselves', async () => {
    // dropDuplicates with a watermark: judged by event time.
    const events = new MemoryStream<Event>('events');
    const dedup = new StreamTest(
      events.toStream().withWatermark('t', '10 seconds').dropDuplicates(['key', 't']).writeStream.build(),
      [events],
      keep,
    );
    events.addData(at('a', 30));
    await dedup.processAllAvailable();
    events.addData(at('b', 19), at('c', 21));
    await dedup.processAllAvailable();
    expect(brief(dedup.droppedRows)).toEqual([['b', 'dedup-0', 19, 20]]);

    // Session windows: judged by the session's end (event time + gap).
    const lines = new MemoryStream<Event>('lines');
    const sessions = new StreamTest(
      lines
        .toStream()
        .withWatermark('t', '10 seconds')
        .groupBy(sessionWindow('t', '5 seconds'), 'key')
        .agg({ n: count() })
        .writeStream.outputMode('append')
        .build(),
      [lines],
      keep,
    );
    lines.addData(at('a', 40)); // watermark → 30 s
    await sessions.processAllAvailable();
    lines.addData(at('b', 24), at('c', 26)); // session ends 29 (late) and 31
    await sessions.processAllAvailable();
    expect(brief(sessions.droppedRows)).toEqual([['b', 'aggregate-0', 29, 30]]);

    // flatMapGroupsWithState with a watermark: judged by event time.
    const keyed = new MemoryStream<Event>('keyed');
    const groups = new StreamTest(
      keyed
        .toStream()
        .withWatermark('t', '10 seconds')
        .groupByKey((row) => row.key)
        .flatMapGroupsWithState(
          'update',
          (key: string, rows, state: GroupState<number>) => {
            state.update(rows.length);
            return [{ key, n: rows.length }];
          },
          { timeout: GroupStateTimeout.EventTimeTimeout },
        )
        .writeStream.outputMode('update')
        .build(),
      [keyed],
      keep,
    );
    keyed.addData(at('a', 50)); // watermark → 40 s, and a no-data batch (event-time timeouts)
    await groups.processAllAvailable();
    keyed.addData(at('b', 39), at('c', 41));
    await groups.processAllAvailable();
    expect(brief(groups.droppedRows)).toEqual([['b', 'groupsWithState-0', 39, 40]]);

    // A stream-stream join: each side judged by its own time column.
    const leftInput = new MemoryStream<Event>('left');
    const rightInput = new MemoryStream<Event>('right');
    const left = leftInput.toStream().withWatermark('t', '10 seconds');
    const right = rightInput
      .toStream()
      .map((row) => ({ key: row.key, rt: row.t }))
      .withWatermark('rt', '10 seconds');
    const join = new StreamTest(
      left
        .join(right, {
          on: ['key'],
          how: 'inner',
          timeRange: { leftColumn: 't', rightColumn: 'rt', min: '-5 seconds', max: '5 seconds' },
        })
        .writeStream.build(),
      [leftInput, rightInput],
      keep,
    );
    leftInput.addData(at('a', 30));
    rightInput.addData(at('a', 30));
    await join.processAllAvailable(); // both watermarks → 20 s
    leftInput.addData(at('x', 19), at('y', 22));
    await join.processAllAvailable();
    expect(
      join.droppedRows.map((d) => [d.row.key, d.operator, d.eventTimeMs / 1000, d.watermarkMs / 1000]),
    ).toEqual([['x', expect.stringMatching(/^join-/), 19, 20]]);
    for (const test of [dedup, sessions, groups, join])
      expect(test.droppedRows).toHaveLength(droppedCount(test));
  });

  it('keeps nothing unless asked (the counter still counts)', async () => {
    const { input, query } = windowCounts();
    const test = new StreamTest(query, [input]);
    input.addData(at('a', 25));
    await test.processAllAvailable();
    input.addData(at('b', 4));
    await test.processAllAvailable();
    expect(test.droppedRows).toEqual([]);
    expect(droppedCount(test)).toBe(1);
  });

  it('property: kept rows = numLateInputRows, numRowsDroppedByWatermark = their distinct groups, each judged late against its watermark, and a replay keeps the same rows', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.array(fc.record({ key: fc.constantFrom('a', 'b', 'c'), t: fc.integer({ min: 0, max: 120 }) }), {
            maxLength: 8,
          }),
          { minLength: 1, maxLength: 6 },
        ),
        async (batches) => {
          const { input, query } = windowCounts('5 seconds');
          const test = new StreamTest(query, [input], keep);
          for (const rows of batches) {
            if (rows.length === 0) continue;
            input.addData(...rows.map((row) => at(row.key, row.t)));
            await test.processAllAvailable();
          }
          expect(test.droppedRows).toHaveLength(droppedCount(test));
          // Spark's figure per batch: the distinct late groups (window × key) among those rows.
          let from = 0;
          for (const batch of test.progress) {
            const op = batch.stateOperators[0]!;
            const rows = test.droppedRows.slice(from, from + op.numLateInputRows);
            from += op.numLateInputRows;
            const groups = new Set(rows.map((d) => `${d.row.key as string}@${d.eventTimeMs}`));
            expect(op.numRowsDroppedByWatermark).toBe(groups.size);
          }
          for (const dropped of test.droppedRows) {
            expect(dropped.operator).toBe('aggregate-0');
            expect(dropped.eventTimeMs).toBeLessThanOrEqual(dropped.watermarkMs);
            // The window end is one of the row's windows' ends: after its time, at most 10 s later.
            const t = dropped.row.t as number;
            expect(dropped.eventTimeMs).toBeGreaterThan(t);
            expect(dropped.eventTimeMs).toBeLessThanOrEqual(t + s(10));
            expect(dropped.eventTimeMs % s(5)).toBe(0);
          }
          const last = test.progress.at(-1);
          if (last === undefined) return;
          const lastDropped = last.stateOperators[0]!.numLateInputRows;
          const original = test.droppedRows.slice(test.droppedRows.length - lastDropped);
          const replay = await test.replayLastBatch();
          expect(test.progress.at(-1)!.batchId).toBe(last.batchId);
          expect(replay.droppedRows).toHaveLength(lastDropped);
          expect(replay.droppedRows).toEqual(original);
        },
      ),
      { numRuns: 40 },
    );
  });
});
