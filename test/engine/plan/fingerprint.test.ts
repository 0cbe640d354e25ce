import { describe, expect, it } from 'vitest';
import {
  count,
  type DataStream,
  describePlan,
  GroupStateTimeout,
  IncompatiblePlanError,
  type OutputMode,
  readStream,
  sum,
  window,
} from '../../../engine/index.js';
import { firstDifference } from '../../../engine/plan/fingerprint.js';
import { MemoryStream, StreamTest } from '../../../engine/testkit/index.js';

// Spark's "Recovery Semantics after Changes in a Streaming Query": stateless changes may be made
// between restarts, changes to stateful operators (keys, aggregates, windows) may not.

interface Event {
  value: number;
  eventTime: number;
  user?: string;
}

const seconds = (s: number) => s * 1000;
const events = (...values: number[]): Event[] =>
  values.map((value) => ({ value, eventTime: seconds(value) }));
const startAndCount = (rows: readonly Record<string, unknown>[]) =>
  rows.map((row) => [(row.window as { start: number }).start / 1000, row.count]);

const events$ = () => readStream<Event>('events');

/** The windowed count used throughout: 5-second windows, 10-second watermark delay. */
function windowedCount(
  options: { input?: DataStream<Event>; windowMs?: number; delay?: string; mode?: OutputMode } = {},
) {
  return (options.input ?? events$())
    .withWatermark('eventTime', options.delay ?? '10 seconds')
    .groupBy(window('eventTime', options.windowMs ?? seconds(5)))
    .agg({ count: count() })
    .writeStream.queryName('windowed-count')
    .outputMode(options.mode ?? 'append')
    .build();
}

const operatorsOf = (fingerprint: string) => (JSON.parse(fingerprint) as { operators: unknown[] }).operators;

describe('describePlan', () => {
  const base = describePlan(windowedCount());

  it('lists the sources, the watermark and the aggregation with its keys, functions and retention', () => {
    const parsed = JSON.parse(base) as Record<string, unknown>;
    expect(parsed.sources).toEqual(['events']);
    expect(operatorsOf(base)).toEqual([
      { op: 'watermark', column: 'eventTime' },
      {
        op: 'aggregate',
        keys: [{ kind: 'window', column: 'eventTime', durationMs: 5000, slideMs: 5000, startMs: 0 }],
        aggregates: [['count', 'count', null]],
        retention: 'watermark',
      },
    ]);
  });

  it('stays the same when a filter, a map or a projection is added', () => {
    const filtered = events$()
      .filter((e) => e.value !== 13)
      .map((e) => ({ ...e, value: e.value * 2 }));
    expect(describePlan(windowedCount({ input: filtered }))).toBe(base);

    const projected = events$()
      .withWatermark('eventTime', '10 seconds')
      .where((e) => e.value > 0)
      .groupBy(window('eventTime', seconds(5)))
      .agg({ count: count() })
      .select('window', 'count')
      .writeStream.queryName('windowed-count')
      .outputMode('append')
      .build();
    expect(describePlan(projected)).toBe(base);
  });

  it('stays the same when the watermark delay changes (Spark allows it; expiry comes from window ends)', () => {
    expect(describePlan(windowedCount({ delay: '1 minute' }))).toBe(base);
  });

  it('stays the same between append and update mode, which keep the same state', () => {
    expect(describePlan(windowedCount({ mode: 'update' }))).toBe(base);
  });

  it('changes when a grouping key is added', () => {
    const byUser = events$()
      .withWatermark('eventTime', '10 seconds')
      .groupBy(window('eventTime', seconds(5)), 'user')
      .agg({ count: count() })
      .writeStream.queryName('windowed-count')
      .build();
    expect(describePlan(byUser)).not.toBe(base);
    expect(firstDifference(base, describePlan(byUser))).toMatch(
      /^operator #1 \(aggregate\) changed: .*"user"/,
    );
  });

  it('changes when the window duration, slide or start changes', () => {
    const variants = [
      window('eventTime', '10 seconds'),
      window('eventTime', '5 seconds', '1 second'),
      window('eventTime', '5 seconds', '5 seconds', '1 second'),
    ];
    for (const variant of variants) {
      const query = events$()
        .withWatermark('eventTime', '10 seconds')
        .groupBy(variant)
        .agg({ count: count() })
        .writeStream.queryName('windowed-count')
        .build();
      expect(describePlan(query)).not.toBe(base);
    }
  });

  it('changes when an aggregate function or its column changes', () => {
    const withAggregate = (aggregates: Parameters<ReturnType<DataStream<Event>['groupBy']>['agg']>[0]) =>
      describePlan(
        events$()
          .withWatermark('eventTime', '10 seconds')
          .groupBy(window('eventTime', seconds(5)))
          .agg(aggregates)
          .writeStream.queryName('windowed-count')
          .build(),
      );
    expect(withAggregate({ count: sum('value') })).not.toBe(base);
    expect(withAggregate({ count: count('user') })).not.toBe(base);
    expect(withAggregate({ count: count(), total: sum('value') })).not.toBe(base);
    expect(withAggregate({ count: count() })).toBe(base);
  });

  it('changes between complete mode, which keeps every group, and modes that evict by watermark', () => {
    const complete = describePlan(windowedCount({ mode: 'complete' }));
    expect(complete).not.toBe(base);
    expect(firstDifference(base, complete)).toContain('"retention":"forever"');
    // Without a watermarked key nothing is evicted in any mode, so the mode does not matter.
    const unwatermarked = (mode: OutputMode) =>
      describePlan(
        events$().groupBy('user').count().writeStream.queryName('per-user').outputMode(mode).build(),
      );
    expect(unwatermarked('update')).toBe(unwatermarked('complete'));
  });

  it('changes when the watermark column, a state function timeout or the sources change', () => {
    const onValue = events$()
      .withWatermark('value', '10 seconds')
      .groupBy(window('eventTime', seconds(5)))
      .agg({ count: count() })
      .writeStream.queryName('windowed-count')
      .outputMode('update')
      .build();
    expect(firstDifference(base, describePlan(onValue))).toMatch(/^operator #0 \(watermark\) changed/);

    const withTimeout = (timeout: GroupStateTimeout) =>
      describePlan(
        events$()
          .groupByKey((e) => e.user)
          .mapGroupsWithState((user, rows) => ({ user, n: rows.length }), { timeout })
          .writeStream.queryName('per-user')
          .outputMode('update')
          .build(),
      );
    expect(withTimeout(GroupStateTimeout.NoTimeout)).not.toBe(
      withTimeout(GroupStateTimeout.ProcessingTimeTimeout),
    );

    const twoSources = windowedCount({ input: events$().union(readStream<Event>('more-events')) });
    expect(firstDifference(base, describePlan(twoSources))).toBe(
      'the input sources were ["events"] and are now ["events","more-events"]',
    );
  });

  it('says which operator was added or removed', () => {
    const deduped = describePlan(windowedCount({ input: events$().dropDuplicates(['value']) }));
    expect(firstDifference(base, deduped)).toBe(
      'operator #0 (dedup) was added: {"op":"dedup","columns":["value"]}',
    );
    expect(firstDifference(deduped, base)).toBe(
      'operator #0 (dedup) was removed: {"op":"dedup","columns":["value"]}',
    );
    const dedup = (within: boolean) => {
      const watermarked = events$().withWatermark('eventTime', '1 second');
      const stream = within
        ? watermarked.dropDuplicatesWithinWatermark(['value'])
        : watermarked.dropDuplicates(['value']);
      return describePlan(stream.writeStream.queryName('windowed-count').build());
    };
    expect(firstDifference(dedup(false), dedup(true))).toBe(
      'operator #1 (dedup, now dedupWithinWatermark) changed: it was {"op":"dedup","columns":["value"]} and is now {"op":"dedupWithinWatermark","columns":["value"]}',
    );
    const stateless = describePlan(events$().writeStream.queryName('windowed-count').build());
    const watermarkOnly = describePlan(
      events$().withWatermark('eventTime', '1 second').writeStream.queryName('windowed-count').build(),
    );
    expect(firstDifference(stateless, watermarkOnly)).toBe(
      'operator #0 (watermark) was added: {"op":"watermark","column":"eventTime"}',
    );
    expect(firstDifference(watermarkOnly, stateless)).toBe(
      'operator #0 (watermark) was removed: {"op":"watermark","column":"eventTime"}',
    );
    expect(firstDifference('{"v":1,"query":"q","operators":[]}', base)).toBe(
      'the checkpoint has fingerprint format 1, this version writes 2',
    );
    expect(firstDifference('not json', base)).toBe('the stored fingerprint is unreadable');
  });
});

describe('restarting with a changed query (StreamTest)', () => {
  /** Runs batch 0 (and its no-data batch) of the windowed count: windows [10,15) = 2 and [15,20) = 1. */
  async function startedTest() {
    const input = new MemoryStream<Event>('events');
    const test = new StreamTest(windowedCount({ input: input.toStream() }), [input]);
    input.addData(...events(10, 11, 16));
    expect(await test.processAllAvailable()).toEqual([]);
    return { input, test };
  }

  it('fails with IncompatiblePlanError naming the aggregation when the window changes', async () => {
    const { input, test } = await startedTest();
    test.restart(windowedCount({ input: input.toStream(), windowMs: seconds(10) }));
    input.addData(...events(25));
    const error = await test.processAllAvailable().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(IncompatiblePlanError);
    const incompatible = error as IncompatiblePlanError;
    expect(incompatible.code).toBe('SLUICE_INCOMPATIBLE_PLAN');
    expect(incompatible.message).toContain("Query 'windowed-count' cannot restart from its checkpoint");
    expect(incompatible.message).toContain('operator #1 (aggregate) changed');
    expect(incompatible.message).toContain('"durationMs":5000');
    expect(incompatible.message).toContain('"durationMs":10000');
    expect(incompatible.message).toContain('Deploy the change under a new query name');
    expect(incompatible.context.query).toBe('windowed-count');

    // Nothing was written: going back to the original query continues where it stopped.
    test.restart(windowedCount({ input: input.toStream() }));
    expect(startAndCount(await test.processAllAvailable())).toEqual([[10, 2]]); // watermark 15 s
  });

  it('fails when an aggregate function changes', async () => {
    const { input, test } = await startedTest();
    const summed = input
      .toStream()
      .withWatermark('eventTime', '10 seconds')
      .groupBy(window('eventTime', seconds(5)))
      .agg({ count: sum('value') })
      .writeStream.queryName('windowed-count')
      .build();
    test.restart(summed);
    await expect(test.processAllAvailable()).rejects.toThrow(
      /operator #1 \(aggregate\) changed.*"sum","value"/,
    );
  });

  it('continues with the same state after adding a filter and a projection', async () => {
    const { input, test } = await startedTest();
    const filtered = input
      .toStream()
      .filter((e) => e.value !== 13)
      .withWatermark('eventTime', '10 seconds')
      .groupBy(window('eventTime', seconds(5)))
      .agg({ count: count() })
      .select('window', 'count')
      .writeStream.queryName('windowed-count')
      .build();
    test.restart(filtered);
    input.addData(...events(13, 14, 26)); // 13 is filtered out; the watermark moves to 16 s
    // [10,15) holds 10 and 11 from before the restart plus 14: the state survived, the filter applies.
    expect(startAndCount(await test.processAllAvailable())).toEqual([[10, 3]]);
    expect(test.allOutput()).toEqual([{ window: { start: 10_000, end: 15_000 }, count: 3 }]);
    input.addData(...events(31)); // watermark 21 s closes [15,20)
    expect(startAndCount(await test.processAllAvailable())).toEqual([[15, 1]]);
  });

  it('continues after the watermark delay changes, restoring the watermark and applying the new delay', async () => {
    const { input, test } = await startedTest();
    test.restart(windowedCount({ input: input.toStream(), delay: '5 seconds' }));
    input.addData(...events(25)); // with the 10 s delay the watermark would be 15 s; with 5 s it is 20 s
    expect(startAndCount(await test.processAllAvailable())).toEqual([
      [10, 2],
      [15, 1],
    ]);
    expect(test.progress.at(-1)!.eventTime.watermark).toBe(new Date(seconds(20)).toISOString());
  });
});
