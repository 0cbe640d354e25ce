import { afterAll, beforeAll, expect, it } from 'vitest';
import { type FaultEnv, startFaultEnv } from './fault-env.js';
import type { QueryKind } from './fault-queries.js';
import { countOutcome, describeOutcome, FaultStats, runSchedule } from './run-schedule.js';

/** Seeds per query in `npm test` (four queries: 200 schedules). */
export const SEEDS_PER_QUERY = 50;

/**
 * Declares one test per seed for a query, sharing one emulator set, and prints the schedules run
 * and faults injected by kind when the file is done. A failing seed's message holds its
 * schedule and the differences found, and names the command that replays it.
 */
export function defineFaultSuite(kind: QueryKind, seeds = SEEDS_PER_QUERY): void {
  let env: FaultEnv | undefined;
  const stats = new FaultStats();
  beforeAll(async () => {
    env = await startFaultEnv();
  });
  afterAll(async () => {
    console.log(stats.summary(`fault injection, query '${kind}'`));
    await env?.stop();
  });

  // Schedules are independent (own query name, stream and generator), so they run concurrently:
  // while one waits for an emulator (in other processes) another computes.
  for (let seed = 0; seed < seeds; seed++) {
    it.concurrent(`seed ${seed}: the manifested output and the state equal the fault-free run with the same batches`, async ({
      expect,
    }) => {
      const outcome = await runSchedule(env!, kind, seed);
      countOutcome(stats, outcome);
      if (outcome.problems.length > 0) expect.fail(describeOutcome(outcome));
    });
  }

  it('injected every kind of fault across the seeds', () => {
    expect(stats.schedules).toBe(seeds);
    for (const prefix of [
      'crash-before:',
      'crash-after:',
      'crash-phase:',
      'throttle-retried:',
      'throttle-exhausted:',
      'delivery:redeliver',
      'delivery:first-half',
      'delivery:second-half',
      'delivery:superset',
      'zombie-invocation',
      'response-ignored',
    ]) {
      expect(stats.labels(prefix), prefix).not.toEqual([]);
    }
    // Crashes hit the protocol's key writes on both sides of the call.
    for (const call of ['wal.plan', 'state.write', 's3.manifest', 'checkpoint.commit']) {
      expect(stats.count(`crash-before:${call}`) + stats.count(`crash-after:${call}`), call).toBeGreaterThan(
        0,
      );
    }
  });
}
