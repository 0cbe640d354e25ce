import type { CallKind } from './call-kinds.js';
import { chooseDelivery, chooseFaults, type IndexRange } from './fault-choice.js';
import { SDK_MAX_ATTEMPTS } from './fault-env.js';
import { invokeStep, type RunContext, type StepSpec } from './invoke.js';
import type { Prng } from './prng.js';
import { type ShardFeed, shardProgress } from './shard-feed.js';

/** The faulty run's history (filled as it goes, so a run that throws still shows its steps). */
export interface SimulationLog {
  readonly steps: string[];
  readonly labels: string[];
  invocations: number;
}

/**
 * Calls before which a zombie may freeze until the invocation is done. Not its state write: a
 * zombie frozen between its fence and its state write is the lagging zombie the design rules out
 * (see interleaver.ts).
 */
const FREEZE_POINTS: readonly CallKind[] = [
  'checkpoint.read',
  'batchId.allocate',
  'wal.plan',
  'state.read',
  'state.query',
  's3.data',
  's3.manifest',
  'checkpoint.commit',
];

/** Steps of the fault-free tail before the run is declared stuck (a liveness failure). */
const MAX_CLEAN_STEPS = 300;

/**
 * Simulates Lambda's Kinesis event source mapping driving the handler through faults:
 *
 * ```
 * budget = 2..8 faulty steps
 * each faulty step: pick a shard; read its checkpoint (resumeAt = after the planned/committed batch)
 *   event = next records | the last event again | its first or second half | it plus more records
 *           (never starting after resumeAt: Lambda does not skip records it was not told are done)
 *   faults = a crash before/after some call or after a phase, maybe a throttled call,
 *            maybe a zombie: a second invocation of the same event, interleaved call by call,
 *            maybe "time runs out" after 0–2 batches
 *   the response (batchItemFailures) moves Lambda's position, or is ignored (as after a process crash)
 * then fault-free steps from Lambda's position until every data record is committed,
 * then one redelivery of each shard's last record, which runs a no-data batch if one is due.
 * ```
 */
export async function simulateFaultyRun(
  run: RunContext,
  feeds: readonly ShardFeed[],
  rng: Prng,
  log: SimulationLog,
): Promise<SimulationLog> {
  const budget = rng.int(2, 8);
  for (let step = 0; step < budget; step++) {
    const feed = rng.pick(feeds);
    const progress = await shardProgress(run.env, run.query.name, feed);
    const delivery = chooseDelivery(rng, feed, progress.resumeAt);
    const spec: StepSpec = {
      faults: chooseFaults(rng, SDK_MAX_ATTEMPTS),
      ...(rng.chance(0.2)
        ? {
            zombie: rng.chance(0.5) ? chooseFaults(rng, SDK_MAX_ATTEMPTS) : [],
            gateRng: rng.fork(),
            interleave: rng.pick([
              { bias: 0.5 },
              { bias: 0.9 },
              { bias: 0.1 },
              { bias: 0.5, freezeZombieBefore: rng.pick(FREEZE_POINTS) },
            ]),
          }
        : {}),
      ...(rng.chance(0.1) ? { batchesAllowed: rng.int(0, 2) } : {}),
    };
    const honoured = rng.chance(0.75);
    const labels = [
      ...(delivery.kind === 'next' ? [] : [`delivery:${delivery.kind}`]),
      ...(spec.zombie === undefined ? [] : ['zombie-invocation']),
      ...(spec.interleave?.freezeZombieBefore === undefined
        ? []
        : [`zombie-frozen-before:${spec.interleave.freezeZombieBefore}`]),
      ...(spec.batchesAllowed === undefined ? [] : ['time-runs-out']),
      ...(honoured ? [] : ['response-ignored']),
    ];
    await deliver(run, feed, delivery.range, spec, honoured, `faulty ${delivery.kind}`, labels, log);
  }
  await finishCleanly(run, feeds, log);
  return log;
}

async function finishCleanly(run: RunContext, feeds: readonly ShardFeed[], log: SimulationLog) {
  for (let step = 0; ; step++) {
    if (step >= MAX_CLEAN_STEPS)
      throw new Error(`no progress after ${MAX_CLEAN_STEPS} fault-free invocations`);
    const progress = await Promise.all(feeds.map((feed) => shardProgress(run.env, run.query.name, feed)));
    const open = feeds.findIndex((_, i) => !progress[i]!.done);
    if (open < 0) break;
    const feed = feeds[open]!;
    const from = Math.min(feed.position, progress[open]!.resumeAt, feed.size - 1);
    // Lambda's default batch size (100) takes every remaining record of these small inputs.
    const range = { from, to: feed.size - 1 };
    await deliver(run, feed, range, { faults: [] }, true, 'clean', [], log);
  }
  for (const feed of feeds) {
    const range = { from: feed.size - 1, to: feed.size - 1 };
    await deliver(run, feed, range, { faults: [] }, true, 'final redelivery', [], log);
  }
}

async function deliver(
  run: RunContext,
  feed: ShardFeed,
  range: IndexRange,
  spec: StepSpec,
  honoured: boolean,
  what: string,
  labels: readonly string[],
  log: SimulationLog,
): Promise<void> {
  const result = await invokeStep(run, feed, range, spec);
  log.invocations += spec.zombie === undefined ? 1 : 2;
  log.labels.push(...labels, ...result.fired, ...result.zombieFired);
  const failure = result.response.batchItemFailures[0]?.itemIdentifier;
  const resumeAt = failure === undefined ? range.to + 1 : feed.indexOf(failure);
  feed.last = range;
  if (honoured) feed.position = resumeAt;
  log.steps.push(
    `${feed.shardId} [${range.from}..${range.to}] ${what}` +
      (spec.faults.length > 0 ? ` faults=${JSON.stringify(spec.faults)}` : '') +
      (spec.zombie === undefined
        ? ''
        : ` zombie=${JSON.stringify(spec.zombie)} interleave=${JSON.stringify(spec.interleave)}`) +
      (spec.batchesAllowed === undefined ? '' : ` batchesAllowed=${spec.batchesAllowed}`) +
      ` fired=[${result.fired.join(', ')}]` +
      (spec.zombie === undefined ? '' : ` zombie fired=[${result.zombieFired.join(', ')}]`) +
      ` → resume at ${failure === undefined ? 'next' : resumeAt}` +
      (honoured ? '' : ' (ignored)'),
  );
}
