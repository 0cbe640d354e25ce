import { describe, expect, it } from 'vitest';
import { col, expr, F, type Row, sql, TempViews } from '../../../engine/index.js';
import { MemoryStream, StreamTest } from '../../../engine/testkit/index.js';

// Spark's StreamingJoinSuite vectors with general join conditions, through column expressions and
// SQL. Expected values follow Spark's rules (StreamingSymmetricHashJoinHelper): a state value
// watermark `W + c` (one millisecond less for `<=` / `>=`), state removed when its time ≤ it.

const s = (seconds: number) => seconds * 1000;
const stateOf = (test: StreamTest) => test.progress.at(-1)!.stateOperators[0]!;

/** Spark's `setupStream(prefix, multiplier)`: key, `${prefix}Time` (s), `${prefix}Value`, watermark 10 s. */
function setupStream(prefix: string, multiplier: number) {
  const input = new MemoryStream<{ value: number }>(prefix);
  const df = input
    .toStream()
    .selectExpr('value AS key', `value * 1000 AS ${prefix}Time`, `value * ${multiplier} AS ${prefix}Value`)
    .withWatermark(`${prefix}Time`, '10 seconds');
  return { input, df };
}

/** `leftKey`/`rightKey` streams with different delays (Spark's two-side conditions vector). */
function twoSided() {
  const leftInput = new MemoryStream<{ key: number; time: number }>('left');
  const rightInput = new MemoryStream<{ key: number; time: number }>('right');
  const left = leftInput
    .toStream()
    .selectExpr('key AS leftKey', 'time * 1000 AS leftTime', 'key * 2 AS leftValue')
    .withWatermark('leftTime', '20 seconds');
  const right = rightInput
    .toStream()
    .selectExpr('key AS rightKey', 'time * 1000 AS rightTime', 'key * 3 AS rightValue')
    .withWatermark('rightTime', '30 seconds');
  const add = (input: MemoryStream<{ key: number; time: number }>, ...times: number[]) =>
    input.addData(...times.map((time) => ({ key: 1, time })));
  return { leftInput, rightInput, left, right, add };
}

const times = (rows: readonly Row[]) =>
  rows.map((r) => [r.leftKey, (r.leftTime as number) / 1000, (r.rightTime as number) / 1000]);

describe('stream-stream joins with general conditions (Spark StreamingInnerJoinSuite)', () => {
  it('differently named keys and BETWEEN with interval bounds: the two-side conditions vector', async () => {
    const { leftInput, rightInput, left, right, add } = twoSided();
    // leftTime BETWEEN rightTime - 10 s AND rightTime + 5 s: rightTime ∈ [leftTime - 5 s, leftTime + 10 s].
    const condition = expr(
      'leftKey = rightKey AND leftTime BETWEEN rightTime - INTERVAL 10 SECONDS AND rightTime + INTERVAL 5 SECONDS',
    );
    const test = new StreamTest(left.join(right, condition).writeStream.build(), [leftInput, rightInput]);

    add(leftInput, 20);
    expect(await test.processAllAvailable()).toEqual([]);
    add(rightInput, 14, 15, 25, 26, 30, 31);
    expect(times(await test.processAllAvailable())).toEqual([
      [1, 20, 15],
      [1, 20, 25],
      [1, 20, 26],
      [1, 20, 30],
    ]);
    expect(stateOf(test)).toMatchObject({ numRowsTotal: 7, numRowsUpdated: 6 });
    add(rightInput, 60);
    expect(await test.processAllAvailable()).toEqual([]);
    add(leftInput, 49, 50, 65, 66);
    expect(times(await test.processAllAvailable())).toEqual([
      [1, 50, 60],
      [1, 65, 60],
    ]);
    // Watermark = min(66 - 20, 60 - 30) = 30 s. Left state watermark: leftTime >= rightTime - 10 s
    // gives 30 - 10 s - 1 ms (nothing goes); right: rightTime >= leftTime - 5 s gives 25 s - 1 ms:
    // 14 and 15 go (the no-data batch after the watermark moved).
    expect(stateOf(test)).toMatchObject({ numRowsTotal: 10, numRowsRemoved: 2 });

    add(leftInput, 10, 11); // late (≤ 30 s)
    expect(await test.processAllAvailable()).toEqual([]);
    expect(stateOf(test)).toMatchObject({
      numRowsTotal: 10,
      numRowsUpdated: 0,
      numRowsDroppedByWatermark: 2,
    });
  });

  it('strict bounds exclude the boundary and evict without the inclusive millisecond', async () => {
    const { leftInput, rightInput, left, right, add } = twoSided();
    const condition = expr(
      'leftKey = rightKey AND rightTime > leftTime AND rightTime < leftTime + INTERVAL 10 SECONDS',
    );
    const test = new StreamTest(left.join(right, condition).writeStream.build(), [leftInput, rightInput]);
    add(leftInput, 20);
    add(rightInput, 20, 21, 29, 30);
    expect(times(await test.processAllAvailable())).toEqual([
      [1, 20, 21],
      [1, 20, 29],
    ]);
    // Move the watermark to exactly 30 s: min(70 - 20, 60 - 30).
    add(leftInput, 70);
    add(rightInput, 60);
    await test.processAllAvailable();
    // Left rows go when leftTime ≤ W - 10 s (from rightTime < leftTime + 10 s, strict): 20 goes.
    // Right rows go when rightTime ≤ W (from rightTime > leftTime, strict): 20, 21, 29, 30 go.
    const left1 = await bufferedTimes(test);
    expect(left1).toEqual({ left: [70], right: [60] });
  });

  it('predicates on either side and on both: failing rows are never buffered', async () => {
    const { leftInput, rightInput, left, right, add } = twoSided();
    MemoryStream.addDataTogether(
      [
        leftInput,
        [
          { key: 1, time: 1 },
          { key: 6, time: 1 },
        ],
      ],
      [
        rightInput,
        [
          { key: 1, time: 2 },
          { key: 6, time: 2 },
          { key: 4, time: 2 },
        ],
      ],
    );
    const condition = expr(
      'leftKey = rightKey AND leftValue > 5 AND rightValue < 15 AND leftValue + rightValue < 100',
    );
    const test = new StreamTest(left.join(right, condition, 'inner').writeStream.build(), [
      leftInput,
      rightInput,
    ]);
    // left 1 (value 2) fails leftValue > 5; right 6 (value 18) fails rightValue < 15.
    expect(await test.processAllAvailable()).toEqual([]);
    expect(stateOf(test)).toMatchObject({ numRowsTotal: 3, numRowsUpdated: 3 });
    add(leftInput, 3); // leftKey 1 again: fails its own predicate
    rightInput.addData({ key: 6, time: 4 });
    expect(await test.processAllAvailable()).toEqual([]);
    leftInput.addData({ key: 4, time: 5 }); // value 8 > 5, right 4: value 12 < 15, 8 + 12 < 100
    expect(await test.processAllAvailable()).toEqual([
      { leftKey: 4, leftTime: s(5), leftValue: 8, rightKey: 4, rightTime: s(2), rightValue: 12 },
    ]);
  });
});

/** The times buffered by each side, by the join's state snapshot. */
async function bufferedTimes(test: StreamTest): Promise<{ left: number[]; right: number[] }> {
  const out = { left: [] as number[], right: [] as number[] };
  for (const [namespace, entries] of Object.entries(test.stateSnapshot())) {
    if (!namespace.includes('#join-')) continue;
    for (const [key, entry] of Object.entries(entries)) {
      for (const { row } of (entry.value as { rows: { row: Row }[] }).rows) {
        if (key.startsWith('L')) out.left.push((row.leftTime as number) / 1000);
        else out.right.push((row.rightTime as number) / 1000);
      }
    }
  }
  out.left.sort((a, b) => a - b);
  out.right.sort((a, b) => a - b);
  return out;
}

describe('outer, semi and windowed joins with conditions (Spark StreamingOuterJoinSuite)', () => {
  it('left outer early state exclusion on left: qualified columns, window equality, a left-only predicate', async () => {
    const { input: leftInput, df: df1 } = setupStream('left', 2);
    const { input: rightInput, df: df2 } = setupStream('right', 3);
    const left = df1.select(col('key'), F.window('leftTime', '10 seconds'), col('leftValue'));
    const right = df2.select(
      col('key'),
      F.window('rightTime', '10 seconds'),
      col('rightValue').cast('string'),
    );
    const joined = left
      .join(
        right,
        left
          .col('key')
          .equalTo(right.col('key'))
          .and(left.col('window').equalTo(right.col('window')))
          .and(col('leftValue').gt(4)),
        'left_outer',
      )
      .selectExpr('key', 'window.end AS end', 'leftValue', 'rightValue');
    const test = new StreamTest(joined.writeStream.build(), [leftInput, rightInput]);
    const answer = async () =>
      (await test.processAllAvailable()).map((r) => [
        r.key,
        (r.end as number) / 1000,
        r.leftValue,
        r.rightValue,
      ]);

    MemoryStream.addDataTogether(
      [leftInput, [1, 2, 3].map((value) => ({ value }))],
      [rightInput, [3, 4, 5].map((value) => ({ value }))],
    );
    // Left rows with leftValue <= 4 are output null-padded at once and never buffered.
    expect(await answer()).toEqual([
      [1, 10, 2, null],
      [2, 10, 4, null],
      [3, 10, 6, '9'],
    ]);
    expect(stateOf(test)).toMatchObject({ numRowsTotal: 4, numRowsUpdated: 4 });
    // No more outer rows when the watermark advances.
    MemoryStream.addDataTogether([leftInput, [{ value: 20 }]], [rightInput, [{ value: 21 }]]);
    expect(await answer()).toEqual([]);
    rightInput.addData({ value: 20 });
    expect(await answer()).toEqual([[20, 30, 40, '60']]);
  });

  it('SQL: the same query over views, with LEFT OUTER JOIN ... ON, gives the same plan and answer', async () => {
    const { input: leftInput, df: df1 } = setupStream('left', 2);
    const { input: rightInput, df: df2 } = setupStream('right', 3);
    const views = new TempViews();
    df1.createOrReplaceTempView('l', views);
    df2.createOrReplaceTempView('r', views);
    const fromSql = sql(
      `SELECT a.key, a.w.end AS end, a.leftValue, b.rightValue
         FROM (SELECT key, window(leftTime, '10 seconds') AS w, leftValue FROM l) a
         LEFT OUTER JOIN (SELECT key, window(rightTime, '10 seconds') AS w, CAST(rightValue AS string) AS rightValue FROM r) b
           ON a.key = b.key AND a.w = b.w AND a.leftValue > 4`,
      views,
    );
    const test = new StreamTest(fromSql.writeStream.build(), [leftInput, rightInput]);
    MemoryStream.addDataTogether(
      [leftInput, [1, 2, 3].map((value) => ({ value }))],
      [rightInput, [3, 4, 5].map((value) => ({ value }))],
    );
    expect(
      (await test.processAllAvailable()).map((r) => [
        r.key,
        (r.end as number) / 1000,
        r.leftValue,
        r.rightValue ?? null,
      ]),
    ).toEqual([
      [1, 10, 2, null],
      [2, 10, 4, null],
      [3, 10, 6, '9'],
    ]);
  });

  it('full outer join on windows: both sides output their unmatched rows when the window closes', async () => {
    const { input: leftInput, df: df1 } = setupStream('left', 2);
    const { input: rightInput, df: df2 } = setupStream('right', 3);
    const left = df1.select(col('key'), F.window('leftTime', '10 seconds'), col('leftValue'));
    const right = df2.select(col('key'), F.window('rightTime', '10 seconds'), col('rightValue'));
    const joined = left
      .join(right, ['key', 'window'], 'full_outer')
      .selectExpr('key', 'leftValue', 'rightValue');
    const test = new StreamTest(joined.writeStream.build(), [leftInput, rightInput]);
    const answer = async () =>
      (await test.processAllAvailable())
        .map((r) => [r.key, r.leftValue ?? null, r.rightValue ?? null])
        .sort((a, b) => (a[0] as number) - (b[0] as number));
    MemoryStream.addDataTogether(
      [leftInput, [1, 2, 3, 4, 5].map((value) => ({ value }))],
      [rightInput, [3, 4, 5, 6, 7].map((value) => ({ value }))],
    );
    expect(await answer()).toEqual([
      [3, 6, 9],
      [4, 8, 12],
      [5, 10, 15],
    ]);
    expect(stateOf(test)).toMatchObject({ numRowsTotal: 10, numRowsUpdated: 10 });
    MemoryStream.addDataTogether([leftInput, [{ value: 21 }]], [rightInput, [{ value: 22 }]]);
    // Watermark 11 s: window [0, 10) closes on both sides.
    expect(await answer()).toEqual([
      [1, 2, null],
      [2, 4, null],
      [6, null, 18],
      [7, null, 21],
    ]);
    expect(stateOf(test)).toMatchObject({ numRowsTotal: 2 });
  });

  it('left semi join: each left row once, on its first match; never a right column', async () => {
    const { input: leftInput, df: df1 } = setupStream('left', 2);
    const { input: rightInput, df: df2 } = setupStream('right', 3);
    const left = df1.select(col('key'), F.window('leftTime', '10 seconds'), col('leftValue'));
    const right = df2.select(col('key'), F.window('rightTime', '10 seconds'), col('rightValue'));
    const test = new StreamTest(left.join(right, ['key', 'window'], 'left_semi').writeStream.build(), [
      leftInput,
      rightInput,
    ]);
    const keys = async () =>
      (await test.processAllAvailable()).map((r) => [r.key, r.leftValue, r.rightValue]);
    MemoryStream.addDataTogether(
      [leftInput, [1, 2, 3, 4, 5].map((value) => ({ value }))],
      [rightInput, [3, 4, 5, 6, 7].map((value) => ({ value }))],
    );
    expect(await keys()).toEqual([
      [3, 6, undefined],
      [4, 8, undefined],
      [5, 10, undefined],
    ]);
    rightInput.addData({ value: 3 }, { value: 1 }); // 3 already output; 1 matches for the first time
    expect(await keys()).toEqual([[1, 2, undefined]]);
    leftInput.addData({ value: 3 }); // a new left 3 matches the buffered rights: output at once, not buffered
    expect(await keys()).toEqual([[3, 6, undefined]]);
  });
});
