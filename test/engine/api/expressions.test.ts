import { describe, expect, it } from 'vitest';
import {
  col,
  count,
  type DataStreamWriter,
  describePlan,
  ExpressionError,
  expr,
  F,
  InvalidQueryError,
  readStream,
  sum,
  window,
} from '../../../engine/index.js';
import { MemoryStream, StreamTest } from '../../../engine/testkit/index.js';

interface Sale {
  page: string;
  price: number;
  qty: number | null;
  ts: number;
}

const s = (n: number) => n * 1000;
const sale = (page: string, price: number, qty: number | null, t: number): Sale => ({
  page,
  price,
  qty,
  ts: s(t),
});

function run(build: (input: MemoryStream<Sale>) => DataStreamWriter<any>) {
  const input = new MemoryStream<Sale>('sales');
  const query = build(input).build();
  return { input, test: new StreamTest(query, [input]) };
}

describe('column expressions in the DataFrame API', () => {
  it('selectExpr, withColumn and where compute per row with SQL semantics', async () => {
    const { input, test } = run((i) =>
      i
        .toStream()
        .where("page <> 'admin' AND qty IS NOT NULL")
        .withColumn('revenue', col('price').multiply(col('qty')))
        .selectExpr(
          'upper(page) AS page',
          'revenue',
          "CASE WHEN revenue >= 10 THEN 'big' ELSE 'small' END AS size",
        )
        .writeStream.outputMode('append'),
    );
    input.addData(
      sale('home', 2, 3, 1),
      sale('admin', 9, 9, 2),
      sale('cart', 5, null, 3),
      sale('cart', 5, 2, 4),
    );
    expect(await test.processAllAvailable()).toEqual([
      { page: 'HOME', revenue: 6, size: 'small' },
      { page: 'CART', revenue: 10, size: 'big' },
    ]);
  });

  it('groupBy(F.window(...)).agg(columns) aggregates expressions; output names follow Spark', async () => {
    const { input, test } = run((i) =>
      i
        .toStream()
        .withWatermark('ts', '10 seconds')
        .groupBy(F.window('ts', '10 seconds'), col('page'))
        .agg(F.count('*').alias('n'), F.sum(col('price').multiply(col('qty'))), expr('max(price) AS top'))
        .writeStream.outputMode('append'),
    );
    input.addData(sale('a', 2, 3, 1), sale('a', 4, 1, 5), sale('b', 1, null, 7));
    expect(await test.processAllAvailable()).toEqual([]);
    input.addData(sale('a', 1, 1, 30)); // watermark 20 s closes [0, 10)
    expect(await test.processAllAvailable()).toEqual([
      { window: { start: 0, end: s(10) }, page: 'a', n: 2, 'sum((price * qty))': 10, top: 4 },
      { window: { start: 0, end: s(10) }, page: 'b', n: 1, 'sum((price * qty))': null, top: 1 },
    ]);
  });

  it('the expression API and the closure API build the same aggregation and the same fingerprint', () => {
    const closure = readStream<Sale>('sales')
      .withWatermark('ts', '10 seconds')
      .groupBy(window('ts', '10 seconds'), 'page')
      .agg({ n: count(), total: sum('price') })
      .writeStream.queryName('q')
      .build();
    const columns = readStream<Sale>('sales')
      .withWatermark('ts', '10 seconds')
      .groupBy(F.window('ts', '10 seconds'), col('page'))
      .agg(F.count('*').alias('n'), F.sum('price').alias('total'))
      .writeStream.queryName('q')
      .build();
    const text = readStream<Sale>('sales')
      .withWatermark('ts', '10 seconds')
      .groupBy(expr("window(ts, '10 seconds')"), expr('page'))
      .agg(expr('count(*) AS n'), expr('sum(price) AS total'))
      .writeStream.queryName('q')
      .build();
    expect(JSON.stringify(columns.plan)).toBe(JSON.stringify(text.plan));
    expect(describePlan(columns)).toBe(describePlan(closure));
    expect(describePlan(text)).toBe(describePlan(closure));
  });

  it('a renamed event-time column keeps its watermark (append mode accepts the aggregation)', async () => {
    const { input, test } = run((i) =>
      i
        .toStream()
        .withWatermark('ts', '0 seconds')
        .withColumnRenamed('ts', 'eventTime')
        .groupBy(F.window('eventTime', '10 seconds'))
        .agg(F.count('*').alias('n'))
        .writeStream.outputMode('append'),
    );
    input.addData(sale('a', 1, 1, 1), sale('a', 1, 1, 2));
    input.addData(sale('a', 1, 1, 15));
    expect(await test.processAllAvailable()).toEqual([{ window: { start: 0, end: s(10) }, n: 2 }]);
  });

  it('a derived time column has no watermark, as in Spark: append mode is rejected, not silent', () => {
    const build = () =>
      readStream<Sale>('sales')
        .withWatermark('ts', '10 seconds')
        .withColumn('shifted', expr('ts + INTERVAL 1 MINUTE'))
        .groupBy(F.window('shifted', '1 minute'))
        .agg(F.count('*').alias('n'))
        .writeStream.outputMode('append')
        .build();
    expect(build).toThrow(InvalidQueryError);
    expect(build).toThrow(/APPEND_AGGREGATION_WITHOUT_WATERMARK/);
  });

  it('window columns are ordinary values: select them, group by them, window again by window_time', async () => {
    const { input, test } = run((i) =>
      i
        .toStream()
        .withWatermark('ts', '0 seconds')
        .select(F.window('ts', '10 seconds').alias('w'), col('page'))
        .groupBy('w', 'page')
        .agg(F.count('*').alias('n'))
        .select(col('w'), F.window_time('w').alias('t'), col('n'))
        .groupBy(F.window('t', '1 minute'))
        .agg(F.sum('n').alias('total'))
        .writeStream.outputMode('append'),
    );
    input.addData(sale('a', 1, 1, 1), sale('b', 1, 1, 12), sale('a', 1, 1, 15));
    input.addData(sale('a', 1, 1, 125)); // closes the first minute
    expect(await test.processAllAvailable()).toEqual([{ window: { start: 0, end: s(60) }, total: 3 }]);
  });

  it('count(DISTINCT ...) is rejected as in Spark, pointing at approx_count_distinct', () => {
    const build = () =>
      readStream<Sale>('sales')
        .groupBy('page')
        .agg(expr('count(DISTINCT price)'))
        .writeStream.outputMode('update')
        .build();
    expect(build).toThrow(/DISTINCT_AGGREGATION_ON_STREAM.*approx_count_distinct/);
  });

  it('a column that is neither grouped nor aggregated is an error naming it', () => {
    expect(() => readStream<Sale>('sales').groupBy('page').agg(expr('sum(price) + qty'))).toThrow(/'qty'/);
  });

  it('syntax errors name the line and column in the user text', () => {
    try {
      expr('price * * 2');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ExpressionError);
      expect((error as ExpressionError).position).toEqual({ line: 1, column: 9 });
      expect((error as Error).message).toContain('price * * 2\n          ^');
    }
    expect(() => expr('upperr(page)')).toThrow(/Unknown function 'upperr'.*column 1/s);
    expect(() => expr('substring(page)')).toThrow(/substring takes 2 or more/);
  });

  it('select of aggregates alone is a global aggregation (complete mode)', async () => {
    const { input, test } = run((i) =>
      i
        .toStream()
        .select(F.count('*').alias('n'), F.max('price').alias('top'))
        .writeStream.outputMode('complete'),
    );
    input.addData(sale('a', 3, 1, 1), sale('b', 7, 1, 2));
    expect(await test.processAllAvailable()).toEqual([{ n: 2, top: 7 }]);
  });
});
