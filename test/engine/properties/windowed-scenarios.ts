/**
 * Random scenarios for the windowed-aggregation properties, and the harness that runs one
 * through the test kit with optional faults (restart, crash after a phase, replay).
 */
import fc from 'fast-check';
import {
  approxCountDistinct,
  avg,
  type BatchPhase,
  count,
  max,
  min,
  type OutputMode,
  type Row,
  type StateEntry,
  sum,
  window,
} from '../../../engine/index.js';
import { MemoryStream, SimulatedCrash, StreamTest } from '../../../engine/testkit/index.js';
import type { ModelWindow } from './watermark-model.js';
import { APPROX_RSD, type Event } from './windowed-reference.js';

/** One random run: a window, a watermark delay, and events cut into chunks and triggers. */
export interface Scenario {
  readonly window: ModelWindow;
  readonly delayMs: number;
  /** Each trigger is the chunks added (one `addData` each) before one `processAllAvailable`. */
  readonly triggers: readonly (readonly Event[][])[];
  /** Every event, in arrival order. */
  readonly events: readonly Event[];
}

export const BATCH_PHASES: readonly BatchPhase[] = [
  'walCommit',
  'getBatch',
  'addBatch',
  'commitState',
  'commitOffsets',
];

const seconds = (s: number) => s * 1000;

const windowArbitrary: fc.Arbitrary<ModelWindow> = fc
  .record({ duration: fc.integer({ min: 1, max: 8 }), tumbling: fc.boolean() })
  .chain(({ duration, tumbling }) =>
    (tumbling ? fc.constant(duration) : fc.integer({ min: 1, max: duration })).chain((slide) =>
      fc.integer({ min: 0, max: slide - 1 }).map((start) => ({
        durationMs: seconds(duration),
        slideMs: seconds(slide),
        startMs: seconds(start),
      })),
    ),
  );

/** An event before its time is placed: time = 30 s + position × step + jitter (mostly behind). */
const draftArbitrary = fc.record({
  key: fc.constantFrom('a', 'b', 'c', 'd'),
  value: fc.option(fc.integer({ min: -20, max: 20 }), { nil: null, freq: 6 }),
  user: fc.constantFrom('u0', 'u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7'),
  jitterMs: fc
    .tuple(fc.integer({ min: -25, max: 5 }), fc.constantFrom(0, 0, 0, -1, 1, 500))
    .map(([s, ms]) => seconds(s) + ms),
});

/**
 * Scenarios with out-of-order and late events (time drifts forward with position, jitter mostly
 * backwards), random chunk cut points (empty chunks at the ends included) and random grouping of
 * chunks into `processAllAvailable` calls.
 */
export const scenarioArbitrary: fc.Arbitrary<Scenario> = fc
  .record({
    window: windowArbitrary,
    delayMs: fc.integer({ min: 0, max: 12 }).map(seconds),
    stepMs: fc.constantFrom(0, 300, 1000, 2500),
    drafts: fc.array(draftArbitrary, { maxLength: 40, size: 'max' }),
  })
  .chain((base) =>
    fc
      .record({
        cuts: fc.uniqueArray(fc.integer({ min: 0, max: base.drafts.length }), { maxLength: 8 }),
        together: fc.array(fc.boolean(), { minLength: 9, maxLength: 9 }),
      })
      .map(({ cuts, together }): Scenario => {
        const events = base.drafts.map(
          ({ jitterMs, ...rest }, i): Event => ({ ...rest, ts: seconds(30) + i * base.stepMs + jitterMs }),
        );
        const bounds = [0, ...[...cuts].sort((a, b) => a - b), events.length];
        const chunks: Event[][] = [];
        for (let i = 1; i < bounds.length; i++) chunks.push(events.slice(bounds[i - 1], bounds[i]));
        const triggers: Event[][][] = [[chunks[0]!]];
        for (let i = 1; i < chunks.length; i++) {
          if (together[i - 1]) triggers.at(-1)!.push(chunks[i]!);
          else triggers.push([chunks[i]!]);
        }
        return { window: base.window, delayMs: base.delayMs, triggers, events };
      }),
  );

/** Faults injected into a run; step indexes refer to `Scenario.triggers`. */
export interface Interventions {
  /** Stop and restart the execution before these steps. */
  readonly restartBefore?: ReadonlySet<number>;
  /**
   * Crash after `phase` in the `batch`-th batch (0-based, no-data batches included) run for
   * `step`, then go on processing (recovery replays the batch).
   */
  readonly crash?: { readonly step: number; readonly batch: number; readonly phase: BatchPhase };
  /** Called after each step's processing. */
  readonly afterStep?: (test: StreamTest, step: number) => Promise<void>;
  /** The state store engine (`'changelog'`: every restart is a cold container). @default 'memory' */
  readonly state?: 'memory' | 'changelog';
}

/** What a run left behind. */
export interface RunResult {
  readonly test: StreamTest;
  /** Output per batch id, as the sink holds it. */
  readonly batches: readonly (readonly Row[])[];
  readonly allOutput: readonly Row[];
  readonly state: Record<string, Record<string, StateEntry>>;
  readonly crashed: boolean;
  /** Batches run per step (replays not counted). */
  readonly batchesPerStep: readonly number[];
}

/** `groupBy(window, key).agg(count, count(col), sum, min, max, avg, approxCountDistinct)` in `mode`. */
function windowedQuery(input: MemoryStream<Event>, scenario: Scenario, mode: OutputMode) {
  const { durationMs, slideMs, startMs } = scenario.window;
  return input
    .toStream()
    .withWatermark('ts', scenario.delayMs)
    .groupBy(window('ts', durationMs, slideMs, startMs), 'key')
    .agg({
      n: count(),
      nValues: count('value'),
      total: sum('value'),
      lo: min('value'),
      hi: max('value'),
      mean: avg('value'),
      users: approxCountDistinct('user', APPROX_RSD),
    })
    .writeStream.outputMode(mode)
    .build();
}

/** Runs `scenario` in `mode` through {@link StreamTest}, applying `interventions`. */
export async function runScenario(
  scenario: Scenario,
  mode: OutputMode,
  interventions: Interventions = {},
): Promise<RunResult> {
  const input = new MemoryStream<Event>('events');
  const test = new StreamTest(windowedQuery(input, scenario, mode), [input], {
    state: interventions.state ?? 'memory',
  });
  let crashed = false;
  const batchesPerStep: number[] = [];
  const crash = interventions.crash;
  for (const [step, chunks] of scenario.triggers.entries()) {
    if (interventions.restartBefore?.has(step)) test.stop().restart();
    for (const chunk of chunks) input.addData(...chunk);
    const before = test.sink.batchIds().length;
    if (crash?.step === step) {
      // One batch at a time, so that the crash can hit any batch of the step, no-data ones too.
      for (let i = 0; ; i++) {
        if (i === crash.batch) test.crashAfter(crash.phase);
        try {
          if ((await test.runOneBatch()) === undefined) break;
        } catch (error) {
          if (!(error instanceof SimulatedCrash)) throw error;
          crashed = true;
        }
      }
    } else {
      await test.processAllAvailable();
    }
    batchesPerStep.push(test.sink.batchIds().length - before);
    await interventions.afterStep?.(test, step);
  }
  const batches = test.sink.batchIds().map((id) => test.batchOutput(id));
  return { test, batches, allOutput: test.allOutput(), state: test.stateSnapshot(), crashed, batchesPerStep };
}
