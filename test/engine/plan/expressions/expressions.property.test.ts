import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  avg,
  col,
  count,
  describePlan,
  expr,
  F,
  max,
  min,
  readStream,
  sql,
  sum,
  TempViews,
  window,
} from '../../../../engine/index.js';
import type { Expression } from '../../../../engine/plan/expressions/expression.js';
import { sqlText } from '../../../../engine/plan/expressions/sql-text.js';
import { MemoryStream, StreamTest } from '../../../../engine/testkit/index.js';

/** Random expression trees over columns a, b, c with numeric, boolean and NULL literals. */
const expression: fc.Arbitrary<Expression> = fc.letrec<{ e: Expression }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom<Expression>(
      { kind: 'column', name: 'a' },
      { kind: 'column', name: 'b' },
      { kind: 'column', name: 'c' },
      { kind: 'literal', value: null },
      { kind: 'literal', value: true },
    ),
    fc.integer({ min: -20, max: 20 }).map((value): Expression => ({ kind: 'literal', value })),
    fc
      .tuple(
        fc.constantFrom(
          '+',
          '-',
          '*',
          '/',
          '%',
          'div',
          '=',
          '!=',
          '<',
          '<=',
          '>',
          '>=',
          '<=>',
          'and',
          'or',
        ) as fc.Arbitrary<Extract<Expression, { kind: 'binary' }>['op']>,
        tie('e'),
        tie('e'),
      )
      .map(([op, left, right]): Expression => ({ kind: 'binary', op, left, right })),
    tie('e').map((operand): Expression => ({ kind: 'not', operand })),
    fc
      .tuple(tie('e'), fc.boolean())
      .map(([operand, negated]): Expression => ({ kind: 'isNull', operand, negated })),
    fc
      .tuple(tie('e'), fc.array(tie('e'), { minLength: 1, maxLength: 3 }), fc.boolean())
      .map(([operand, list, negated]): Expression => ({ kind: 'in', operand, list, negated })),
    fc
      .tuple(tie('e'), tie('e'), tie('e'), fc.boolean())
      .map(([operand, low, high, negated]): Expression => ({ kind: 'between', operand, low, high, negated })),
    fc.tuple(tie('e'), tie('e'), fc.option(tie('e'), { nil: undefined })).map(
      ([when, result, otherwise]): Expression => ({
        kind: 'case',
        branches: [{ when, result }],
        ...(otherwise === undefined ? {} : { otherwise }),
      }),
    ),
    fc
      .tuple(tie('e'), fc.constantFrom('int', 'double', 'boolean', 'string') as fc.Arbitrary<'int'>)
      .map(([operand, to]): Expression => ({ kind: 'cast', operand, to })),
    fc
      .array(tie('e'), { minLength: 1, maxLength: 3 })
      .map((args): Expression => ({ kind: 'call', name: 'coalesce', args })),
  ),
})).e;

/** Negative literals print as `-3` and parse back as a literal, as Spark's parser folds them. */
const normalize = (e: Expression): Expression => JSON.parse(JSON.stringify(e));

describe('expression properties', () => {
  it('SQL text printed from any expression parses back to the same tree (printer and parser agree)', () => {
    fc.assert(
      fc.property(expression, (tree) => {
        expect(normalize(expr(sqlText(tree)).expr)).toEqual(normalize(tree));
      }),
      { numRuns: 150 },
    );
  });

  it('a filter as a closure, as SQL text and as columns keeps the same rows (NULL is not true)', async () => {
    const row = fc.record({
      k: fc.constantFrom('x', 'y'),
      v: fc.option(fc.integer({ min: -5, max: 5 }), { nil: null }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(row, { maxLength: 12 }),
        fc.integer({ min: -5, max: 5 }),
        fc.constantFrom('>', '<=', '='),
        async (rows, bound, op) => {
          const closure = (r: { v: number | null }) =>
            r.v !== null && (op === '>' ? r.v > bound : op === '<=' ? r.v <= bound : r.v === bound);
          const column =
            op === '>' ? col('v').gt(bound) : op === '<=' ? col('v').leq(bound) : col('v').equalTo(bound);
          const outputs = [];
          for (const condition of [closure, `v ${op} ${bound}`, column]) {
            const input = new MemoryStream<{ k: string; v: number | null }>('rows');
            const query = input
              .toStream()
              .where(condition as never)
              .writeStream.build();
            const test = new StreamTest(query, [input]);
            input.addData(...rows);
            outputs.push(await test.processAllAvailable());
          }
          expect(outputs[1]).toEqual(outputs[0]);
          expect(outputs[2]).toEqual(outputs[0]);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('closure, column and SQL-text aggregations over the same keys have the same fingerprint', () => {
    fc.assert(
      fc.property(
        fc.subarray(['k', 'j'], { minLength: 1 }),
        fc.constantFrom('update', 'complete'),
        (keys, mode) => {
          const source = () => readStream<{ k: string; j: string; v: number }>('rows');
          const closure = source()
            .groupBy(...(keys as ('k' | 'j')[]))
            .agg({ n: count(), total: sum('v') })
            .writeStream.outputMode(mode as 'update')
            .build();
          const columns = source()
            .groupBy(...keys.map((k) => col(k)))
            .agg(F.count('*').alias('n'), F.sum('v').alias('total'))
            .writeStream.outputMode(mode as 'update')
            .build();
          const text = source()
            .groupBy(...keys.map((k) => expr(k)))
            .agg(expr('count(*) AS n'), expr('sum(v) total'))
            .writeStream.outputMode(mode as 'update')
            .build();
          expect(describePlan(columns)).toBe(describePlan(closure));
          expect(describePlan(text)).toBe(describePlan(closure));
          expect(JSON.stringify(text.plan)).toBe(JSON.stringify(columns.plan));
        },
      ),
      { numRuns: 20 },
    );
  });

  it('SQL, column and closure APIs build the same plan for random windowed aggregations', () => {
    const closures = { count, sum, avg, min, max } as const;
    const aggregate = fc.record({
      fn: fc.constantFrom('count', 'sum', 'avg', 'min', 'max') as fc.Arbitrary<keyof typeof closures>,
      column: fc.constantFrom('v', 'w'),
    });
    fc.assert(
      fc.property(
        fc.subarray(['k', 'j']),
        fc.option(fc.constantFrom(5, 10, 60), { nil: undefined }),
        fc.uniqueArray(aggregate, { minLength: 1, maxLength: 3, selector: (a) => `${a.fn}(${a.column})` }),
        fc.constantFrom('append', 'update', 'complete'),
        (keys, windowSeconds, aggregates, mode) => {
          const source = () =>
            readStream<{ k: string; j: string; v: number; w: number; ts: number }>('rows').withWatermark(
              'ts',
              '5 seconds',
            );
          const names = aggregates.map((_, i) => `a${i}`);
          const windowText = windowSeconds === undefined ? [] : [`window(ts, '${windowSeconds} seconds')`];
          const views = new TempViews();
          source().createOrReplaceTempView('rows', views);
          const text = `SELECT ${[...windowText, ...keys, ...aggregates.map((a, i) => `${a.fn}(${a.column}) AS ${names[i]}`)].join(', ')} FROM rows${
            windowText.length + keys.length > 0 ? ` GROUP BY ${[...windowText, ...keys].join(', ')}` : ''
          }`;
          const fromSql = sql(text, views)
            .writeStream.queryName('q')
            .outputMode(mode as 'update').build;
          const closureKeys = [
            ...(windowSeconds === undefined ? [] : [window('ts', windowSeconds * 1000)]),
            ...(keys as ('k' | 'j')[]),
          ];
          const record = Object.fromEntries(aggregates.map((a, i) => [names[i], closures[a.fn](a.column)]));
          const fromClosures = source()
            .groupBy(...closureKeys)
            .agg(record)
            .writeStream.queryName('q')
            .outputMode(mode as 'update').build;
          const columnKeys = [
            ...(windowSeconds === undefined ? [] : [F.window('ts', `${windowSeconds} seconds`)]),
            ...keys.map((k) => col(k)),
          ];
          const fromColumns = source()
            .groupBy(...columnKeys)
            .agg(...aggregates.map((a, i) => F[a.fn](a.column).alias(names[i]!)))
            .writeStream.queryName('q')
            .outputMode(mode as 'update').build;
          const outcome = (build: () => { plan: unknown }) => {
            try {
              return JSON.stringify(build().plan);
            } catch (error) {
              return (error as { rule?: string }).rule ?? String(error);
            }
          };
          expect(outcome(fromSql)).toBe(outcome(fromClosures));
          expect(outcome(fromColumns)).toBe(outcome(fromClosures));
        },
      ),
      { numRuns: 60 },
    );
  });
});
