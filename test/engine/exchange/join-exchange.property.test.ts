/**
 * Property-based tests of joins and unions through the exchange: two streams, each row on a random
 * source partition (any source partitioning), random schedules of which stage-1 run (side ×
 * partition, the exchange origins) or stage-2 partition runs next (any interleaving of origins and
 * any split into batches), crashes after any phase (then an immediate retry, as Lambda
 * redelivers) and replays of any run's last batch. Whatever happens, the result equals the
 * reference computed over all input.
 *
 * Event times stay within the watermark delay until a final row on each side far ahead, so no row
 * is ever late (lateness depends on batching in Spark too) and every outer row is emitted at the end.
 *
 * Rerun a failure with `FC_SEED=<seed> FC_PATH=<path> npx vitest run test/engine/exchange`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BatchPhase,
  count,
  expr,
  type JoinType,
  type QueryDefinition,
  type Row,
} from '../../../engine/index.js';
import { MemoryStream, SimulatedCrash, StreamTest } from '../../../engine/testkit/index.js';

const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 60);
const options = (): fc.Parameters<unknown> => ({
  numRuns: NUM_RUNS,
  ...(process.env.FC_SEED === undefined ? {} : { seed: Number(process.env.FC_SEED) }),
  ...(process.env.FC_PATH === undefined ? {} : { path: process.env.FC_PATH }),
});

const SOURCES = ['s0', 's1', 's2'];
const EXCHANGE_PARTITIONS = 2;
const PHASES: readonly BatchPhase[] = ['walCommit', 'getBatch', 'addBatch', 'commitState', 'commitOffsets'];
const s = (seconds: number) => seconds * 1000;

interface Left {
  lid: number;
  key: string;
  lt: number;
}
interface Right {
  rid: number;
  rkey: string;
  rt: number;
}

type Step =
  | {
      readonly kind: 'add';
      readonly side: 0 | 1;
      readonly rows: ReadonlyArray<{ key: string; t: number; shard: number }>;
    }
  | { readonly kind: 'run'; readonly run: number; readonly crash?: BatchPhase }
  | { readonly kind: 'replay'; readonly run: number };

const stepArbitrary = (runs: number): fc.Arbitrary<Step> =>
  fc.oneof(
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('add' as const),
        side: fc.constantFrom(0 as const, 1 as const),
        rows: fc.array(
          fc.record({
            key: fc.constantFrom('k0', 'k1', 'k2', 'k3'),
            t: fc.integer({ min: 1, max: 40 }),
            shard: fc.integer({ min: 0, max: SOURCES.length - 1 }),
          }),
          { minLength: 1, maxLength: 4 },
        ),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('run' as const),
        run: fc.integer({ min: 0, max: runs - 1 }),
        crash: fc.option(fc.constantFrom(...PHASES), { nil: undefined, freq: 3 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('replay' as const),
        run: fc.integer({ min: 0, max: runs - 1 }),
      }),
    },
  );

/** Stage-1 runs (2 sides × 3 partitions) and stage-2 partitions. */
const RUNS = 2 * SOURCES.length + EXCHANGE_PARTITIONS;

async function drive(
  test: StreamTest,
  steps: readonly Step[],
  add: (step: Extract<Step, { kind: 'add' }>) => void,
) {
  const runIds = [...test.stageOnePartitionIds, ...test.exchangePartitionIds];
  expect(runIds).toHaveLength(RUNS);
  for (const step of steps) {
    if (step.kind === 'add') add(step);
    else if (step.kind === 'run') {
      const id = runIds[step.run]!;
      test.crashAfter(step.crash);
      const crashed = await test.runOneBatch(id).then(
        () => false,
        (error: unknown) => {
          if (error instanceof SimulatedCrash) return true;
          throw error;
        },
      );
      test.crashAfter(undefined);
      if (crashed && step.crash !== 'commitOffsets') await test.runOneBatch(id);
    } else {
      const id = runIds[step.run]!;
      const store = test.checkpointsOf(id);
      if ((await store.load())?.committed === undefined) continue;
      store.reopenLastBatch();
      test.stop();
      await test.runOneBatch(id);
    }
  }
  await test.processAllAvailable();
}

function joinQuery(how: JoinType) {
  const left = new MemoryStream<Left>('left');
  const right = new MemoryStream<Right>('right');
  const query = left
    .toStream({ eventTime: 'lt', partitionKey: 'lid' })
    .withWatermark('lt', '60 seconds')
    .alias('l')
    .join(
      right.toStream({ eventTime: 'rt', partitionKey: 'rid' }).withWatermark('rt', '60 seconds').alias('r'),
      expr('l.key = r.rkey AND r.rt BETWEEN l.lt AND l.lt + INTERVAL 15 SECONDS'),
      how,
    )
    .writeStream.queryName('joined')
    .outputMode('append')
    .build();
  return { left, right, query };
}

function expectedJoin(how: JoinType, lefts: readonly Left[], rights: readonly Right[]): string[] {
  const out: string[] = [];
  const matchedRight = new Set<number>();
  for (const l of lefts) {
    let matched = false;
    for (const r of rights) {
      if (l.key === r.rkey && r.rt >= l.lt && r.rt <= l.lt + s(15)) {
        out.push(`${l.lid}|${r.rid}`);
        matched = true;
        matchedRight.add(r.rid);
      }
    }
    if (!matched && (how === 'left_outer' || how === 'full_outer')) out.push(`${l.lid}|-`);
  }
  if (how === 'right_outer' || how === 'full_outer') {
    for (const r of rights) if (!matchedRight.has(r.rid)) out.push(`-|${r.rid}`);
  }
  return out.sort();
}

describe('joins and unions through the exchange: any batching, partitioning, interleaving, crash and replay', () => {
  for (const how of ['inner', 'left_outer', 'full_outer'] as const) {
    it(`${how} join with a time range, differently named keys`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(stepArbitrary(RUNS), { minLength: 1, maxLength: 30 }), async (steps) => {
          const { left, right, query } = joinQuery(how);
          const test = new StreamTest(query, [left, right], {
            partitions: SOURCES,
            exchangePartitions: EXCHANGE_PARTITIONS,
          });
          const lefts: Left[] = [];
          const rights: Right[] = [];
          await drive(test, steps, (step) => {
            for (const row of step.rows) {
              const shard = SOURCES[row.shard]!;
              if (step.side === 0) {
                const l = { lid: lefts.length, key: row.key, lt: s(row.t) };
                lefts.push(l);
                left.addDataTo(shard, l);
              } else {
                const r = { rid: rights.length, rkey: row.key, rt: s(row.t) };
                rights.push(r);
                right.addDataTo(shard, r);
              }
            }
          });
          // Far ahead on both sides (keys that match nothing): every buffered row expires.
          left.addDataTo('s0', { lid: -1, key: 'end-l', lt: s(10_000) });
          right.addDataTo('s1', { rid: -1, rkey: 'end-r', rt: s(10_000) });
          await test.processAllAvailable();
          await test.processAllAvailable();
          const actual = test
            .allOutput()
            .filter((row: Row) => row.lid !== -1 && row.rid !== -1)
            .map((row: Row) => `${row.lid ?? '-'}|${row.rid ?? '-'}`)
            .sort();
          expect(actual).toEqual(expectedJoin(how, lefts, rights));
        }),
        options(),
      );
    });
  }

  it('count per key over a union of two streams keyed differently (update mode)', async () => {
    const makeQuery = (a: MemoryStream<Left>, b: MemoryStream<Left>): QueryDefinition =>
      a
        .toStream({ partitionKey: 'lid' })
        .union(b.toStream({ partitionKey: 'lt' }))
        .groupBy('key')
        .agg({ n: count() })
        .writeStream.queryName('per-key')
        .outputMode('update')
        .build();
    await fc.assert(
      fc.asyncProperty(fc.array(stepArbitrary(RUNS), { minLength: 1, maxLength: 30 }), async (steps) => {
        const a = new MemoryStream<Left>('a');
        const b = new MemoryStream<Left>('b');
        const test = new StreamTest(makeQuery(a, b), [a, b], {
          partitions: SOURCES,
          exchangePartitions: EXCHANGE_PARTITIONS,
        });
        const expected = new Map<string, number>();
        let next = 0;
        await drive(test, steps, (step) => {
          for (const row of step.rows) {
            (step.side === 0 ? a : b).addDataTo(SOURCES[row.shard]!, {
              lid: next++,
              key: row.key,
              lt: row.t,
            });
            expected.set(row.key, (expected.get(row.key) ?? 0) + 1);
          }
        });
        const table = test.sink.latestByKey((row: Row) => String(row.key));
        expect(new Map(table.map((row) => [row.key as string, row.n as number]))).toEqual(expected);
      }),
      options(),
    );
  });
});
