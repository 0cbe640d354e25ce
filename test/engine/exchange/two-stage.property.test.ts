/**
 * Property-based tests of two-stage queries (an exchange between stage 1 on the source partitions
 * and stage 2 on the exchange's partitions), in the test kit: random rows keyed by user on three
 * source partitions, random schedules of which partition of which stage runs next, crashes after
 * any phase (then an immediate retry, as Lambda redelivers) and replays of any partition's last
 * batch in either stage. Whatever the interleaving, the result equals the reference computed over
 * all input: re-put exchange records and markers are dropped by (origin, batch, index).
 *
 * Rerun a failure with `FC_SEED=<seed> FC_PATH=<path> npx vitest run test/engine/exchange`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type BatchPhase, count, type QueryDefinition, type Row, sum } from '../../../engine/index.js';
import { MemoryStream, SimulatedCrash, StreamTest } from '../../../engine/testkit/index.js';

// 150: a crash between the put and the commit (a re-put batch) shows up within ~100 runs.
const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 150);
const options = (): fc.Parameters<unknown> => ({
  numRuns: NUM_RUNS,
  ...(process.env.FC_SEED === undefined ? {} : { seed: Number(process.env.FC_SEED) }),
  ...(process.env.FC_PATH === undefined ? {} : { path: process.env.FC_PATH }),
});

const SOURCES = ['s0', 's1', 's2'];
const EXCHANGE = ['exchange-0', 'exchange-1'];
const ALL = [...SOURCES, ...EXCHANGE];
const USERS = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5'];
/** Producers key by user: a user's events always reach the same source partition. */
const sourceOf = (user: string) => SOURCES[USERS.indexOf(user) % SOURCES.length]!;
const PHASES: readonly BatchPhase[] = ['walCommit', 'getBatch', 'addBatch', 'commitState', 'commitOffsets'];

interface Click {
  user: string;
  campaign: string;
  id: string;
  cost: number;
}

type Step =
  | { readonly kind: 'add'; readonly rows: readonly Click[] }
  | { readonly kind: 'run'; readonly partition: number; readonly crash?: BatchPhase }
  | { readonly kind: 'replay'; readonly partition: number };

const clickArbitrary = fc.record({
  user: fc.constantFrom(...USERS),
  campaign: fc.constantFrom('a', 'b', 'c', 'd'),
  id: fc.constantFrom('i0', 'i1', 'i2', 'i3', 'i4', 'i5', 'i6', 'i7'),
  cost: fc.integer({ min: 1, max: 9 }),
});
const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('add' as const),
      rows: fc.array(clickArbitrary, { minLength: 1, maxLength: 5 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('run' as const),
      partition: fc.integer({ min: 0, max: ALL.length - 1 }),
      crash: fc.option(fc.constantFrom(...PHASES), { nil: undefined, freq: 2 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('replay' as const),
      partition: fc.integer({ min: 0, max: ALL.length - 1 }),
    }),
  },
);

/** Runs the steps, then drains both stages; returns the test. */
async function run(makeQuery: (clicks: MemoryStream<Click>) => QueryDefinition, steps: readonly Step[]) {
  const clicks = new MemoryStream<Click>('clicks');
  const test = new StreamTest(makeQuery(clicks), [clicks], {
    partitions: SOURCES,
    exchangePartitions: EXCHANGE.length,
  });
  for (const step of steps) {
    if (step.kind === 'add') {
      for (const source of SOURCES) {
        const mine = step.rows.filter((row) => sourceOf(row.user) === source);
        if (mine.length > 0) clicks.addDataTo(source, ...mine);
      }
    } else if (step.kind === 'run') {
      const partition = ALL[step.partition]!;
      test.crashAfter(step.crash);
      const crashed = await test.runOneBatch(partition).then(
        () => false,
        (error: unknown) => {
          if (error instanceof SimulatedCrash) return true;
          throw error;
        },
      );
      test.crashAfter(undefined);
      if (crashed && step.crash !== 'commitOffsets') await test.runOneBatch(partition);
    } else {
      const partition = ALL[step.partition]!;
      const store = test.checkpointsOf(partition);
      const committed = (await store.load())?.committed;
      if (committed === undefined) continue;
      store.reopenLastBatch();
      test.stop();
      await test.runOneBatch(partition);
    }
  }
  await test.processAllAvailable();
  return test;
}

const sent = (steps: readonly Step[]) => steps.flatMap((step) => (step.kind === 'add' ? step.rows : []));

describe('two-stage queries: any batching, interleaving, crash and replay give the reference result', () => {
  it('count and sum per campaign of events keyed by user (update mode)', async () => {
    const query = (clicks: MemoryStream<Click>) =>
      clicks
        .toStream({ partitionKey: 'user' })
        .groupBy('campaign')
        .agg({ n: count(), cost: sum('cost') })
        .writeStream.queryName('per-campaign')
        .outputMode('update')
        .build();
    await fc.assert(
      fc.asyncProperty(fc.array(stepArbitrary, { minLength: 1, maxLength: 30 }), async (steps) => {
        const test = await run(query, steps);
        const expected = new Map<string, { n: number; cost: number }>();
        for (const click of sent(steps)) {
          const before = expected.get(click.campaign) ?? { n: 0, cost: 0 };
          expected.set(click.campaign, { n: before.n + 1, cost: before.cost + click.cost });
        }
        const table = test.sink.latestByKey((row: Row) => String(row.campaign));
        expect(new Map(table.map((row) => [row.campaign, { n: row.n, cost: row.cost }]))).toEqual(expected);
      }),
      options(),
    );
  });

  it('dedup by an id that is not the partition key (append mode): each id once', async () => {
    const query = (clicks: MemoryStream<Click>) =>
      clicks
        .toStream({ partitionKey: 'user' })
        .dropDuplicates(['id'])
        .writeStream.queryName('unique-clicks')
        .outputMode('append')
        .build();
    await fc.assert(
      fc.asyncProperty(fc.array(stepArbitrary, { minLength: 1, maxLength: 30 }), async (steps) => {
        const test = await run(query, steps);
        const ids = test.allOutput().map((row) => row.id as string);
        expect([...ids].sort()).toEqual([...new Set(sent(steps).map((click) => click.id))].sort());
      }),
      options(),
    );
  });
});
