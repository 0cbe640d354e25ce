import { describe, expect, it } from 'vitest';
import { col, expr, F, type Row, sql, TempViews } from '../../../engine/index.js';
import { JoinSideSpec } from '../../../engine/operators/join/join-sides.js';
import { MemoryStream, StreamTest } from '../../../engine/testkit/index.js';

// Joins on window columns (Spark: `window` is a struct<start, end>; a join on it compares structs
// field by field, and a watermarked window key evicts state by the window's end).

const s = (seconds: number) => seconds * 1000;

function clicksAndViews() {
  const viewsInput = new MemoryStream<{ page: string; t: number }>('views');
  const clicksInput = new MemoryStream<{ page: string; t: number }>('clicks');
  const views = viewsInput
    .toStream()
    .selectExpr('page', 't * 1000 AS viewTime')
    .withWatermark('viewTime', '5 seconds')
    .groupBy(col('page'), F.window('viewTime', '10 seconds'))
    .agg(F.count('*').alias('views'));
  const clicks = clicksInput
    .toStream()
    .selectExpr('page', 't * 1000 AS clickTime')
    .withWatermark('clickTime', '5 seconds')
    .groupBy(col('page'), F.window('clickTime', '10 seconds'))
    .agg(F.count('*').alias('clicks'));
  return { viewsInput, clicksInput, views, clicks };
}

describe('joins on window columns', () => {
  it('two windowed aggregations (append) joined on page and window: one row per closed window', async () => {
    const { viewsInput, clicksInput, views, clicks } = clicksAndViews();
    const joined = views
      .join(clicks, ['page', 'window'])
      .selectExpr('page', 'window.start AS start', 'views', 'clicks');
    const test = new StreamTest(joined.writeStream.outputMode('append').build(), [viewsInput, clicksInput]);
    MemoryStream.addDataTogether(
      [viewsInput, [1, 2, 3, 12].map((t) => ({ page: 'a', t }))],
      [clicksInput, [2, 13].map((t) => ({ page: 'a', t })).concat([{ page: 'b', t: 4 }])],
    );
    // Watermark 13 - 5 = 8 s: no window has closed yet.
    expect(await test.processAllAvailable()).toEqual([]);
    MemoryStream.addDataTogether([viewsInput, [{ page: 'a', t: 26 }]], [clicksInput, [{ page: 'a', t: 27 }]]);
    // Watermark 21 s: window [0, 10) and [10, 20) close on both sides; page b has no views.
    const rows = await test.processAllAvailable();
    expect(rows.map((r) => [r.page, r.start, r.views, r.clicks])).toEqual([
      ['a', s(0), 3, 1],
      ['a', s(10), 1, 1],
    ]);
    // The join evicts by the window key: everything at or below the watermark has left its state.
    const join = test.progress.at(-1)!.stateOperators.find((op) => op.operatorName === 'symmetricHashJoin')!;
    expect(join.numRowsTotal).toBe(0);
    expect(join.numRowsRemoved).toBeGreaterThan(0);
  });

  it('a window equality condition matches structs field by field, in any key order', async () => {
    const leftInput = new MemoryStream<{ k: number; w: { start: number; end: number } }>('l');
    const rightInput = new MemoryStream<{ k: number; w: { end: number; start: number } }>('r');
    const left = leftInput.toStream().selectExpr('k AS lk', 'w AS lw');
    const right = rightInput.toStream().selectExpr('k AS rk', 'w AS rw');
    const test = new StreamTest(left.join(right, expr('lk = rk AND lw = rw')).writeStream.build(), [
      leftInput,
      rightInput,
    ]);
    leftInput.addData({ k: 1, w: { start: 0, end: 10 } }, { k: 2, w: { start: 10, end: 20 } });
    rightInput.addData({ k: 1, w: { end: 10, start: 0 } }, { k: 2, w: { end: 30, start: 20 } });
    const rows: Row[] = await test.processAllAvailable();
    expect(rows.map((r) => [r.lk, r.rk])).toEqual([[1, 1]]);
  });

  it('encodes struct key values with sorted fields, so equal windows share one state key', () => {
    const spec = new JoinSideSpec('left', false, {
      side: 'left',
      keys: [{ kind: 'column', name: 'w' }],
    });
    expect(spec.keyOf({ w: { start: 0, end: 10 } })).toBe(spec.keyOf({ w: { end: 10, start: 0 } }));
    expect(spec.keyOf({ w: { start: 0, end: 10 } })).not.toBe(spec.keyOf({ w: { start: 0, end: 11 } }));
    expect(spec.keyOf({ w: 1 })).not.toBe(spec.keyOf({ w: '1' }));
  });

  it('SQL: a join of two windowed aggregations on window, through registered views', async () => {
    const { viewsInput, clicksInput, views, clicks } = clicksAndViews();
    const catalog = new TempViews();
    views.createOrReplaceTempView('v', catalog);
    clicks.createOrReplaceTempView('c', catalog);
    const joined = sql(
      'SELECT v.page, v.window.start AS start, views, clicks FROM v JOIN c ON v.page = c.page AND v.window = c.window',
      catalog,
    );
    const test = new StreamTest(joined.writeStream.outputMode('append').build(), [viewsInput, clicksInput]);
    MemoryStream.addDataTogether([viewsInput, [{ page: 'a', t: 1 }]], [clicksInput, [{ page: 'a', t: 2 }]]);
    expect(await test.processAllAvailable()).toEqual([]);
    MemoryStream.addDataTogether([viewsInput, [{ page: 'a', t: 30 }]], [clicksInput, [{ page: 'a', t: 30 }]]);
    const rows = await test.processAllAvailable();
    expect(rows.map((r) => [r.page, r.start, r.views, r.clicks])).toEqual([['a', 0, 1, 1]]);
  });
});
