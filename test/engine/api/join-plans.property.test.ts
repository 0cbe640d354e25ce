import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type JoinType, readStream, sql, TempViews } from '../../../engine/index.js';
import { describePlan } from '../../../engine/plan/fingerprint.js';

// The closure API (`on`, `timeRange`), column expressions and SQL build the same stream-stream
// join plan for the same join, so the checker, the fingerprint and the operator see one shape.

interface Ad {
  ad: string;
  shownAt: number;
  clickedAt: number;
}

const impressions = () => readStream<Ad>('impressions').withWatermark('shownAt', '1 minute');
const clicks = () => readStream<Ad>('clicks').withWatermark('clickedAt', '2 minutes');
const offset = (column: string, seconds: number) =>
  seconds === 0
    ? column
    : seconds > 0
      ? `${column} + INTERVAL ${seconds} SECONDS`
      : `${column} - INTERVAL ${-seconds} SECONDS`;

describe('join plans are the same through every API', () => {
  it('same-named keys and an inclusive time range (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -600, max: 600 }),
        fc.integer({ min: 0, max: 600 }),
        fc.constantFrom<JoinType>('inner', 'left_outer', 'right_outer', 'full_outer', 'left_semi'),
        fc.boolean(),
        (min, width, how, between) => {
          const max = min + width;
          const closures = impressions().join(clicks(), {
            on: ['ad'],
            how,
            timeRange: {
              leftColumn: 'shownAt',
              rightColumn: 'clickedAt',
              min: min * 1000,
              max: `${max} seconds`,
            },
          });
          const bounds = between
            ? `b.clickedAt BETWEEN ${offset('a.shownAt', min)} AND ${offset('a.shownAt', max)}`
            : `b.clickedAt >= ${offset('a.shownAt', min)} AND ${offset('a.shownAt', max)} >= b.clickedAt`;
          const condition = `a.ad = b.ad AND ${bounds}`;
          const expressions = impressions().alias('a').join(clicks().alias('b'), { condition }, how);
          const views = new TempViews();
          impressions().createOrReplaceTempView('a', views);
          clicks().createOrReplaceTempView('b', views);
          const sqlHow = {
            inner: 'JOIN',
            left_outer: 'LEFT OUTER JOIN',
            right_outer: 'RIGHT OUTER JOIN',
            full_outer: 'FULL OUTER JOIN',
            left_semi: 'LEFT SEMI JOIN',
          }[how as string];
          const fromSql = sql(`SELECT * FROM a ${sqlHow} b ON ${condition}`, views);
          const plan = JSON.stringify(closures.plan);
          expect(JSON.stringify(expressions.plan)).toBe(plan);
          expect(JSON.stringify(fromSql.plan)).toBe(plan);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('differently named keys, strict bounds and extra predicates: expressions and SQL agree', () => {
    const views = new TempViews();
    impressions().createOrReplaceTempView('i', views);
    clicks().createOrReplaceTempView('c', views);
    const text =
      "i.ad = c.ad AND c.clickedAt > i.shownAt AND c.clickedAt < i.shownAt + INTERVAL 1 HOUR AND i.ad <> 'test'";
    const i = impressions();
    const c = clicks();
    const viaColumns = i.join(
      c,
      i
        .col('ad')
        .equalTo(c.col('ad'))
        .and(c.col('clickedAt').gt(i.col('shownAt')))
        .and(c.col('clickedAt').lt(i.col('shownAt').plus(3_600_000)))
        .and(i.col('ad').notEqual('test')),
    );
    const viaSql = sql(`SELECT * FROM i JOIN c ON ${text}`, views);
    const viaText = impressions().alias('i').join(clicks().alias('c'), { condition: text });
    // Strict bounds stay in the condition (a timeRange is inclusive); `ad` is the `on` key.
    expect(viaSql.plan).toMatchObject({ kind: 'streamJoin', on: ['ad'] });
    expect(viaSql.plan).not.toHaveProperty('timeRange');
    expect(JSON.stringify(viaText.plan)).toBe(JSON.stringify(viaSql.plan));
    expect(viaColumns.plan).toMatchObject({ kind: 'streamJoin', on: ['ad'] });
    // The condition is part of the fingerprint: a changed condition is a changed query.
    const q = (p: {
      writeStream: { queryName(n: string): { build(): Parameters<typeof describePlan>[0] } };
    }) => describePlan(p.writeStream.queryName('q').build());
    expect(q(viaSql)).toContain('right.clickedAt > left.shownAt');
    expect(q(viaColumns)).toContain('(left.shownAt + 3600000)');
  });
});
