import { describe, expect, it } from 'vitest';
import { col, F, sql, TempViews } from '../../../engine/index.js';
import { MemoryStream, StreamTest } from '../../../engine/testkit/index.js';

// Spark's dynamic session gap (StreamingSessionWindowSuite, SPARK-36465): session_window(ts, gapExpr)
// with the gap computed per row; rows whose gap is NULL or not positive open no session.

interface Event {
  id: string;
  t: number;
}

const s = (n: number) => n * 1000;

/** Gap 10 s for "hello", 20 s for "structured", none (dropped) for "spark", else 30 s. */
const gap = F.when(col('id').equalTo('hello'), F.expr('INTERVAL 10 SECONDS'))
  .when(col('id').equalTo('structured'), F.expr('INTERVAL 20 SECONDS'))
  .when(col('id').equalTo('spark'), F.lit(null))
  .otherwise(F.expr('INTERVAL 30 SECONDS'));

function sessions(input: MemoryStream<Event>) {
  return input
    .toStream()
    .withWatermark('t', '10 seconds')
    .groupBy(F.session_window('t', gap), col('id'))
    .agg(F.count('*').alias('n'));
}

const rowsOf = (rows: readonly Record<string, unknown>[]) =>
  rows
    .map((r) => {
      const w = r.session_window as { start: number; end: number };
      return [r.id, w.start / 1000, w.end / 1000, r.n];
    })
    .sort((a, b) => String(a[0]).localeCompare(String(b[0])) || (a[1] as number) - (b[1] as number));

describe('session_window with a per-row gap', () => {
  it('each row opens [t, t + its gap); sessions merge when they touch; NULL gaps drop the row', async () => {
    const input = new MemoryStream<Event>('events');
    const test = new StreamTest(sessions(input).writeStream.outputMode('append').build(), [input]);
    input.addData(
      { id: 'hello', t: s(10) }, // [10, 20)
      { id: 'hello', t: s(18) }, // [18, 28) merges: [10, 28)
      { id: 'structured', t: s(10) }, // [10, 30)
      { id: 'structured', t: s(35) }, // [35, 55): 5 s apart, its own session
      { id: 'spark', t: s(10) }, // no gap: dropped
      { id: 'other', t: s(12) }, // [12, 42)
    );
    expect(await test.processAllAvailable()).toEqual([]);
    input.addData({ id: 'late-marker', t: s(70) }); // watermark 60 s
    expect(rowsOf(await test.processAllAvailable())).toEqual([
      ['hello', 10, 28, 2],
      ['other', 12, 42, 1],
      ['structured', 10, 30, 1],
      ['structured', 35, 55, 1],
    ]);
    // A row whose own session ended at or before the watermark is late, judged by its own gap.
    input.addData({ id: 'hello', t: s(45) }, { id: 'other', t: s(45) }); // hello [45, 55) late; other [45, 75) not
    expect(await test.processAllAvailable()).toEqual([]);
    expect(test.progress.at(-1)!.stateOperators[0]!.numRowsDroppedByWatermark).toBe(1);
  });

  it('SQL: session_window(ts, CASE ... END) plans like the expression API and runs the same', async () => {
    const input = new MemoryStream<Event>('events');
    const views = new TempViews();
    input.toStream().withWatermark('t', '10 seconds').createOrReplaceTempView('events', views);
    const query = sql(
      `SELECT session_window(t, CASE WHEN id = 'hello' THEN INTERVAL 10 SECONDS
                                     WHEN id = 'structured' THEN INTERVAL 20 SECONDS
                                     WHEN id = 'spark' THEN NULL
                                     ELSE INTERVAL 30 SECONDS END), id, count(*) AS n
       FROM events GROUP BY session_window(t, CASE WHEN id = 'hello' THEN INTERVAL 10 SECONDS
                                     WHEN id = 'structured' THEN INTERVAL 20 SECONDS
                                     WHEN id = 'spark' THEN NULL
                                     ELSE INTERVAL 30 SECONDS END), id`,
      views,
    );
    const test = new StreamTest(query.writeStream.outputMode('append').build(), [input]);
    input.addData({ id: 'hello', t: s(10) }, { id: 'hello', t: s(18) }, { id: 'spark', t: s(10) });
    input.addData({ id: 'x', t: s(60) });
    expect(rowsOf(await test.processAllAvailable())).toEqual([['hello', 10, 28, 2]]);
  });

  it('a gap column holding duration strings works too (Spark casts the string to an interval)', async () => {
    const input = new MemoryStream<{ id: string; t: number; gap: string | null }>('events');
    const query = input
      .toStream()
      .withWatermark('t', '0 seconds')
      .groupBy(F.session_window('t', col('gap')), col('id'))
      .agg(F.count('*').alias('n'))
      .writeStream.outputMode('append')
      .build();
    const test = new StreamTest(query, [input]);
    input.addData(
      { id: 'a', t: s(0), gap: '5 seconds' },
      { id: 'a', t: s(4), gap: '1 second' }, // [4, 5) touches [0, 5): one session [0, 5)
      { id: 'a', t: s(1), gap: '-3 seconds' }, // not positive: dropped
      { id: 'b', t: s(0), gap: null }, // NULL: dropped
    );
    input.addData({ id: 'z', t: s(100), gap: '1 second' });
    const rows = await test.processAllAvailable();
    expect(rowsOf(rows)).toEqual([['a', 0, 5, 2]]);
  });
});
