/**
 * Stage 1's partial aggregation (Spark's partial aggregate before the shuffle) is exact: whatever
 * the split of the input into batches and source partitions, and whatever order the partitions of
 * both stages run in, the two-stage result equals the one-stage reference over all input in one
 * batch, for every built-in aggregate that merges (count, sum, avg, min, max, approxCountDistinct),
 * over sliding windows (a row folds into several partials) and plain keys.
 *
 * Rerun a failure with `FC_SEED=<seed> FC_PATH=<path> npx vitest run test/engine/exchange`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  approxCountDistinct,
  avg,
  count,
  type DataStream,
  max,
  min,
  type QueryDefinition,
  type Row,
  sum,
  window,
} from '../../../engine/index.js';
import { MemoryStream, StreamTest } from '../../../engine/testkit/index.js';

const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 60);
const options = (): fc.Parameters<unknown> => ({
  numRuns: NUM_RUNS,
  ...(process.env.FC_SEED === undefined ? {} : { seed: Number(process.env.FC_SEED) }),
  ...(process.env.FC_PATH === undefined ? {} : { path: process.env.FC_PATH }),
});

const SOURCES = ['s0', 's1', 's2'];

interface Click {
  user: string;
  campaign: string;
  cost: number | null;
  ts: number;
}

const clickArbitrary: fc.Arbitrary<Click> = fc.record({
  user: fc.constantFrom('u0', 'u1', 'u2', 'u3', 'u4'),
  campaign: fc.constantFrom('a', 'b', 'c'),
  cost: fc.option(fc.integer({ min: -5, max: 20 }), { nil: null, freq: 5 }),
  ts: fc.integer({ min: 0, max: 40_000 }),
});

interface Batch {
  source: number;
  rows: Click[];
  runs: number[];
}

/** A batch: rows added to one source partition, then some partitions of either stage run. */
const batchArbitrary: fc.Arbitrary<Batch> = fc.record({
  source: fc.integer({ min: 0, max: SOURCES.length - 1 }),
  rows: fc.array(clickArbitrary, { minLength: 1, maxLength: 8 }),
  runs: fc.array(fc.integer({ min: 0, max: SOURCES.length + 1 }), { maxLength: 3 }),
});

type Shape = (stream: DataStream<Click>) => QueryDefinition;

const aggregates = {
  n: count(),
  cost: sum('cost'),
  mean: avg('cost'),
  lo: min('cost'),
  hi: max('user'),
  users: approxCountDistinct('user'),
};

const shapes: Record<string, { shape: Shape; key: (row: Row) => string }> = {
  'sliding windows per campaign, watermarked (update)': {
    shape: (stream) =>
      stream
        .withWatermark('ts', '1 hour')
        .groupBy(window('ts', '10 seconds', '5 seconds'), 'campaign')
        .agg(aggregates)
        .writeStream.queryName('sliding')
        .outputMode('update')
        .build(),
    key: (row) => `${(row.window as { start: number }).start}/${row.campaign}`,
  },
  'a global count per tumbling window (complete)': {
    shape: (stream) =>
      stream
        .groupBy(window('ts', '7 seconds'))
        .agg(aggregates)
        .writeStream.queryName('global')
        .outputMode('complete')
        .build(),
    key: (row) => String((row.window as { start: number }).start),
  },
  'per campaign, no window (update)': {
    shape: (stream) =>
      stream.groupBy('campaign').agg(aggregates).writeStream.queryName('plain').outputMode('update').build(),
    key: (row) => String(row.campaign),
  },
};

async function twoStage(shape: Shape, batches: readonly Batch[]) {
  const clicks = new MemoryStream<Click>('clicks');
  const query = shape(clicks.toStream({ partitionKey: 'user', eventTime: 'ts' }));
  const test = new StreamTest(query, [clicks], { partitions: SOURCES, exchangePartitions: 2 });
  expect(test.exchange).toBeDefined();
  const all = [...SOURCES, ...test.exchangePartitionIds];
  for (const batch of batches) {
    clicks.addDataTo(SOURCES[batch.source]!, ...batch.rows);
    for (const run of batch.runs) await test.runOneBatch(all[run]!);
  }
  await test.processAllAvailable();
  return test;
}

async function reference(shape: Shape, rows: readonly Click[]) {
  const clicks = new MemoryStream<Click>('clicks');
  // No declared partition key: one stage, every row in one batch of one partition.
  const test = new StreamTest(shape(clicks.toStream({ eventTime: 'ts' })), [clicks]);
  expect(test.exchange).toBeUndefined();
  clicks.addData(...rows);
  await test.processAllAvailable();
  return test;
}

describe('stage-1 partial aggregation gives the reference for any batch split and interleaving', () => {
  for (const [name, { shape, key }] of Object.entries(shapes)) {
    it(name, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(batchArbitrary, { minLength: 1, maxLength: 8 }), async (batches) => {
          const test = await twoStage(shape, batches);
          const expected = await reference(
            shape,
            batches.flatMap((batch) => batch.rows),
          );
          const byKey = (rows: Row[]) => new Map(rows.map((row) => [key(row), row]));
          expect(byKey(test.sink.latestByKey(key))).toEqual(byKey(expected.sink.latestByKey(key)));
        }),
        options(),
      );
    });
  }
});
