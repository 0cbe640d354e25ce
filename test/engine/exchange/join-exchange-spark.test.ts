/**
 * Vectors of Spark's StreamingJoinSuite (as ported in test/engine/operators/stream-join.test.ts),
 * run through the exchange: the sources declare a partition key the join does not use, so each
 * side is its own stage 1 on two source partitions and stage 2 joins on two exchange partitions.
 * The answers are Spark's, step by step.
 */
import { describe, expect, it } from 'vitest';
import { planStages, type Row } from '../../../engine/index.js';
import { MemoryStream, StreamTest } from '../../../engine/testkit/index.js';

const s = (seconds: number) => seconds * 1000;
const PARTITIONS = ['p0', 'p1'];

interface Keyed {
  key: number;
  time: number;
  /** The producers' partition key: not a join key, so the join needs an exchange. */
  id: string;
}

let nextId = 0;
/** Adds each row to the partition its id hashes to (rows of one step may land on both). */
function add(input: MemoryStream<Keyed>, ...pairs: [number, number][]) {
  const rows = pairs.map(([key, time]) => ({ key, time, id: `r${nextId++}` }));
  for (const partition of PARTITIONS) {
    const mine = rows.filter((row) => PARTITIONS[Number(row.id.slice(1)) % 2] === partition);
    if (mine.length > 0) input.addDataTo(partition, ...mine);
  }
}

/** `[key, leftTime s, rightTime s]`, `null` for the side an outer row lacks, sorted. */
const triples = (rows: readonly Row[]) =>
  rows
    .map((row) => [
      row.key,
      row.leftTime === undefined ? null : (row.leftTime as number) / 1000,
      row.rightTime === undefined ? null : (row.rightTime as number) / 1000,
    ])
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

const dropped = (test: StreamTest, from: number) =>
  test.progress
    .slice(from)
    .filter((p) => p.name === 'joined')
    .reduce((n, p) => n + (p.stateOperators[0]?.numRowsDroppedByWatermark ?? 0), 0);

function sides(leftDelay: string, rightDelay: string) {
  const leftInput = new MemoryStream<Keyed>('left');
  const rightInput = new MemoryStream<Keyed>('right');
  const left = leftInput
    .toStream({ partitionKey: 'id' })
    .map((r) => ({ key: r.key, leftTime: s(r.time) }))
    .withWatermark('leftTime', leftDelay);
  const right = rightInput
    .toStream({ partitionKey: 'id' })
    .map((r) => ({ key: r.key, rightTime: s(r.time) }))
    .withWatermark('rightTime', rightDelay);
  return { leftInput, rightInput, left, right };
}

describe("Spark's StreamingJoinSuite through the exchange", () => {
  it('inner join bounded by a two-sided time range with different watermarks', async () => {
    const { leftInput, rightInput, left, right } = sides('20 seconds', '30 seconds');
    const timeRange = { leftColumn: 'leftTime', rightColumn: 'rightTime', min: -s(5), max: s(10) };
    const query = left
      .join(right, { on: ['key'], timeRange })
      .writeStream.queryName('joined')
      .build();
    expect(planStages(query).stages).toHaveLength(3);
    const test = new StreamTest(query, [leftInput, rightInput], {
      partitions: PARTITIONS,
      exchangePartitions: 2,
    });

    add(leftInput, [1, 20]);
    expect(await test.processAllAvailable()).toEqual([]);
    add(rightInput, [1, 14], [1, 15], [1, 25], [1, 26], [1, 30], [1, 31]);
    expect(triples(await test.processAllAvailable())).toEqual([
      [1, 20, 15],
      [1, 20, 25],
      [1, 20, 26],
      [1, 20, 30],
    ]);
    add(rightInput, [1, 60]);
    expect(await test.processAllAvailable()).toEqual([]);
    add(leftInput, [1, 49], [1, 50], [1, 65], [1, 66]);
    expect(triples(await test.processAllAvailable())).toEqual([
      [1, 50, 60],
      [1, 65, 60],
    ]);
    // Watermark = min(66 - 20, 60 - 30) = 30 s: left 30 is late, 31 joins.
    let from = test.progress.length;
    add(leftInput, [1, 30], [1, 31]);
    expect(triples(await test.processAllAvailable())).toEqual([
      [1, 31, 26],
      [1, 31, 30],
      [1, 31, 31],
    ]);
    expect(dropped(test, from)).toBe(1);
    add(rightInput, [1, 80]); // watermark = min(46, 50) = 46
    expect(await test.processAllAvailable()).toEqual([]);
    from = test.progress.length;
    add(rightInput, [1, 46], [1, 50]); // 46 is late
    expect(triples(await test.processAllAvailable())).toEqual([
      [1, 49, 50],
      [1, 50, 50],
    ]);
    expect(dropped(test, from)).toBe(1);
  });

  it.each([
    ['left_outer', [3, 5, null]],
    ['right_outer', [2, null, 5]],
  ] as const)(
    '%s with a range condition emits the null row only when the watermark passes',
    async (how, outer) => {
      const { leftInput, rightInput, left, right } = sides('10 seconds', '10 seconds');
      const query = left
        .join(right, {
          on: ['key'],
          how,
          timeRange: {
            leftColumn: 'leftTime',
            rightColumn: 'rightTime',
            min: '-5 seconds',
            max: '5 seconds',
          },
        })
        .writeStream.queryName('joined')
        .build();
      const test = new StreamTest(query, [leftInput, rightInput], {
        partitions: PARTITIONS,
        exchangePartitions: 2,
      });
      add(leftInput, [1, 5], [3, 5]);
      expect(await test.processAllAvailable()).toEqual([]);
      add(rightInput, [1, 10], [2, 5]);
      expect(triples(await test.processAllAvailable())).toEqual([[1, 5, 10]]);
      add(rightInput, [1, 11]);
      expect(await test.processAllAvailable()).toEqual([]);
      add(leftInput, [1, 7], [1, 30]);
      expect(triples(await test.processAllAvailable())).toEqual([
        [1, 7, 10],
        [1, 7, 11],
      ]);
      add(rightInput, [0, 30]); // watermark 20 s: everything ≤ 15 s expires
      expect(triples(await test.processAllAvailable())).toEqual([outer]);
    },
  );

  it.each([
    ['left_outer', 'left'],
    ['right_outer', 'right'],
  ] as const)(
    'self %s join of one stream (two stage 1s on it) never returns a null row for a row that matched (SPARK-26187)',
    async (how, outerSide) => {
      const input = new MemoryStream<{ id: number; time: number }>('events');
      const events = input.toStream({ partitionKey: 'time' }).map((r) => ({ id: r.id, time: s(r.time) }));
      const side = (column: string, evensOnly: boolean) =>
        events
          .filter((r) => !evensOnly || r.id % 2 === 0)
          .map((r) => ({ id: r.id, [column]: r.time }))
          .withWatermark(column, '5 seconds');
      const [min, max] = outerSide === 'left' ? [0, s(5)] : [-s(5), 0];
      const timeRange = { leftColumn: 'leftTime', rightColumn: 'rightTime', min, max };
      const query = side('leftTime', outerSide === 'right')
        .join(side('rightTime', outerSide === 'left'), { on: ['id'], how, timeRange })
        .writeStream.queryName('joined')
        .build();
      expect(planStages(query).stages.map((stage) => stage.query.name)).toEqual([
        'joined.stage-1.events',
        'joined.stage-1.events.2',
        'joined',
      ]);
      const test = new StreamTest(query, [input], { partitions: PARTITIONS, exchangePartitions: 2 });
      const addIds = (...ids: number[]) => {
        for (const id of ids) input.addDataTo(PARTITIONS[id % 2]!, { id, time: id });
      };
      const ids = (rows: readonly Row[]) =>
        rows
          .map(
            (row) =>
              `${row.id}:${row.leftTime === undefined ? '-' : 'l'}${row.rightTime === undefined ? '-' : 'r'}`,
          )
          .sort();
      addIds(1, 2, 3, 4, 5);
      expect(ids(await test.processAllAvailable())).toEqual(['2:lr', '4:lr']);
      addIds(6, 7, 8, 9, 10);
      expect(ids(await test.processAllAvailable())).toEqual(['10:lr', '6:lr', '8:lr']);
      addIds(11, 12, 13, 14, 15);
      const mark = outerSide === 'left' ? 'l-' : '-r';
      expect(ids(await test.processAllAvailable())).toEqual(['12:lr', '14:lr', `1:${mark}`, `3:${mark}`]);
    },
  );
});
