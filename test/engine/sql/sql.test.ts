import { describe, expect, it } from 'vitest';
import {
  col,
  count,
  describePlan,
  ExpressionError,
  F,
  readStream,
  sql,
  sum,
  TempViews,
  window,
} from '../../../engine/index.js';
import { MemoryStream, StreamTest } from '../../../engine/testkit/index.js';

interface View {
  page: string;
  user: string;
  ms: number;
  ts: number;
}

const s = (n: number) => n * 1000;
const view = (page: string, user: string, t: number, ms = 10): View => ({ page, user, ms, ts: s(t) });

function catalogWith(input: MemoryStream<View>, delay = '10 seconds'): TempViews {
  const views = new TempViews();
  input.toStream().withWatermark('ts', delay).createOrReplaceTempView('events', views);
  return views;
}

describe('sql() over temporary views', () => {
  it('a windowed count in SQL runs like the DataFrame query (Spark DataFrameTimeWindowingSuite shape)', async () => {
    const input = new MemoryStream<View>('events');
    const views = catalogWith(input);
    const query = sql(
      "SELECT window(ts, '10 seconds'), page, count(*) AS views FROM events GROUP BY window(ts, '10 seconds'), page",
      views,
    )
      .writeStream.outputMode('append')
      .build();
    const test = new StreamTest(query, [input]);
    input.addData(view('home', 'u1', 1), view('home', 'u2', 2), view('cart', 'u1', 12));
    expect(await test.processAllAvailable()).toEqual([]);
    input.addData(view('home', 'u3', 30));
    expect(await test.processAllAvailable()).toEqual([
      { window: { start: 0, end: s(10) }, page: 'home', views: 2 },
      { window: { start: s(10), end: s(20) }, page: 'cart', views: 1 },
    ]);
  });

  it('builds the same plan as the DataFrame API (same checker input, same fingerprint)', () => {
    const events = readStream<View>('events').withWatermark('ts', '10 seconds');
    const views = new TempViews();
    events.createOrReplaceTempView('events', views);
    const fromSql = sql(
      "SELECT window(ts, '1 minute'), page, count(*) AS n, sum(ms) AS total FROM events GROUP BY window(ts, '1 minute'), page",
      views,
    )
      .writeStream.queryName('q')
      .build();
    const fromColumns = events
      .groupBy(F.window('ts', '1 minute'), col('page'))
      .agg(F.count('*').alias('n'), F.sum('ms').alias('total'))
      .writeStream.queryName('q')
      .build();
    const fromClosures = events
      .groupBy(window('ts', '1 minute'), 'page')
      .agg({ n: count(), total: sum('ms') })
      .writeStream.queryName('q')
      .build();
    expect(JSON.stringify(fromSql.plan)).toBe(JSON.stringify(fromColumns.plan));
    expect(JSON.stringify(fromSql.plan)).toBe(JSON.stringify(fromClosures.plan));
    expect(describePlan(fromSql)).toBe(describePlan(fromClosures));
  });

  it('the checker judges SQL queries too: a global count in append mode without a watermark is rejected', () => {
    const views = new TempViews();
    readStream<View>('events').createOrReplaceTempView('events', views);
    expect(() =>
      sql('SELECT page, count(*) AS n FROM events GROUP BY page', views)
        .writeStream.outputMode('append')
        .build(),
    ).toThrow(/APPEND_AGGREGATION_WITHOUT_WATERMARK/);
  });

  it('WHERE, expressions over aggregates and HAVING', async () => {
    const input = new MemoryStream<View>('events');
    const views = catalogWith(input);
    const query = sql(
      `SELECT page, sum(ms) / count(*) AS mean_ms, count(*) AS n
         FROM events
        WHERE user <> 'bot'
        GROUP BY page
       HAVING count(*) > 1`,
      views,
    )
      .writeStream.outputMode('update')
      .build();
    const test = new StreamTest(query, [input]);
    input.addData(
      view('a', 'u1', 1, 10),
      view('a', 'u2', 2, 30),
      view('b', 'u1', 3),
      view('a', 'bot', 4, 1000),
    );
    expect(await test.processAllAvailable()).toEqual([{ page: 'a', mean_ms: 20, n: 2 }]);
  });

  it('FROM (SELECT ...) nests: window of windows through window_time', async () => {
    const input = new MemoryStream<View>('events');
    const views = catalogWith(input, '0 seconds');
    const query = sql(
      `SELECT window(window_time(w), '1 minute') AS window, sum(n) AS total
         FROM (SELECT window(ts, '10 seconds') AS w, count(*) AS n FROM events GROUP BY window(ts, '10 seconds')) counts
        GROUP BY window(window_time(w), '1 minute')`,
      views,
    )
      .writeStream.outputMode('append')
      .build();
    const test = new StreamTest(query, [input]);
    input.addData(view('a', 'u', 1), view('a', 'u', 15), view('a', 'u', 25));
    input.addData(view('a', 'u', 130));
    expect(await test.processAllAvailable()).toEqual([{ window: { start: 0, end: s(60) }, total: 3 }]);
  });

  it('a plain projection with backticks, aliases and UNION ALL', async () => {
    const input = new MemoryStream<View>('events');
    const views = catalogWith(input);
    const query = sql(
      "SELECT upper(`page`) AS p, ts FROM events WHERE ms > 5 UNION ALL SELECT 'x' AS p, ts FROM events WHERE page = 'b'",
      views,
    )
      .writeStream.outputMode('append')
      .build();
    const test = new StreamTest(query, [input]);
    input.addData(view('a', 'u', 1, 10), view('b', 'u', 2, 1));
    const rows = await test.processAllAvailable();
    expect(rows).toHaveLength(2);
    expect(rows).toEqual(
      expect.arrayContaining([
        { p: 'A', ts: s(1) },
        { p: 'x', ts: s(2) },
      ]),
    );
  });

  it('errors name the position: unknown views, syntax, unsupported clauses', () => {
    const views = new TempViews();
    readStream<View>('events').createOrReplaceTempView('events', views);
    const error = (text: string) => {
      try {
        sql(text, views);
      } catch (e) {
        return e as ExpressionError;
      }
      throw new Error('expected an error');
    };
    const unknown = error('SELECT page\nFROM clicks');
    expect(unknown).toBeInstanceOf(ExpressionError);
    expect(unknown.message).toMatch(/Unknown view 'clicks'.*known views: events/s);
    expect(unknown.position).toEqual({ line: 2, column: 6 });
    expect(error('SELECT page FROM events WHERE').position).toEqual({ line: 1, column: 30 });
    expect(error('SELECT page FROM events ORDER BY page LIMIT 2 OFFSET 1').message).toMatch(/no OFFSET/);
    expect(error('SELECT count(DISTINCT user) FROM events').message).toMatch(/approx_count_distinct/);
  });
});
