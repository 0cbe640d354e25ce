import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type AggregateFunction,
  approxCountDistinct,
  avg,
  col,
  collectList,
  count,
  describeSchema,
  expr,
  F,
  GroupStateTimeout,
  inferSchema,
  max,
  min,
  readStream,
  type Schema,
  SchemaInferenceError,
  sessionWindow,
  sql,
  staticRows,
  sum,
  TempViews,
  window,
} from '../../../../engine/index.js';
import { SCALAR_FUNCTIONS } from '../../../../engine/plan/expressions/scalar-functions.js';
import { FUNCTION_TYPES } from '../../../../engine/plan/schema/function-types.js';

// Schema inference per operator kind: each case builds a query the API way and checks the
// columns and types the plan infers (rendered as Spark's simpleString, `name type, ...`).

const clickSchema = z.object({
  page: z.string(),
  user: z.string(),
  ts: z.number(),
  price: z.number(),
  qty: z.number().int(),
  tags: z.array(z.string()),
  geo: z.object({ country: z.string(), lat: z.number() }).optional(),
  extra: z.record(z.string(), z.number()),
  kind: z.enum(['view', 'buy']),
  referrer: z.string().nullable(),
});
type Click = z.infer<typeof clickSchema>;

const clicks = () =>
  readStream<Click>('clicks', { eventTime: 'ts', schema: clickSchema, partitionKey: 'page' });
const watermarked = () => clicks().withWatermark('ts', '1 minute');
const shape = (schema: Schema) => describeSchema(schema);
const inferError = (build: () => unknown) => {
  try {
    build();
  } catch (error) {
    return error as SchemaInferenceError;
  }
  throw new Error('expected a SchemaInferenceError');
};

describe('inferSchema: sources', () => {
  it('reads the zod schema as JSON Schema: integer → bigint, number → double, nested → struct/array/map, event time → timestamp', () => {
    expect(shape(inferSchema(clicks().plan))).toBe(
      'page string, user string, ts timestamp, price double, qty bigint, tags array<string>, ' +
        'geo struct<country:string,lat:double>, extra map<string,double>, kind string, referrer string',
    );
  });

  it('adds the event-time column as a timestamp when the schema leaves it out', () => {
    const plan = readStream('e', { eventTime: 'at' as never, schema: z.object({ id: z.string() }) }).plan;
    expect(shape(inferSchema(plan))).toBe('id string, at timestamp');
  });

  it('values JSON Schema cannot describe (Date, bigint, transforms) are json', () => {
    const plan = readStream('e', {
      schema: z.object({ when: z.date(), big: z.bigint(), n: z.string().transform(Number) }),
    }).plan;
    expect(shape(inferSchema(plan))).toBe('when json, big json, n json');
  });

  it('a source without a schema, or with one that does not describe itself, is unknown: the error names the source', () => {
    const none = inferError(() => inferSchema(readStream('raw').plan));
    expect(none).toBeInstanceOf(SchemaInferenceError);
    expect(none.code).toBe('SLUICE_SCHEMA_UNKNOWN');
    expect(none.message).toContain("Source 'raw' has no schema");
    const opaque = {
      '~standard': { version: 1, vendor: 'x', validate: (value: unknown) => ({ value }) },
    } as const;
    const error = inferError(() => inferSchema(readStream('raw', { schema: opaque as never }).plan));
    expect(error.message).toContain('does not implement Standard JSON Schema');
  });
});

describe('inferSchema: stateless steps', () => {
  it('filter, where, dropDuplicates and withWatermark keep the columns', () => {
    const base = shape(inferSchema(clicks().plan));
    expect(shape(inferSchema(clicks().filter((c) => c.qty > 0).plan))).toBe(base);
    expect(shape(inferSchema(clicks().where('qty > 0').plan))).toBe(base);
    expect(shape(inferSchema(watermarked().dropDuplicates(['user', 'ts']).plan))).toBe(base);
  });

  it('withWatermark on an epoch-ms number column makes it a timestamp', () => {
    const plan = readStream('e', {
      schema: z.object({ at: z.number().int(), id: z.string() }),
    }).withWatermark('at', '1 minute').plan;
    expect(shape(inferSchema(plan))).toBe('at timestamp, id string');
  });

  it('select(names) keeps those columns in that order; a missing one names it', () => {
    expect(shape(inferSchema(clicks().select('qty', 'page').plan))).toBe('qty bigint, page string');
    const error = inferError(() => inferSchema(clicks().select('nope' as never).plan));
    expect(error.message).toContain("column 'nope' does not exist");
  });

  it('expressions: arithmetic keeps bigint for integers, / is double, time ± interval stays a timestamp', () => {
    const plan = clicks().selectExpr(
      'qty * 2 AS q2',
      'qty * price AS revenue',
      'qty / 2 AS half',
      'qty DIV 2 AS whole',
      'ts + INTERVAL 1 MINUTE AS later',
      'ts - ts AS span',
      "page || '!' AS shout",
      'qty > 1 AS many',
      'CAST(qty AS STRING) AS qtext',
      "CAST('2026-01-01' AS TIMESTAMP) AS day",
      'CASE WHEN qty > 1 THEN qty ELSE price END AS widened',
      'coalesce(referrer, page) AS source',
      'geo.country AS country',
      'NULL AS nothing',
    ).plan;
    expect(shape(inferSchema(plan))).toBe(
      'q2 bigint, revenue double, half double, whole bigint, later timestamp, span bigint, shout string, ' +
        'many boolean, qtext string, day timestamp, widened double, source string, country string, nothing string',
    );
  });

  it('functions: window is a struct, window_time/date_trunc timestamps, length/hour bigint, upper string', () => {
    const plan = clicks().select(
      F.window('ts', '1 minute').alias('w'),
      F.window_time(F.window('ts', '1 minute')).alias('wt'),
      F.date_trunc('hour', 'ts').alias('hour_start'),
      F.length('page').alias('len'),
      F.hour('ts').alias('h'),
      F.upper('page').alias('p'),
      F.round('price', 1).alias('r'),
      F.abs('qty').alias('a'),
    ).plan;
    expect(shape(inferSchema(plan))).toBe(
      'w struct<start:timestamp,end:timestamp>, wt timestamp, hour_start timestamp, len bigint, h bigint, p string, r double, a bigint',
    );
  });

  it('withColumn replaces a column in place and appends a new one; withColumnRenamed moves it to the end; drop removes', () => {
    const plan = clicks()
      .select('page', 'qty', 'price')
      .withColumn('qty', col('qty').multiply(col('price')))
      .withColumn('big', expr('qty > 10'))
      .withColumnRenamed('page', 'url')
      .drop('price').plan;
    expect(shape(inferSchema(plan))).toBe('qty double, big boolean, url string');
  });

  it('map and flatMap: unknown unless declared; declared as a record or a zod schema', () => {
    const error = inferError(() => inferSchema(clicks().map((c) => ({ n: c.qty })).plan));
    expect(error.message).toContain('map(fn) returns rows the plan cannot see into');
    expect(error.message).toContain('map(fn, { schema');
    const declared = clicks().map((c) => ({ n: c.qty, page: c.page }), {
      schema: { n: 'long', page: 'string' },
    });
    expect(shape(inferSchema(declared.plan))).toBe('n bigint, page string');
    const flat = clicks().flatMap((c) => c.tags.map((tag) => ({ tag })), {
      schema: z.object({ tag: z.string() }),
    });
    expect(shape(inferSchema(flat.plan))).toBe('tag string');
    // Steps after a declared closure resolve against the declared columns.
    expect(shape(inferSchema(flat.select(F.upper('tag').alias('t')).plan))).toBe('t string');
  });
});

describe('inferSchema: aggregations', () => {
  it('window key → struct<start,end> named window, then the aggregates by result type', () => {
    const plan = watermarked()
      .groupBy(window('ts', '1 minute'), 'page')
      .agg({
        n: count(),
        units: sum('qty'),
        amount: sum('price'),
        mean: avg('qty'),
        first: min('user'),
        top: max('price'),
        users: approxCountDistinct('user'),
        who: collectList('user'),
      }).plan;
    expect(shape(inferSchema(plan))).toBe(
      'window struct<start:timestamp,end:timestamp>, page string, n bigint, units bigint, amount double, ' +
        'mean double, first string, top double, users bigint, who array<string>',
    );
  });

  it('sliding windows and session windows', () => {
    const sliding = watermarked()
      .groupBy(window('ts', '10 minutes', '5 minutes'))
      .count().plan;
    expect(shape(inferSchema(sliding))).toBe('window struct<start:timestamp,end:timestamp>, count bigint');
    const sessions = watermarked()
      .groupBy(sessionWindow('ts', '5 minutes'), 'user')
      .agg({ clicks: count() }).plan;
    expect(shape(inferSchema(sessions))).toBe(
      'session_window struct<start:timestamp,end:timestamp>, user string, clicks bigint',
    );
  });

  it('expression aggregates: inputs computed below, results computed above', () => {
    const plan = watermarked()
      .groupBy(F.window('ts', '1 minute'), 'page')
      .agg(
        F.count('*').alias('views'),
        F.sum(F.col('price').multiply(F.col('qty'))).alias('revenue'),
        expr('sum(qty) / count(*) AS per_view'),
      ).plan;
    expect(shape(inferSchema(plan))).toBe(
      'window struct<start:timestamp,end:timestamp>, page string, views bigint, revenue double, per_view double',
    );
  });

  it('SQL text gives the same schema as the DataFrame API', () => {
    const views = new TempViews();
    watermarked().createOrReplaceTempView('clicks', views);
    const fromSql = sql(
      "SELECT window(ts, '1 minute'), page, count(*) AS views, max(qty) AS most FROM clicks GROUP BY window(ts, '1 minute'), page",
      views,
    );
    expect(shape(inferSchema(fromSql.plan))).toBe(
      'window struct<start:timestamp,end:timestamp>, page string, views bigint, most bigint',
    );
  });

  it('a custom aggregate without resultType names itself', () => {
    const custom: AggregateFunction<number, number> = {
      name: 'product',
      column: 'qty',
      init: () => 1,
      add: (acc, row) => acc * (row.qty as number),
      merge: (a, b) => a * b,
      result: (acc) => acc,
    };
    const plan = watermarked().groupBy('page').agg({ p: custom }).plan;
    expect(inferError(() => inferSchema(plan)).message).toContain(
      "The aggregate 'p' (product) does not declare",
    );
    const typed = { ...custom, resultType: () => 'long' as const };
    expect(shape(inferSchema(watermarked().groupBy('page').agg({ p: typed }).plan))).toBe(
      'page string, p bigint',
    );
  });
});

describe('inferSchema: joins and unions', () => {
  it('stream-static join: the static side typed from its values; a shared column takes the right side', () => {
    const pages = staticRows([
      { page: '/a', title: 'A', weight: 1 },
      { page: '/b', title: 'B', weight: 2.5 },
    ]);
    const plan = clicks()
      .select('page', 'qty')
      .join(pages, { on: ['page'], how: 'left_outer' }).plan;
    expect(shape(inferSchema(plan))).toBe('page string, qty bigint, title string, weight double');
  });

  it('stream-stream join: left columns, then the right side (shared non-key names replaced in place)', () => {
    const impressions = readStream('impressions', {
      eventTime: 'at',
      schema: z.object({ page: z.string(), at: z.number(), qty: z.string() }),
      partitionKey: 'page',
    }).withWatermark('at', '1 minute');
    const plan = watermarked()
      .select('page', 'ts', 'qty')
      .join(impressions, {
        on: ['page'],
        timeRange: { leftColumn: 'ts', rightColumn: 'at', min: 0, max: '1 minute' },
      }).plan;
    expect(shape(inferSchema(plan))).toBe('page string, ts timestamp, qty string, at timestamp');
  });

  it('union widens types over its inputs', () => {
    const a = readStream('a', { schema: z.object({ id: z.string(), n: z.number().int() }) });
    const b = readStream('b', { schema: z.object({ id: z.string(), n: z.number() }) });
    expect(shape(inferSchema(a.union(b).plan))).toBe('id string, n double');
  });
});

describe('inferSchema: (flat)mapGroupsWithState', () => {
  const keyed = () => watermarked().groupByKey((c) => c.user);

  it('without a declared schema the output is unknown, and the error says how to declare it', () => {
    const plan = keyed().mapGroupsWithState((user, rows) => ({ user, n: rows.length })).plan;
    const error = inferError(() => inferSchema(plan));
    expect(error.message).toContain('mapGroupsWithState(fn) returns rows the plan cannot see into');
    expect(error.message).toContain("mapGroupsWithState(..., { schema: { user: 'string', views: 'long' } })");
  });

  it('mapGroupsWithState with a declared record schema', () => {
    const plan = keyed().mapGroupsWithState((user, rows) => ({ user, n: rows.length }), {
      schema: { user: 'string', n: 'long' },
    }).plan;
    expect(shape(inferSchema(plan))).toBe('user string, n bigint');
  });

  it('flatMapGroupsWithState with a declared zod schema, then a projection over it', () => {
    const plan = keyed()
      .flatMapGroupsWithState('update', (user, rows) => [{ user, start: rows[0]!.ts, views: rows.length }], {
        timeout: GroupStateTimeout.EventTimeTimeout,
        schema: z.object({ user: z.string(), start: z.number(), views: z.number().int() }),
      })
      .withColumn('busy', expr('views > 10')).plan;
    expect(shape(inferSchema(plan))).toBe('user string, start double, views bigint, busy boolean');
  });
});

it('every scalar function has a result type (the two tables stay in step)', () => {
  expect(Object.keys(FUNCTION_TYPES).sort()).toEqual(Object.keys(SCALAR_FUNCTIONS).sort());
});
