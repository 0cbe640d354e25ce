/**
 * Property-based tests of the windowed aggregation against a batch reference and an independent
 * model of Spark's watermark rules (./watermark-model.ts), over random events, windows, delays,
 * batch cut points, restarts, crashes and replays.
 *
 * A failure prints fast-check's seed and path; rerun exactly that case with
 * `FC_SEED=<seed> FC_PATH=<path> npx vitest run test/engine/properties`, or search longer with
 * `FC_NUM_RUNS=2000`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Row } from '../../../engine/index.js';
import { type ModelBatch, simulateWatermark } from './watermark-model.js';
import {
  type Event,
  groupIdOf,
  latestPerGroup,
  referenceRow,
  referenceTable,
  sortRows,
} from './windowed-reference.js';
import { BATCH_PHASES, runScenario, type Scenario, scenarioArbitrary } from './windowed-scenarios.js';

const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 100);
const modeArbitrary = fc.constantFrom('append' as const, 'update' as const, 'complete' as const);

const options = (): fc.Parameters<unknown> => ({
  numRuns: NUM_RUNS,
  ...(process.env.FC_SEED === undefined ? {} : { seed: Number(process.env.FC_SEED) }),
  ...(process.env.FC_PATH === undefined ? {} : { path: process.env.FC_PATH }),
});

const modelOf = (scenario: Scenario): ModelBatch<Event>[] =>
  simulateWatermark(scenario.triggers, scenario.window, scenario.delayMs);

const expectedRows = (scenario: Scenario, groups: ModelBatch<Event>['appendOutput']): Row[] =>
  sortRows(groups.map((group) => referenceRow(group, scenario.window)));

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('windowed aggregation properties', () => {
  it('complete mode: every batch emits the reference table over all rows so far', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArbitrary, async (scenario) => {
        const { batches, test } = await runScenario(scenario, 'complete');
        const chunks = scenario.triggers.flat();
        expect(batches).toHaveLength(chunks.length); // complete mode never runs a no-data batch
        for (const [i, output] of batches.entries()) {
          const soFar = chunks.slice(0, i + 1).flat();
          expect(sortRows(output)).toEqual(referenceTable(soFar, scenario.window));
        }
        expect(sortRows(batches.at(-1)!)).toEqual(referenceTable(scenario.events, scenario.window));
        expect(test.progress.every((p) => p.stateOperators[0]!.numRowsDroppedByWatermark === 0)).toBe(true);
        // With at most 8 distinct users, which land in distinct HLL registers, the estimate is exact.
        for (const row of batches.at(-1)!) {
          const users = new Set(
            scenario.events
              .filter(
                (e) => e.key === row.key && inWindow(e.ts, row.window as { start: number; end: number }),
              )
              .map((e) => e.user),
          );
          expect(row.users).toBe(users.size);
        }
      }),
      options(),
    );
  });

  it('append mode: output equals the watermark model, each window once, in the batch it closes', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArbitrary, async (scenario) => {
        const model = modelOf(scenario);
        const { batches, allOutput, test } = await runScenario(scenario, 'append');
        const expectedUnion = expectedRows(
          scenario,
          model.flatMap((batch) => batch.appendOutput),
        );
        expect(sortRows(allOutput)).toEqual(expectedUnion);
        expect(new Set(allOutput.map(groupIdOf)).size).toBe(allOutput.length);
        expect(test.sink.batchIds()).toEqual(range(model.length));
        for (const [i, batch] of model.entries()) {
          expect(sortRows(batches[i]!)).toEqual(expectedRows(scenario, batch.appendOutput));
          const progress = test.progress[i]!;
          expect(progress.isNoDataBatch).toBe(batch.isNoDataBatch);
          expect(progress.eventTime.watermark).toBe(new Date(batch.watermarkMs).toISOString());
          expect(progress.stateOperators[0]!.numLateInputRows).toBe(batch.droppedPairs);
          expect(progress.stateOperators[0]!.numRowsDroppedByWatermark).toBe(batch.droppedGroups);
        }
      }),
      options(),
    );
  });

  it('update mode: the newest row per window equals the reference over the rows not dropped as late', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArbitrary, async (scenario) => {
        const model = modelOf(scenario);
        const { batches, allOutput, test } = await runScenario(scenario, 'update');
        const lastPerGroup = new Map<string, ModelBatch<Event>['updateOutput'][number]>();
        for (const batch of model)
          for (const group of batch.updateOutput) lastPerGroup.set(`${group.start}|${group.key}`, group);
        expect(latestPerGroup(allOutput)).toEqual(expectedRows(scenario, [...lastPerGroup.values()]));
        expect(test.sink.batchIds()).toEqual(range(model.length));
        for (const [i, batch] of model.entries()) {
          expect(sortRows(batches[i]!)).toEqual(expectedRows(scenario, batch.updateOutput));
          expect(test.progress[i]!.stateOperators[0]!.numLateInputRows).toBe(batch.droppedPairs);
          expect(test.progress[i]!.stateOperators[0]!.numRowsDroppedByWatermark).toBe(batch.droppedGroups);
        }
        // Closed windows were evicted silently: state holds as many groups as windows still open.
        const finalWatermark = model.at(-1)!.watermarkMs;
        const open = [...lastPerGroup.values()].filter(
          (g) => g.start + scenario.window.durationMs > finalWatermark,
        );
        expect(Object.keys(Object.values(test.stateSnapshot())[0] ?? {})).toHaveLength(open.length);
      }),
      options(),
    );
  });

  it('replay: re-running the last batch gives the same output and the same state', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArbitrary, modeArbitrary, fc.nat(), async (scenario, mode, pick) => {
        const replayAt = pick % scenario.triggers.length;
        let replayed = false;
        const run = await runScenario(scenario, mode, {
          afterStep: async (test, step) => {
            if (step !== replayAt) return;
            const batchId = test.progress.at(-1)!.batchId;
            const output = structuredClone(test.batchOutput(batchId));
            const state = test.stateSnapshot();
            const outcome = await test.replayLastBatch();
            expect(outcome.progress.batchId).toBe(batchId);
            expect(outcome.progress.isReplay).toBe(true);
            expect(outcome.output).toEqual(output);
            expect(test.batchOutput(batchId)).toEqual(output);
            expect(test.stateSnapshot()).toEqual(state);
            replayed = true;
          },
        });
        expect(replayed).toBe(true);
        const clean = await runScenario(scenario, mode);
        expect(run.batches).toEqual(clean.batches);
        expect(run.state).toEqual(clean.state);
      }),
      options(),
    );
  });

  it('restart: stopping and restarting at batch boundaries changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        scenarioArbitrary,
        modeArbitrary,
        fc.array(fc.boolean(), { minLength: 9, maxLength: 9 }),
        async (scenario, mode, restarts) => {
          const restartBefore = new Set(range(scenario.triggers.length).filter((step) => restarts[step]));
          const run = await runScenario(scenario, mode, { restartBefore });
          const clean = await runScenario(scenario, mode);
          expect(run.batches).toEqual(clean.batches);
          expect(run.allOutput).toEqual(clean.allOutput);
          expect(run.state).toEqual(clean.state);
        },
      ),
      options(),
    );
  });

  it('crash: a crash after any phase of any batch, then processing again, gives the output and state of a clean run', async () => {
    await fc.assert(
      fc.asyncProperty(
        scenarioArbitrary,
        modeArbitrary,
        fc.nat(),
        fc.nat(),
        fc.constantFrom(...BATCH_PHASES),
        async (scenario, mode, pickStep, pickBatch, phase) => {
          const clean = await runScenario(scenario, mode);
          const step = pickStep % scenario.triggers.length;
          const crash = { step, batch: pickBatch % clean.batchesPerStep[step]!, phase };
          const run = await runScenario(scenario, mode, { crash });
          expect(run.crashed).toBe(true);
          expect(run.batches).toEqual(clean.batches);
          expect(run.allOutput).toEqual(clean.allOutput);
          expect(run.state).toEqual(clean.state);
        },
      ),
      options(),
    );
  });
});

describe('windowed aggregation on the changelog state store (snapshots and deltas, warm cache)', () => {
  it('restarts (cold containers loading snapshot + deltas) and crashes give the output and state of a clean in-memory run', async () => {
    await fc.assert(
      fc.asyncProperty(
        scenarioArbitrary,
        modeArbitrary,
        fc.array(fc.boolean(), { minLength: 9, maxLength: 9 }),
        fc.nat(),
        fc.nat(),
        fc.constantFrom(...BATCH_PHASES),
        async (scenario, mode, restarts, pickStep, pickBatch, phase) => {
          const clean = await runScenario(scenario, mode);
          const restartBefore = new Set(range(scenario.triggers.length).filter((step) => restarts[step]));
          const step = pickStep % scenario.triggers.length;
          const crash = { step, batch: pickBatch % clean.batchesPerStep[step]!, phase };
          const run = await runScenario(scenario, mode, { restartBefore, crash, state: 'changelog' });
          expect(run.crashed).toBe(true);
          expect(run.batches).toEqual(clean.batches);
          expect(run.allOutput).toEqual(clean.allOutput);
          expect(run.state).toEqual(clean.state);
        },
      ),
      options(),
    );
  });

  it('replay: re-running the last batch from the previous committed version gives the same output and state', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArbitrary, modeArbitrary, fc.nat(), async (scenario, mode, pick) => {
        const replayAt = pick % scenario.triggers.length;
        const run = await runScenario(scenario, mode, {
          state: 'changelog',
          afterStep: async (test, step) => {
            if (step !== replayAt) return;
            const batchId = test.progress.at(-1)!.batchId;
            const output = structuredClone(test.batchOutput(batchId));
            const state = test.stateSnapshot();
            const outcome = await test.replayLastBatch();
            expect(outcome.output).toEqual(output);
            expect(test.stateSnapshot()).toEqual(state);
          },
        });
        const clean = await runScenario(scenario, mode);
        expect(run.batches).toEqual(clean.batches);
        expect(run.state).toEqual(clean.state);
      }),
      options(),
    );
  });
});

function inWindow(t: number, window: { start: number; end: number }): boolean {
  return window.start <= t && t < window.end;
}
