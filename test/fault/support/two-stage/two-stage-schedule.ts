import { isDeepStrictEqual } from 'node:util';
import { S3OutputReader } from '../../../../engine/aws/s3/index.js';
import type { ExchangeOffset } from '../../../../engine/exchange/exchange-reader.js';
import { ManualClock, type QueryDefinition } from '../../../../engine/index.js';
import { planStages } from '../../../../engine/plan/exchange/plan-stages.js';
import { readWholeShard } from '../../../support/kinesis-stream.js';
import { BatchRecorder } from '../batch-recorder.js';
import { chooseDelivery, chooseFaults, type IndexRange } from '../fault-choice.js';
import { createFilledStream, deleteStream, type FaultEnv, SDK_MAX_ATTEMPTS } from '../fault-env.js';
import type { Tamper } from '../fault-middleware.js';
import { type GeneratedInput, generateInput } from '../input-generator.js';
import { invokeStep, type RunContext, type StepSpec } from '../invoke.js';
import { canonical, readCheckpoint, readOutputs, readState } from '../observed-results.js';
import { Prng } from '../prng.js';
import { ShardFeed, shardProgress } from '../shard-feed.js';
import {
  expectedResult,
  resultLine,
  TWO_STAGE_KINDS,
  type TwoStageKind,
  twoStageQuery,
} from './two-stage-queries.js';

const PREFIX = 'faults2';
/** Fault-free invocations before a run is declared stuck (a liveness failure). */
const MAX_CLEAN_STEPS = 300;
let runs = 0;

/** One run of a two-stage query: its handler's context, its feeds and its internal stream. */
interface TwoStageRun {
  readonly context: RunContext;
  readonly stageOne: BatchRecorder;
  readonly stageTwo: BatchRecorder;
  readonly source: readonly ShardFeed[];
  /** The internal stream's shards, re-read before each use (stage 1 keeps putting into them). */
  internal: ShardFeed[];
  readonly internalStream: string;
  readonly internalShards: readonly string[];
}

/** What one seed did. */
export interface TwoStageOutcome {
  readonly kind: TwoStageKind;
  readonly seed: number;
  readonly input: GeneratedInput;
  readonly steps: readonly string[];
  readonly labels: readonly string[];
  readonly invocations: number;
  readonly problems: readonly string[];
}

/** The seed's query shape: seeds alternate between the two. */
export const kindOfSeed = (seed: number): TwoStageKind => TWO_STAGE_KINDS[seed % TWO_STAGE_KINDS.length]!;

/**
 * One seed: a fresh source stream with the generated input (poison events included), a faulty run
 * and a fault-free run of the same two-stage query (each with its own name and internal stream),
 * then the comparison: the stage-2 result, every stage-2 shard's state and every stage's dead
 * letters must be equal, the result must equal the one computed from the input, and no batch of
 * either stage may be left pending or unapplied.
 */
export async function runTwoStageSchedule(
  env: FaultEnv,
  seed: number,
  options: { readonly tamper?: Tamper } = {},
): Promise<TwoStageOutcome> {
  const kind = kindOfSeed(seed);
  const rng = new Prng(Math.imul(seed + 1, 0x2545f491) ^ 0x5bd1e995);
  // The sessions input: events keyed by `key`, with poison events and every kind of malformed record.
  const input = generateInput(rng, 'sessions');
  const name = `${kind}-s${seed}-r${++runs}`;
  const sourceStream = `fault2-${name}`;
  const internalShards = rng.chance(0.5) ? 1 : 2;
  const { shards } = await createFilledStream(env.clients.kinesis, sourceStream, input.shards, input.entries);
  const state = seed % 4 < 2 ? 's3' : 'dynamodb';
  const problems: string[] = [];
  const log = { steps: [] as string[], labels: [] as string[], invocations: 0 };
  const faulty = await startRun(env, kind, name, sourceStream, shards, internalShards, state, options.tamper);
  const reference = await startRun(env, kind, `${name}-ref`, sourceStream, shards, internalShards, state);
  try {
    try {
      await simulateFaults(faulty, rng, log);
      await finishCleanly(faulty, log);
    } catch (error) {
      problems.push(`the faulty run failed: ${(error as Error).stack ?? error}`);
    }
    try {
      await finishCleanly(reference, { steps: [], labels: [], invocations: 0 });
    } catch (error) {
      problems.push(`the reference run failed: ${(error as Error).stack ?? error}`);
    }
    problems.push(...(await compareTwoStageRuns(env, kind, input, faulty, reference)));
  } finally {
    await Promise.all(
      [sourceStream, faulty.internalStream, reference.internalStream].map((stream) =>
        deleteStream(env.clients.kinesis, stream),
      ),
    );
  }
  return { kind, seed, input, ...log, problems };
}

async function startRun(
  env: FaultEnv,
  kind: TwoStageKind,
  name: string,
  sourceStream: string,
  shards: readonly { shardId: string; records: ShardFeed['records'] }[],
  internalShardCount: number,
  state: 's3' | 'dynamodb',
  tamper?: Tamper,
): Promise<TwoStageRun> {
  const internalStream = `fault2-${name}-exchange`;
  const internal = await createFilledStream(env.clients.kinesis, internalStream, internalShardCount, []);
  const stageOne = new BatchRecorder();
  const stageTwo = new BatchRecorder();
  const context: RunContext = {
    env,
    state,
    query: twoStageQuery(kind, name),
    prefix: PREFIX,
    clock: new ManualClock(Date.UTC(2024, 0, 1, 12)),
    recorder: stageOne,
    exchangeStream: internalStream,
    recorderOf: (feed) => (feed.stream === internalStream ? stageTwo : stageOne),
    ...(tamper === undefined ? {} : { tamper }),
  };
  return {
    context,
    stageOne,
    stageTwo,
    source: shards
      .filter((shard) => shard.records.length > 0)
      .map((shard) => new ShardFeed(sourceStream, shard.shardId, shard.records)),
    internal: internal.shards.map((shard) => new ShardFeed(internalStream, shard.shardId, [])),
    internalStream,
    internalShards: internal.shards.map((shard) => shard.shardId),
  };
}

/** Re-reads an internal shard (keeping Lambda's position and last event in it). */
async function refresh(run: TwoStageRun, index: number): Promise<ShardFeed> {
  const old = run.internal[index]!;
  const records = await readWholeShard(run.context.env.clients.kinesis, old.stream, old.shardId);
  const feed = new ShardFeed(old.stream, old.shardId, records);
  feed.position = Math.min(old.position, records.length);
  if (old.last !== undefined) feed.last = old.last;
  run.internal[index] = feed;
  return feed;
}

const stageOneName = (run: TwoStageRun) => `${run.context.query.name}.stage-1`;

/**
 * Where stage 2 stands on an internal shard: the record after its committed position, and done
 * (nothing pending, and every end-of-batch marker the shard holds is applied: later copies of an
 * applied batch, re-put by a stage-1 replay, are duplicates it never needs).
 */
async function internalProgress(run: TwoStageRun, feed: ShardFeed) {
  const checkpoint = await readCheckpoint(run.context.env, run.context.query.name, feed.shardId);
  const offset = Object.values(checkpoint?.committed?.endOffsets ?? {})[0] as ExchangeOffset | undefined;
  const applied = offset?.applied ?? {};
  const unapplied = feed.records.some((record) => {
    const decoded = JSON.parse(Buffer.from(record.Data!).toString()) as {
      kind: string;
      origin: string;
      batchId: number;
    };
    return decoded.kind === 'marker' && decoded.batchId > (applied[decoded.origin] ?? -1);
  });
  return {
    resumeAt: offset?.pos === undefined ? 0 : feed.indexOf(offset.pos) + 1,
    done: checkpoint?.pending === undefined && !unapplied,
  };
}

/**
 * The faulty part: 3–10 invocations of either stage, each as the event source mapping might make
 * it (next records, redelivery, halves, supersets), with a crash before/after any call (the
 * exchange's rows and marker puts included) or after a phase, throttling, partial puts of the
 * exchange, a zombie twin invocation, time running out, and ignored responses. After a stage-1
 * invocation crashed, stage 2 often runs next: it applies what the crashed batch put, and the
 * replay of that batch re-puts it.
 */
async function simulateFaults(
  run: TwoStageRun,
  rng: Prng,
  log: { steps: string[]; labels: string[]; invocations: number },
): Promise<void> {
  const budget = rng.int(3, 10);
  let stageTwoNext = false;
  for (let step = 0; step < budget; step++) {
    const refreshed = await Promise.all(run.internal.map((_, i) => refresh(run, i)));
    const readyInternal = refreshed.filter((feed) => feed.size > 0);
    const internal: boolean = readyInternal.length > 0 && (stageTwoNext || rng.chance(0.4));
    const feed = internal ? rng.pick(readyInternal) : rng.pick(run.source);
    const resumeAt = internal
      ? (await internalProgress(run, feed)).resumeAt
      : (await shardProgress(run.context.env, stageOneName(run), feed)).resumeAt;
    const delivery = chooseDelivery(rng, feed, Math.min(resumeAt, feed.size - 1));
    const spec: StepSpec = {
      faults: chooseFaults(rng, SDK_MAX_ATTEMPTS, { partialPuts: !internal }),
      ...(rng.chance(0.2)
        ? {
            zombie: rng.chance(0.5) ? chooseFaults(rng, SDK_MAX_ATTEMPTS, { partialPuts: !internal }) : [],
            gateRng: rng.fork(),
            interleave: rng.pick([{ bias: 0.5 }, { bias: 0.9 }, { bias: 0.1 }]),
          }
        : {}),
      ...(rng.chance(0.1) ? { batchesAllowed: rng.int(0, 2) } : {}),
    };
    const honoured = rng.chance(0.75);
    const stage = internal ? 'stage-2' : 'stage-1';
    const labels = [
      `${stage}:step`,
      ...(stageTwoNext && internal ? ['stage-2-after-stage-1-crash'] : []),
      ...(delivery.kind === 'next' ? [] : [`delivery:${delivery.kind}`]),
      ...(spec.zombie === undefined ? [] : ['zombie-invocation']),
      ...(spec.batchesAllowed === undefined ? [] : ['time-runs-out']),
      ...(honoured ? [] : ['response-ignored']),
    ];
    const fired = await deliver(
      run,
      feed,
      delivery.range,
      spec,
      honoured,
      `faulty ${delivery.kind}`,
      labels,
      log,
    );
    stageTwoNext = !internal && fired.some((label) => label.includes('crash')) && rng.chance(0.6);
  }
}

/** Fault-free invocations until every source record is committed and stage 2 applied everything. */
async function finishCleanly(
  run: TwoStageRun,
  log: { steps: string[]; labels: string[]; invocations: number },
): Promise<void> {
  for (let step = 0; ; step++) {
    if (step >= MAX_CLEAN_STEPS)
      throw new Error(`no progress after ${MAX_CLEAN_STEPS} fault-free invocations`);
    const sources = await Promise.all(
      run.source.map((feed) => shardProgress(run.context.env, stageOneName(run), feed)),
    );
    const open = sources.findIndex((progress) => !progress.done);
    if (open >= 0) {
      const feed = run.source[open]!;
      const from = Math.min(feed.position, sources[open]!.resumeAt, feed.size - 1);
      await deliver(run, feed, { from, to: feed.size - 1 }, { faults: [] }, true, 'clean', [], log);
      continue;
    }
    let delivered = false;
    for (let i = 0; i < run.internal.length && !delivered; i++) {
      const feed = await refresh(run, i);
      if (feed.size === 0) continue;
      const progress = await internalProgress(run, feed);
      if (progress.done) continue;
      const from = Math.min(feed.position, progress.resumeAt, feed.size - 1);
      await deliver(run, feed, { from, to: feed.size - 1 }, { faults: [] }, true, 'clean', [], log);
      delivered = true;
    }
    if (!delivered) break;
  }
  // One redelivery of each shard's last record, as Lambda may do: nothing may change.
  for (const feed of [...run.source, ...run.internal.filter((one) => one.size > 0)]) {
    const range = { from: feed.size - 1, to: feed.size - 1 };
    await deliver(run, feed, range, { faults: [] }, true, 'final redelivery', [], log);
  }
}

async function deliver(
  run: TwoStageRun,
  feed: ShardFeed,
  range: IndexRange,
  spec: StepSpec,
  honoured: boolean,
  what: string,
  labels: readonly string[],
  log: { steps: string[]; labels: string[]; invocations: number },
): Promise<string[]> {
  const result = await invokeStep(run.context, feed, range, spec);
  const stage = feed.stream === run.internalStream ? 'stage-2' : 'stage-1';
  const fired = [...result.fired, ...result.zombieFired];
  log.invocations += spec.zombie === undefined ? 1 : 2;
  log.labels.push(...labels, ...fired, ...fired.map((label) => `${stage}:${label}`));
  const failure = result.response.batchItemFailures[0]?.itemIdentifier;
  const resumeAt = failure === undefined ? range.to + 1 : feed.indexOf(failure);
  feed.last = range;
  if (honoured) feed.position = resumeAt;
  log.steps.push(
    `${stage} ${feed.shardId} [${range.from}..${range.to}] ${what}` +
      (spec.faults.length > 0 ? ` faults=${JSON.stringify(spec.faults)}` : '') +
      (spec.zombie === undefined ? '' : ` zombie=${JSON.stringify(spec.zombie)}`) +
      (spec.batchesAllowed === undefined ? '' : ` batchesAllowed=${spec.batchesAllowed}`) +
      ` fired=[${fired.join(', ')}] → resume at ${failure === undefined ? 'next' : resumeAt}` +
      (honoured ? '' : ' (ignored)'),
  );
  return fired;
}

/** Every manifested dead letter of a stage, without its batch id (which differs between runs). */
async function deadLettersOf(env: FaultEnv, query: string): Promise<string[]> {
  const outputs = await readOutputs(env, query, PREFIX);
  return [...outputs.values()].flatMap((output) => output.deadLetters).sort();
}

async function compareTwoStageRuns(
  env: FaultEnv,
  kind: TwoStageKind,
  input: GeneratedInput,
  faulty: TwoStageRun,
  reference: TwoStageRun,
): Promise<string[]> {
  const problems = [
    ...faulty.stageOne.conflicts.map((conflict) => `faulty stage 1: ${conflict}`),
    ...faulty.stageTwo.conflicts.map((conflict) => `faulty stage 2: ${conflict}`),
  ];
  const resultOf = async (run: TwoStageRun) => {
    const reader = new S3OutputReader({
      client: env.clients.s3,
      bucket: env.bucket,
      prefix: PREFIX,
      query: run.context.query.name,
    });
    const rows = await reader.readRows({ view: kind === 'campaign-count' ? 'table' : 'log' });
    return rows.map((row) => resultLine(kind, row)).sort();
  };
  const [ours, theirs] = await Promise.all([resultOf(faulty), resultOf(reference)]);
  const expected = expectedResult(kind, input.entries);
  if (!isDeepStrictEqual(ours, theirs))
    problems.push(`results differ:\n    faulty    ${ours.join(' ')}\n    reference ${theirs.join(' ')}`);
  if (!isDeepStrictEqual(theirs, expected))
    problems.push(
      `the reference result is not the input's:\n    reference ${theirs.join(' ')}\n    expected  ${expected.join(' ')}`,
    );
  for (const stage of ['.stage-1', ''] as const) {
    const [mine, ref] = await Promise.all([
      deadLettersOf(env, `${faulty.context.query.name}${stage}`),
      deadLettersOf(env, `${reference.context.query.name}${stage}`),
    ]);
    if (!isDeepStrictEqual(mine, ref))
      problems.push(
        `stage ${stage === '' ? 2 : 1} dead letters differ:\n    faulty    ${mine.join('\n              ')}\n    reference ${ref.join('\n              ')}`,
      );
  }
  // Stage 2's state, shard by shard (both runs route a key to the same internal partition).
  const stageTwoOf = (run: TwoStageRun): QueryDefinition => planStages(run.context.query).stages[1]!.query;
  for (const [i, shard] of faulty.internalShards.entries()) {
    const [mine, ref] = await Promise.all([
      readState(env, { query: stageTwoOf(faulty), prefix: PREFIX, state: faulty.context.state }, shard),
      readState(
        env,
        { query: stageTwoOf(reference), prefix: PREFIX, state: reference.context.state },
        reference.internalShards[i]!,
      ),
    ]);
    if (!isDeepStrictEqual(mine, ref))
      problems.push(
        `stage 2 state of ${shard} differs: faulty ${canonical([...mine])} reference ${canonical([...ref])}`,
      );
  }
  // Nothing left pending or unapplied in either stage of the faulty run.
  for (const feed of faulty.source) {
    const progress = await shardProgress(env, stageOneName(faulty), feed);
    if (!progress.done)
      problems.push(`stage 1 ${feed.shardId}: not every record committed, or a batch pending`);
  }
  for (const [i] of faulty.internal.entries()) {
    const feed = await refresh(faulty, i);
    if (feed.size > 0 && !(await internalProgress(faulty, feed)).done)
      problems.push(
        `stage 2 ${feed.shardId}: the internal shard is not applied to its end, or a batch is pending`,
      );
  }
  return problems;
}

/** Everything needed to understand a failed seed. */
export function describeTwoStageOutcome(outcome: TwoStageOutcome): string {
  return [
    `seed ${outcome.seed} ('${outcome.kind}', two stages) failed the exactly-once check`,
    `input: ${outcome.input.entries.length} records on ${outcome.input.shards} shard(s), ${JSON.stringify(outcome.input.mix)}`,
    'schedule:',
    ...outcome.steps.map((step, i) => `  ${String(i).padStart(3)} ${step}`),
    'differences:',
    ...outcome.problems.slice(0, 30).map((problem) => `  - ${problem}`),
  ].join('\n');
}
