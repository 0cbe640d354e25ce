/**
 * Property-based tests of the query-wide watermark (`writeStream.shardWatermark`, default `max`)
 * over several partitions: random rows on three partitions (each key on one partition, as Kinesis
 * routes by partition key), random schedules of which partition runs next, crashes after any phase
 * and replays of any partition's last batch. Each batch's watermark depends on how far the other
 * partitions had got when it was planned; the WAL entry records it, so crashes and replays change
 * nothing in the output or the state, and no window is emitted twice.
 *
 * Rerun a failure with `FC_SEED=<seed> FC_PATH=<path> npx vitest run test/engine/properties/shard-watermark.property.test.ts`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BatchPhase,
  count,
  type Row,
  type ShardWatermarkPolicy,
  window,
} from '../../../engine/index.js';
import { MemoryStream, SimulatedCrash, StreamTest } from '../../../engine/testkit/index.js';

const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 60);
const options = (): fc.Parameters<unknown> => ({
  numRuns: NUM_RUNS,
  ...(process.env.FC_SEED === undefined ? {} : { seed: Number(process.env.FC_SEED) }),
  ...(process.env.FC_PATH === undefined ? {} : { path: process.env.FC_PATH }),
});

const PARTITIONS = ['p0', 'p1', 'p2'];
const KEYS = ['a', 'b', 'c', 'd', 'e'];
/** Keys are partitioned: a key's rows always reach the same partition. */
const partitionOf = (key: string) => PARTITIONS[KEYS.indexOf(key) % PARTITIONS.length]!;
const PHASES: readonly BatchPhase[] = ['walCommit', 'getBatch', 'addBatch', 'commitState', 'commitOffsets'];

interface Event {
  key: string;
  ts: number;
}

type Step =
  | { readonly kind: 'add'; readonly rows: readonly Event[] }
  | { readonly kind: 'run'; readonly partition: number; readonly crash?: BatchPhase }
  | { readonly kind: 'replay'; readonly partition: number };

const eventArbitrary = fc.record({
  key: fc.constantFrom(...KEYS),
  ts: fc.integer({ min: 0, max: 120 }).map((s) => s * 1000),
});
const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('add' as const),
    rows: fc.array(eventArbitrary, { minLength: 1, maxLength: 4 }),
  }),
  fc.record({
    kind: fc.constant('run' as const),
    partition: fc.integer({ min: 0, max: 2 }),
    crash: fc.option(fc.constantFrom(...PHASES), { nil: undefined, freq: 2 }),
  }),
  fc.record({ kind: fc.constant('replay' as const), partition: fc.integer({ min: 0, max: 2 }) }),
);

function newTest(policy: ShardWatermarkPolicy) {
  const events = new MemoryStream<Event>('events');
  const query = events
    .toStream({ eventTime: 'ts', partitionKey: 'key' })
    .withWatermark('ts', '5 seconds')
    .groupBy(window('ts', '10 seconds'), 'key')
    .agg({ n: count() })
    .writeStream.outputMode('append')
    .shardWatermark(policy)
    .build();
  return { events, test: new StreamTest(query, [events], { partitions: PARTITIONS }) };
}

/** Adds a step's rows, each partition's share as one micro-batch of that partition. */
function add(events: MemoryStream<Event>, rows: readonly Event[]) {
  for (const partition of PARTITIONS) {
    const mine = rows.filter((row) => partitionOf(row.key) === partition);
    if (mine.length > 0) events.addDataTo(partition, ...mine);
  }
}

/** Runs the steps; with `faults`, crashes (then Lambda's immediate retry) and replays happen too. */
async function run(steps: readonly Step[], policy: ShardWatermarkPolicy, faults: boolean) {
  const { events, test } = newTest(policy);
  const replayed: Array<{ before: readonly Row[]; after: readonly Row[] }> = [];
  for (const step of steps) {
    if (step.kind === 'add') add(events, step.rows);
    if (step.kind === 'run') {
      const partition = PARTITIONS[step.partition]!;
      if (!faults || step.crash === undefined) {
        await test.runOneBatch(partition);
        continue;
      }
      test.crashAfter(step.crash);
      const crashed = await test.runOneBatch(partition).then(
        () => false,
        (error: unknown) => {
          if (error instanceof SimulatedCrash) return true;
          throw error;
        },
      );
      test.crashAfter(undefined);
      // The batch committed when the crash came after commitOffsets; otherwise the retry finishes it.
      if (crashed && step.crash !== 'commitOffsets') await test.runOneBatch(partition);
    }
    if (step.kind === 'replay' && faults) {
      const partition = PARTITIONS[step.partition]!;
      const store = test.checkpointsOf(partition);
      const committed = (await store.load())?.committed;
      if (committed === undefined) continue;
      const before = test.batchOutput(committed.batchId);
      store.reopenLastBatch();
      test.stop();
      const outcome = await test.runOneBatch(partition);
      replayed.push({ before, after: outcome?.output ?? [] });
    }
  }
  await test.processAllAvailable();
  return { test, replayed };
}

const windowKey = (row: Row) => `${row.key}@${(row.window as { start: number }).start}`;

describe('query-wide watermark properties', () => {
  for (const policy of ['max', 'min'] as const) {
    it(`${policy}: crashes after any phase and replays of any partition's last batch change nothing`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(stepArbitrary, { minLength: 1, maxLength: 25 }), async (steps) => {
          const clean = await run(steps, policy, false);
          const faulty = await run(steps, policy, true);
          for (const { before, after } of faulty.replayed) expect(after).toEqual(before);
          expect(faulty.test.sink.batchIds()).toEqual(clean.test.sink.batchIds());
          for (const id of clean.test.sink.batchIds()) {
            expect(faulty.test.batchOutput(id)).toEqual(clean.test.batchOutput(id));
          }
          expect(faulty.test.stateSnapshot()).toEqual(clean.test.stateSnapshot());

          // Append: each window once, with no more rows than were sent for it.
          const emitted = clean.test.allOutput();
          expect(new Set(emitted.map(windowKey)).size).toBe(emitted.length);
          const sent = steps.flatMap((step) => (step.kind === 'add' ? step.rows : []));
          for (const row of emitted) {
            const { start } = row.window as { start: number };
            const inWindow = sent.filter((e) => e.key === row.key && e.ts >= start && e.ts < start + 10_000);
            expect(row.n).toBeLessThanOrEqual(inWindow.length);
          }
        }),
        options(),
      );
    });
  }

  it('max: once drained, every partition ran with the same watermark, the highest event time − delay', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(eventArbitrary, { minLength: 1, maxLength: 30 }), async (rows) => {
        const { events, test } = newTest('max');
        add(events, rows);
        await test.processAllAvailable();
        const last = PARTITIONS.map((p) => test.progress.filter((q) => q.partition === p).at(-1));
        // The watermark starts at 0 and never goes below it.
        const watermark = Math.max(0, Math.max(...rows.map((r) => r.ts)) - 5_000);
        const expected = new Date(watermark).toISOString();
        for (const progress of last) {
          if (progress !== undefined) expect(progress.eventTime.watermark).toBe(expected);
        }
        // Every window whose end the watermark passed was emitted, with all of its rows (none was late).
        const expectedWindows = new Map<string, number>();
        for (const row of rows) {
          const start = Math.floor(row.ts / 10_000) * 10_000;
          if (start + 10_000 > watermark) continue;
          const key = `${row.key}@${start}`;
          expectedWindows.set(key, (expectedWindows.get(key) ?? 0) + 1);
        }
        expect(new Map(test.allOutput().map((row) => [windowKey(row), row.n]))).toEqual(expectedWindows);
      }),
      options(),
    );
  });
});
