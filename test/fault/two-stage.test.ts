import { afterAll, beforeAll, expect, it } from 'vitest';
import { type FaultEnv, startFaultEnv } from './support/fault-env.js';
import type { Tamper } from './support/fault-middleware.js';
import {
  describeTwoStageOutcome,
  runTwoStageSchedule,
  type TwoStageOutcome,
} from './support/two-stage/two-stage-schedule.js';

/*
 * Seeded fault schedules for two-stage queries (an exchange before the operator): a count per
 * campaign and a dedup by id, of events keyed by user, with poison and malformed events. Crashes
 * around every call of either stage (the exchange's rows and marker puts included), partial puts,
 * stage 2 running between a crashed stage-1 batch and its replay, zombies, redeliveries. The
 * result, stage 2's state and both stages' dead letters must equal the fault-free run's.
 */
const SEEDS = Number(process.env.SLUICE_TWO_STAGE_SEEDS ?? 30);

let env: FaultEnv | undefined;
const outcomes: TwoStageOutcome[] = [];
beforeAll(async () => {
  env = await startFaultEnv();
});
afterAll(async () => {
  const invocations = outcomes.reduce((sum, outcome) => sum + outcome.invocations, 0);
  console.log(`fault injection, two-stage queries: ${outcomes.length} schedules, ${invocations} invocations`);
  await env?.stop();
});

for (let seed = 0; seed < SEEDS; seed++) {
  it.concurrent(`seed ${seed}: result, state and dead letters equal the fault-free run's`, async ({
    expect,
  }) => {
    const outcome = await runTwoStageSchedule(env!, seed);
    outcomes.push(outcome);
    if (outcome.problems.length > 0) expect.fail(describeTwoStageOutcome(outcome));
  });
}

it('injected every kind of fault in both stages across the seeds', () => {
  expect(outcomes).toHaveLength(SEEDS);
  const labels = outcomes.flatMap((outcome) => outcome.labels);
  const seen = (prefix: string) => labels.some((label) => label.startsWith(prefix));
  for (const prefix of [
    'crash-before:exchange.rows',
    'crash-after:exchange.rows',
    'crash-before:exchange.marker',
    'crash-after:exchange.marker',
    'partial-put-retry:',
    'partial-put-crash:',
    'stage-2:crash-',
    'stage-1:crash-phase:',
    'stage-2-after-stage-1-crash',
    'delivery:redeliver',
    'delivery:superset',
    'zombie-invocation',
    'response-ignored',
  ]) {
    expect(seen(prefix), prefix).toBe(true);
  }
  // Poison and malformed events were set aside in stage 1 of the seeds that had them.
  expect(outcomes.some((outcome) => outcome.input.mix.poison > 0)).toBe(true);
});

/** A broken exchange writer: the first row of every packed rows record never reaches stage 2. */
const dropFirstRow: Tamper = (call, input) => {
  if (call !== 'exchange.rows') return input;
  const records = input.Records as { Data: Uint8Array }[];
  return {
    ...input,
    Records: records.map((record) => {
      const decoded = JSON.parse(Buffer.from(record.Data).toString()) as { rows: unknown[] };
      return {
        ...record,
        Data: new TextEncoder().encode(JSON.stringify({ ...decoded, rows: decoded.rows.slice(1) })),
      };
    }),
  };
};

it('catches an exchange that loses rows (the check is not vacuous)', async () => {
  for (const seed of [0, 1]) {
    const outcome = await runTwoStageSchedule(env!, seed, { tamper: dropFirstRow });
    expect(outcome.problems.join('\n')).toMatch(/results differ/);
    expect(outcome.problems.join('\n')).toMatch(/stage 2 state of shardId-\d+ differs/);
  }
});
