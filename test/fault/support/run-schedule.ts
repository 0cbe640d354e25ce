import type { StateBackend } from '../../../engine/aws/lambda/kinesis-handler.js';
import { ManualClock } from '../../../engine/index.js';
import { BatchRecorder } from './batch-recorder.js';
import { compareRuns } from './compare-runs.js';
import { createFilledStream, deleteStream, type FaultEnv } from './fault-env.js';
import type { Tamper } from './fault-middleware.js';
import { faultQuery, QUERY_KINDS, type QueryKind } from './fault-queries.js';
import { FaultStats } from './fault-stats.js';
import { type GeneratedInput, generateInput } from './input-generator.js';
import type { RunContext } from './invoke.js';
import { type SimulationLog, simulateFaultyRun } from './lambda-simulator.js';
import { Prng } from './prng.js';
import { runReference } from './reference-run.js';
import { ShardFeed } from './shard-feed.js';

/** The result of one seed: what ran, what fired, and every difference from the reference. */
export interface ScheduleOutcome {
  readonly kind: QueryKind;
  readonly seed: number;
  readonly input: GeneratedInput;
  readonly log: SimulationLog;
  readonly problems: readonly string[];
  /** Wall time of the faulty run, the reference run and the comparison. */
  readonly timings: { readonly faultyMs: number; readonly referenceMs: number; readonly compareMs: number };
}

export interface ScheduleOptions {
  /** Breaks the faulty run's runtime on purpose (to show the check catches it). */
  readonly tamper?: Tamper;
  /** The state backend. @default 's3' for even seeds, 'dynamodb' for odd ones */
  readonly state?: StateBackend;
}

const PREFIX = 'faults';
let runs = 0;

/** The generator of a seed for a query: the same (kind, seed) is always the same schedule. */
export function scheduleRng(kind: QueryKind, seed: number): Prng {
  return new Prng(Math.imul(seed + 1, 0x9e3779b1) ^ (QUERY_KINDS.indexOf(kind) * 0x85ebca6b));
}

/**
 * Runs one seed end to end: generate the input on a fresh stream, drive the handler through the
 * seed's faults, run the fault-free reference with the committed batch boundaries, compare.
 * Each run uses its own query name (so its own checkpoint, state and outputs) in the shared table
 * and bucket.
 */
export async function runSchedule(
  env: FaultEnv,
  kind: QueryKind,
  seed: number,
  options: ScheduleOptions = {},
): Promise<ScheduleOutcome> {
  const rng = scheduleRng(kind, seed);
  const input = generateInput(rng, kind);
  const name = `${kind}-s${seed}-r${++runs}`;
  const stream = `fault-${name}`;
  const { shards } = await createFilledStream(env.clients.kinesis, stream, input.shards, input.entries);
  const feeds = shards
    .filter((shard) => shard.records.length > 0)
    .map((shard) => new ShardFeed(stream, shard.shardId, shard.records));
  const problems: string[] = [];
  // Both state backends pass the same schedules: even seeds run on S3, odd ones on DynamoDB.
  const state = options.state ?? (seed % 2 === 0 ? 's3' : 'dynamodb');
  const faulty: RunContext = {
    env,
    state,
    query: faultQuery(kind, name),
    prefix: PREFIX,
    clock: new ManualClock(Date.UTC(2024, 0, 1, 12)),
    recorder: new BatchRecorder(),
    ...(options.tamper === undefined ? {} : { tamper: options.tamper }),
  };
  let log: SimulationLog = { steps: [], labels: [], invocations: 0 };
  const started = performance.now();
  try {
    log = await simulateFaultyRun(faulty, feeds, rng, log);
  } catch (error) {
    problems.push(`the faulty run failed: ${(error as Error).stack ?? error}`);
  }
  const faultyDone = performance.now();
  const reference: RunContext = {
    env,
    state,
    query: faultQuery(kind, `${name}-ref`),
    prefix: PREFIX,
    clock: new ManualClock(Date.UTC(2024, 0, 1, 12)),
    recorder: new BatchRecorder(),
  };
  problems.push(...(await runReference(reference, feeds, (shard) => faulty.recorder.batchesOf(shard))));
  const referenceDone = performance.now();
  problems.push(...(await compareRuns(env, feeds, faulty, reference)));
  const timings = {
    faultyMs: faultyDone - started,
    referenceMs: referenceDone - faultyDone,
    compareMs: performance.now() - referenceDone,
  };
  await deleteStream(env.clients.kinesis, stream);
  return { kind, seed, input, log, problems, timings };
}

/** Everything needed to understand and replay a failed seed. */
export function describeOutcome(outcome: ScheduleOutcome): string {
  const { kind, seed, input, log } = outcome;
  return [
    `seed ${seed} of '${kind}' failed the exactly-once check (replay: npm run test:faults -- --query ${kind} --seed ${seed} --verbose)`,
    `input: ${input.entries.length} records on ${input.shards} shard(s), ${JSON.stringify(input.mix)}`,
    'schedule:',
    ...log.steps.map((step, i) => `  ${String(i).padStart(3)} ${step}`),
    'differences:',
    ...outcome.problems.slice(0, 30).map((problem) => `  - ${problem}`),
  ].join('\n');
}

/** Adds an outcome to the statistics. */
export function countOutcome(stats: FaultStats, outcome: ScheduleOutcome): void {
  stats.schedules++;
  stats.invocations += outcome.log.invocations;
  stats.add(outcome.log.labels);
}

export { FaultStats };
