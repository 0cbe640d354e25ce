import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StateBackend } from '../../engine/aws/lambda/kinesis-handler.js';
import type { CallKind } from './support/call-kinds.js';
import { type FaultEnv, startFaultEnv } from './support/fault-env.js';
import type { Tamper } from './support/fault-middleware.js';
import type { QueryKind } from './support/fault-queries.js';
import { describeOutcome, runSchedule, type ScheduleOutcome } from './support/run-schedule.js';

// The exactly-once check must be able to fail: each runtime below is broken on purpose (through
// its SDK requests), and the check must catch it within a few seeds.

let env: FaultEnv;
beforeAll(async () => {
  env = await startFaultEnv();
});
afterAll(async () => {
  await env?.stop();
});

/** A sink that is not idempotent: when a replay rewrites a data object, it appends a copy of its first row. */
function duplicatingSink(): Tamper {
  const written = new Set<string>();
  return (call: CallKind, input: Record<string, unknown>) => {
    if (call !== 's3.data') return input;
    const key = String(input.Key);
    if (!written.has(key)) {
      written.add(key);
      return input;
    }
    const text = new TextDecoder().decode(input.Body as Uint8Array);
    const body = new TextEncoder().encode(`${text}${text.split('\n')[0]}\n`);
    return { ...input, Body: body, ContentLength: body.byteLength };
  };
}

/** A state store that keeps only the current version, so a replay reads its own writes as its base. */
function unversionedState(): Tamper {
  return (call: CallKind, input: Record<string, unknown>) => {
    if (call !== 'state.write' || input.RequestItems === undefined) return input;
    const requests = input.RequestItems as Record<
      string,
      Array<{ PutRequest: { Item: Record<string, unknown> } }>
    >;
    const stripped = Object.fromEntries(
      Object.entries(requests).map(([table, writes]) => [
        table,
        writes.map(({ PutRequest: { Item } }) => {
          const { hp: _hp, p: _p, pe: _pe, ...current } = Item;
          return { PutRequest: { Item: current } };
        }),
      ]),
    );
    return { ...input, RequestItems: stripped };
  };
}

/** Runs seeds until the check fails; returns the first failing outcome. */
async function firstFailure(
  kind: QueryKind,
  tamper: () => Tamper,
  seeds: number,
  state?: StateBackend,
): Promise<ScheduleOutcome | undefined> {
  for (let seed = 0; seed < seeds; seed++) {
    const outcome = await runSchedule(env, kind, seed, {
      tamper: tamper(),
      ...(state === undefined ? {} : { state }),
    });
    if (outcome.problems.length > 0) return outcome;
  }
  return undefined;
}

describe('the exactly-once check catches a broken runtime', () => {
  it('a sink that appends a duplicate row when a batch is replayed', async () => {
    const failure = await firstFailure('window-update', duplicatingSink, 20);
    expect(failure, 'no seed caught the duplicating sink').toBeDefined();
    expect(describeOutcome(failure!)).toMatch(/rows differ \(\d+ vs \d+\)\n\s+only in the faulty run: /);
    // The same schedule with the real sink passes.
    const correct = await runSchedule(env, 'window-update', failure!.seed);
    expect(correct.problems, describeOutcome(correct)).toEqual([]);
  });

  it('a state store that does not keep the previous version for replays', async () => {
    const failure = await firstFailure('sessions', unversionedState, 20, 'dynamodb');
    expect(failure, 'no seed caught the unversioned state store').toBeDefined();
    expect(describeOutcome(failure!)).toMatch(/state of groupsWithState-0|rows differ/);
    const correct = await runSchedule(env, 'sessions', failure!.seed, { state: 'dynamodb' });
    expect(correct.problems, describeOutcome(correct)).toEqual([]);
  });
});
