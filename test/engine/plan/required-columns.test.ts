import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { count, expr, type PlanNode, readStream, staticRows, sum, window } from '../../../engine/index.js';
import type { AggregateFunction } from '../../../engine/operators/aggregate/functions.js';
import { requiredColumns } from '../../../engine/plan/required-columns.js';
import { MemoryStream, StreamTest } from '../../../engine/testkit/index.js';

interface Event {
  ad: unknown;
  ts: number;
  user: string;
  amount?: number;
}

/** The node directly below the root aggregate's watermark: the join. */
const nodeOfKind = (root: PlanNode, kind: PlanNode['kind']): PlanNode => {
  let found: PlanNode | undefined;
  const walk = (node: PlanNode) => {
    if (node.kind === kind && found === undefined) found = node;
    if ('child' in node) walk(node.child);
    if ('children' in node) node.children.forEach(walk);
  };
  walk(root);
  return found!;
};

describe('required columns (column pruning)', () => {
  const campaigns = staticRows([{ ad: 'a', campaign: 'c1' }]);

  it('a join feeding a windowed aggregation needs only the keys, the event time and what aggregates read', () => {
    const plan = readStream<Event>('events')
      .filter((e) => e.user !== '')
      .join(campaigns, { on: ['ad'] })
      .withWatermark('ts', '10 seconds')
      .groupBy(window('ts', '10 seconds'), 'campaign')
      .agg({ n: count(), total: sum('amount') })
      .writeStream.outputMode('append')
      .build().plan;
    const required = requiredColumns(plan);
    expect([...required(nodeOfKind(plan, 'staticJoin'))!].sort()).toEqual(['amount', 'campaign', 'ts']);
    // The filter is a closure: below it nothing is known, so everything is kept.
    expect(required(nodeOfKind(plan, 'source'))).toBeUndefined();
    // The aggregate's own output goes to the sink: every column.
    expect(required(plan)).toBeUndefined();
  });

  it('expression projections and filters need exactly the columns they read (Spark-style pruning)', () => {
    const plan = readStream<Event & { extra: string }>('events')
      .join(campaigns, { on: ['ad'] })
      .where("user <> 'bot'")
      .withColumn('cents', expr('amount * 100'))
      .selectExpr('campaign', 'cents', 'ts')
      .writeStream.outputMode('append')
      .build().plan;
    const required = requiredColumns(plan);
    // below the select list: what it reads; below withColumn: that, less `cents`, plus `amount`.
    expect([...required(nodeOfKind(plan, 'project'))!].sort()).toEqual(['campaign', 'cents', 'ts']);
    expect([...required(nodeOfKind(plan, 'where'))!].sort()).toEqual(['amount', 'campaign', 'ts']);
    expect([...required(nodeOfKind(plan, 'staticJoin'))!].sort()).toEqual([
      'amount',
      'campaign',
      'ts',
      'user',
    ]);
  });

  it('keeps every column where a closure, a custom aggregate or a whole-row operator reads the rows', () => {
    const custom: AggregateFunction<number, number> = {
      name: 'custom',
      init: () => 0,
      add: (acc, row) => acc + (row.user === 'x' ? 1 : 0),
      merge: (a, b) => a + b,
      result: (acc) => acc,
    };
    const viaCustom = readStream<Event>('events')
      .join(campaigns, { on: ['ad'] })
      .groupBy('campaign')
      .agg({ n: custom })
      .writeStream.outputMode('update')
      .build().plan;
    expect(requiredColumns(viaCustom)(nodeOfKind(viaCustom, 'staticJoin'))).toBeUndefined();
    const viaMap = readStream<Event>('events')
      .join(campaigns, { on: ['ad'] })
      .map((row) => ({ ...row }))
      .groupBy('campaign')
      .count()
      .writeStream.outputMode('update')
      .build().plan;
    expect(requiredColumns(viaMap)(nodeOfKind(viaMap, 'staticJoin'))).toBeUndefined();
    const viaSelect = readStream<Event>('events')
      .join(campaigns, { on: ['ad'] })
      .select('campaign', 'user')
      .writeStream.build().plan;
    expect([...requiredColumns(viaSelect)(nodeOfKind(viaSelect, 'staticJoin'))!]).toEqual([
      'campaign',
      'user',
    ]);
  });

  // Join keys of mixed types on both sides: strings, numbers that look like strings, booleans,
  // nulls, objects and missing keys; the static side may shadow a stream column.
  const keyValue = fc.oneof(
    fc.constantFrom('a', 'b', '1', 'true'),
    fc.constantFrom(1, 2, 0),
    fc.boolean(),
    fc.constant(null),
    fc.constant({ k: 1 }),
  );
  const staticSide = fc.array(
    fc.record(
      { ad: keyValue, campaign: fc.constantFrom('c1', 'c2', 'c3'), user: fc.constantFrom('shadow') },
      { requiredKeys: ['ad', 'campaign'] },
    ),
    { maxLength: 8 },
  );
  const events = fc.array(
    fc.record({
      ad: keyValue,
      ts: fc.integer({ min: 0, max: 60_000 }),
      user: fc.constantFrom('u1', 'u2'),
      amount: fc.integer({ min: 0, max: 9 }),
    }),
    { maxLength: 40 },
  );

  it('a pruned join gives exactly the results of the unpruned one, for any key types and batch split', async () => {
    await fc.assert(
      fc.asyncProperty(
        staticSide,
        events,
        fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 1, maxLength: 6 }),
        fc.constantFrom('inner' as const, 'left_outer' as const),
        async (statics, rows, cuts, how) => {
          const run = async (prune: boolean) => {
            const stream = new MemoryStream<Event>('events');
            let joined = stream.toStream().join(staticRows(statics), { on: ['ad'], how });
            // An identity map reads whole rows, which turns pruning off below it.
            if (!prune) joined = joined.map((row) => row);
            const query = joined
              .withWatermark('ts', '5 seconds')
              .groupBy(window('ts', '10 seconds'), 'campaign', 'user')
              .agg({ n: count(), total: sum('amount') })
              .writeStream.outputMode('update')
              .build();
            const test = new StreamTest(query, [stream]);
            const out: unknown[] = [];
            let at = 0;
            for (const cut of [...cuts, rows.length]) {
              const part = rows.slice(at, at + cut);
              at += cut;
              if (part.length === 0) continue;
              stream.addData(...part);
              out.push(await test.processAllAvailable());
            }
            return out;
          };
          expect(await run(true)).toEqual(await run(false));
        },
      ),
      { numRuns: 150 },
    );
  });
});
