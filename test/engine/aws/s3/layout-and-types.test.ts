import { describe, expect, it } from 'vitest';
import {
  dataKey,
  deadLetterKey,
  escapePathName,
  inferColumns,
  inferType,
  keyColumnsOf,
  latestRowPerKey,
  manifestKey,
  progressKey,
  queryRoot,
} from '../../../../engine/aws/s3/index.js';
import { groupByPartition } from '../../../../engine/aws/s3/partitioning.js';
import { count, readStream, sql, TempViews, window } from '../../../../engine/index.js';
import { MemoryStream } from '../../../../engine/testkit/index.js';

describe('S3 key layout', () => {
  it('pads batch ids to 20 digits so that listings are in batch order', () => {
    expect(manifestKey(7)).toBe('_manifest/00000000000000000007.json');
    expect(manifestKey(10) > manifestKey(9)).toBe(true);
    expect(deadLetterKey(12, 'shardId-000000000001')).toBe(
      '_dead/00000000000000000012-shardId-000000000001.jsonl',
    );
    expect(progressKey('shardId-0', 3)).toBe('_progress/shardId-0/00000000000000000003.json');
    expect(dataKey('day=2024-01-01/', 3, 's1', 2, 'parquet')).toBe(
      'data/day=2024-01-01/part-00000000000000000003-s1-00002.parquet',
    );
  });

  it('joins prefix and query with single slashes', () => {
    expect(queryRoot('', 'q')).toBe('q/');
    expect(queryRoot('/prod/', 'q')).toBe('prod/q/');
    expect(queryRoot('a//b', 'q')).toBe('a/b/q/');
  });

  it("escapes path names as Hive's FileUtils.escapePathName does", () => {
    // The cases of Spark's ExternalCatalogUtils: these characters and ASCII control characters.
    expect(escapePathName('a/b')).toBe('a%2Fb');
    expect(escapePathName('k=v')).toBe('k%3Dv');
    expect(escapePathName('12:30')).toBe('12%3A30');
    expect(escapePathName('50%')).toBe('50%25');
    expect(escapePathName(`"#'*?\\{[]^`)).toBe('%22%23%27%2A%3F%5C%7B%5B%5D%5E');
    expect(escapePathName('tab\there\n')).toBe('tab%09here%0A');
    expect(escapePathName('\u007f')).toBe('%7F');
    // Spaces, non-ASCII and everything else stay as they are (S3 keys are UTF-8).
    expect(escapePathName('São Paulo-ok_~.')).toBe('São Paulo-ok_~.');
  });

  it('groups rows by partition values in first-appearance order, null and empty as the Hive default', () => {
    const rows = [
      { city: 'b/c', n: 1 },
      { city: null, n: 2 },
      { city: 'b/c', n: 3 },
      { n: 4 },
      { city: '', n: 5 },
    ];
    const groups = groupByPartition(rows, ['city'], {});
    expect(groups.map((group) => [group.path, group.rows.map((row) => row.n)])).toEqual([
      ['city=b%2Fc/', [1, 3]],
      ['city=__HIVE_DEFAULT_PARTITION__/', [2, 4]],
      ['city=__HIVE_DEFAULT_PARTITION__/', [5]],
    ]);
    expect(groups.map((group) => group.values)).toEqual([{ city: 'b/c' }, { city: null }, { city: '' }]);
  });

  it('writes timestamp partition values as ISO-8601 and numbers as text', () => {
    const groups = groupByPartition([{ ts: 1_700_000_000_000, n: 7 }], ['ts', 'n'], {
      timestampColumns: ['ts'],
    });
    expect(groups[0]!.path).toBe('ts=2023-11-14T22%3A13%3A20.000Z/n=7/');
  });
});

describe('column type inference', () => {
  it('follows the documented rules', () => {
    expect(inferType([1, 2, null])).toBe('int64');
    expect(inferType([1, 2.5])).toBe('double');
    expect(inferType([1n, 2])).toBe('int64');
    expect(inferType(['a', undefined])).toBe('string');
    expect(inferType([true, false])).toBe('boolean');
    expect(inferType([{ start: 0, end: 10 }])).toBe('window');
    expect(inferType([{ start: 0, end: 10, extra: 1 }])).toBe('json');
    expect(inferType([[1, 2]])).toBe('json');
    expect(inferType([1, 'a'])).toBe('json');
    expect(inferType([new Date(0)])).toBe('timestamp');
    expect(inferType([new Uint8Array([1])])).toBe('binary');
    expect(inferType([null, undefined])).toBe('string');
  });

  it('lists columns in first-appearance order without the partition columns; declared types win', () => {
    const columns = inferColumns(
      [
        { a: 1, p: 'x' },
        { b: 'y', a: 2, ts: 5 },
      ],
      ['p'],
      { timestampColumns: ['ts'], columnTypes: { a: 'double' } },
    );
    expect(columns).toEqual([
      { name: 'a', type: 'double' },
      { name: 'b', type: 'string' },
      { name: 'ts', type: 'timestamp' },
    ]);
  });
});

describe('upsert reading', () => {
  it('keeps the newest row per key at the position the key first appeared', () => {
    const rows = [
      { window: { start: 0, end: 10 }, word: 'a', count: 1 },
      { window: { start: 0, end: 10 }, word: 'b', count: 1 },
      { window: { end: 10, start: 0 }, word: 'a', count: 2 },
    ];
    expect(latestRowPerKey(rows, ['window', 'word'])).toEqual([
      { window: { end: 10, start: 0 }, word: 'a', count: 2 },
      { window: { start: 0, end: 10 }, word: 'b', count: 1 },
    ]);
  });

  it('takes key columns from an aggregation at the top of the plan', () => {
    const input = new MemoryStream<{ word: string; ts: number }>('words');
    const windowed = input
      .toStream()
      .withWatermark('ts', '10 seconds')
      .groupBy(window('ts', '5 seconds'), 'word')
      .agg({ count: count() })
      .writeStream.outputMode('update')
      .build();
    expect(keyColumnsOf(windowed.plan)).toEqual(['window', 'word']);
    const mapped = input
      .toStream()
      .map((row) => ({ ...row, n: 1 }))
      .writeStream.build();
    expect(keyColumnsOf(mapped.plan)).toBeUndefined();
  });

  it('follows key columns through SQL projections, renames and HAVING filters', () => {
    const views = new TempViews();
    readStream<{ word: string; ts: number }>('words')
      .withWatermark('ts', '10 seconds')
      .createOrReplaceTempView('words', views);
    const having = sql(
      "SELECT word AS w, window(ts, '5 seconds') AS win, count(*) AS n FROM words GROUP BY window(ts, '5 seconds'), word HAVING count(*) > 1",
      views,
    )
      .writeStream.outputMode('update')
      .build();
    expect(keyColumnsOf(having.plan)).toEqual(['win', 'w']);
    const dropped = sql('SELECT count(*) AS n FROM words GROUP BY word', views)
      .writeStream.outputMode('update')
      .build();
    expect(keyColumnsOf(dropped.plan)).toBeUndefined();
  });

  it('keeps key columns under ORDER BY, but not under LIMIT (a row that left the top n would stay in the table)', () => {
    const views = new TempViews();
    readStream<{ word: string; ts: number }>('words').createOrReplaceTempView('words', views);
    const sorted = sql('SELECT word, count(*) AS n FROM words GROUP BY word ORDER BY n DESC', views)
      .writeStream.outputMode('complete')
      .build();
    expect(keyColumnsOf(sorted.plan)).toEqual(['word']);
    const top = sql('SELECT word, count(*) AS n FROM words GROUP BY word ORDER BY n DESC LIMIT 3', views)
      .writeStream.outputMode('complete')
      .build();
    expect(keyColumnsOf(top.plan)).toBeUndefined();
  });
});
