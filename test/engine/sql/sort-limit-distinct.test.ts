import { describe, expect, it } from 'vitest';
import {
  col,
  ExpressionError,
  F,
  InvalidQueryError,
  readStream,
  sql,
  TempViews,
} from '../../../engine/index.js';
import { MemoryStream, StreamTest } from '../../../engine/testkit/index.js';

// orderBy / limit in complete mode (Spark: sort only on the complete result of an aggregation;
// limit in complete mode takes the first n rows of it) and SELECT DISTINCT as an aggregation.

interface View {
  page: string;
  user: string | null;
  ts: number;
}

const s = (n: number) => n * 1000;

function topPages(input: MemoryStream<View>) {
  return input
    .toStream()
    .groupBy(col('page'))
    .agg(F.count('*').alias('views'))
    .orderBy(col('views').desc(), 'page')
    .limit(2);
}

describe('orderBy / limit after an aggregation in complete mode', () => {
  it('each batch writes the top n of the whole result table, re-ranked as counts change', async () => {
    const input = new MemoryStream<View>('events');
    const test = new StreamTest(topPages(input).writeStream.outputMode('complete').build(), [input]);
    const add = (...pages: string[]) => input.addData(...pages.map((page) => ({ page, user: 'u', ts: 0 })));
    add('a', 'b', 'b', 'c', 'c', 'c');
    expect(await test.processAllAvailable()).toEqual([
      { page: 'c', views: 3 },
      { page: 'b', views: 2 },
    ]);
    add('a', 'a', 'a');
    // a has 4 now; b and c keep their counts from earlier batches (complete mode: the whole table).
    expect(await test.processAllAvailable()).toEqual([
      { page: 'a', views: 4 },
      { page: 'c', views: 3 },
    ]);
    add('b', 'b');
    // b and a tie at 4: the second key (page, ascending) breaks the tie.
    expect(await test.processAllAvailable()).toEqual([
      { page: 'a', views: 4 },
      { page: 'b', views: 4 },
    ]);
  });

  it('NULLs sort first ascending and last descending (Spark defaults), or as asked', async () => {
    const input = new MemoryStream<View>('events');
    const grouped = input.toStream().groupBy(col('user')).agg(F.count('*').alias('n'));
    const ascending = new StreamTest(grouped.orderBy('user').writeStream.outputMode('complete').build(), [
      input,
    ]);
    const descending = new StreamTest(
      grouped.orderBy(F.desc('user')).writeStream.outputMode('complete').build(),
      [input],
    );
    const nullsLast = new StreamTest(
      grouped.orderBy(col('user').asc_nulls_last()).writeStream.outputMode('complete').build(),
      [input],
    );
    input.addData(
      { page: 'p', user: 'b', ts: 0 },
      { page: 'p', user: null, ts: 0 },
      { page: 'p', user: 'a', ts: 0 },
    );
    const users = async (t: StreamTest) => (await t.processAllAvailable()).map((r) => r.user ?? null);
    expect(await users(ascending)).toEqual([null, 'a', 'b']);
    expect(await users(descending)).toEqual(['b', 'a', null]);
    expect(await users(nullsLast)).toEqual(['a', 'b', null]);
  });

  it('SQL ORDER BY / LIMIT plans the same as the DataFrame API', () => {
    const views = new TempViews();
    const events = readStream<View>('events');
    events.createOrReplaceTempView('events', views);
    const fromSql = sql(
      'SELECT page, count(*) AS views FROM events GROUP BY page ORDER BY views DESC, page LIMIT 2',
      views,
    );
    const fromApi = events
      .groupBy(col('page'))
      .agg(F.count('*').alias('views'))
      .orderBy(col('views').desc(), 'page')
      .limit(2);
    expect(JSON.stringify(fromSql.plan)).toBe(JSON.stringify(fromApi.plan));
  });

  it('SQL ORDER BY runs in complete mode and the checker rejects it in append mode', async () => {
    const input = new MemoryStream<View>('events');
    const views = new TempViews();
    input.toStream().createOrReplaceTempView('events', views);
    const query = sql(
      'SELECT page, count(*) AS n FROM events GROUP BY page ORDER BY n DESC NULLS LAST LIMIT 1',
      views,
    );
    const test = new StreamTest(query.writeStream.outputMode('complete').build(), [input]);
    input.addData(
      { page: 'x', user: 'u', ts: 0 },
      { page: 'y', user: 'u', ts: 0 },
      { page: 'y', user: 'u', ts: 0 },
    );
    expect(await test.processAllAvailable()).toEqual([{ page: 'y', n: 2 }]);

    const unsorted = sql('SELECT page, user FROM events ORDER BY page', views);
    expect(() => unsorted.writeStream.outputMode('append').build()).toThrow(InvalidQueryError);
    expect(() => unsorted.writeStream.outputMode('append').build()).toThrow(
      /SORT_NOT_ON_COMPLETE_AGGREGATION/,
    );
  });

  it('SQL rejects ORDER BY an aggregate or a position, and LIMIT with OFFSET, pointing at the clause', () => {
    const views = new TempViews();
    readStream<View>('events').createOrReplaceTempView('events', views);
    expect(() =>
      sql('SELECT page, count(*) AS n FROM events GROUP BY page ORDER BY count(*)', views),
    ).toThrow(/name it in the select list/);
    expect(() => sql('SELECT page, count(*) AS n FROM events GROUP BY page ORDER BY 2', views)).toThrow(
      ExpressionError,
    );
    expect(() => sql('SELECT page, count(*) AS n FROM events GROUP BY page LIMIT 2 OFFSET 1', views)).toThrow(
      /no OFFSET/,
    );
  });
});

describe('SELECT DISTINCT (Spark: an aggregation over every output column)', () => {
  it('update mode: each distinct row once, when it first appears', async () => {
    const input = new MemoryStream<View>('events');
    const views = new TempViews();
    input.toStream().createOrReplaceTempView('events', views);
    const query = sql('SELECT DISTINCT page, user FROM events', views);
    const test = new StreamTest(query.writeStream.outputMode('update').build(), [input]);
    input.addData(
      { page: 'a', user: 'u1', ts: 0 },
      { page: 'a', user: 'u1', ts: 1 },
      { page: 'b', user: 'u1', ts: 2 },
    );
    expect(await test.processAllAvailable()).toEqual([
      { page: 'a', user: 'u1' },
      { page: 'b', user: 'u1' },
    ]);
    input.addData({ page: 'a', user: 'u2', ts: 3 });
    expect(await test.processAllAvailable()).toEqual([{ page: 'a', user: 'u2' }]);
  });

  it('append mode needs a watermarked column among the distinct columns, as an aggregation does', async () => {
    const input = new MemoryStream<View>('events');
    const views = new TempViews();
    input.toStream().withWatermark('ts', '10 seconds').createOrReplaceTempView('events', views);
    expect(() =>
      sql('SELECT DISTINCT page FROM events', views).writeStream.outputMode('append').build(),
    ).toThrow(/APPEND_AGGREGATION_WITHOUT_WATERMARK/);
    const query = sql('SELECT DISTINCT page, ts FROM events', views).writeStream.outputMode('append').build();
    const test = new StreamTest(query, [input]);
    input.addData(
      { page: 'a', user: 'u', ts: s(1) },
      { page: 'a', user: 'v', ts: s(1) },
      { page: 'a', user: 'u', ts: s(2) },
    );
    expect(await test.processAllAvailable()).toEqual([]);
    input.addData({ page: 'b', user: 'u', ts: s(30) });
    expect(await test.processAllAvailable()).toEqual([
      { page: 'a', ts: s(1) },
      { page: 'a', ts: s(2) },
    ]);
  });

  it('rejects DISTINCT with GROUP BY (a second aggregation)', () => {
    const views = new TempViews();
    readStream<View>('events').createOrReplaceTempView('events', views);
    expect(() => sql('SELECT DISTINCT page, count(*) FROM events GROUP BY page', views)).toThrow(
      /drop DISTINCT/,
    );
  });
});
