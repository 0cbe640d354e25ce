import type { Context, KinesisStreamBatchResponse } from 'aws-lambda';
import { kinesisHandler, type StateBackend } from '../../../engine/aws/lambda/kinesis-handler.js';
import type { ManualClock, QueryDefinition } from '../../../engine/index.js';
import type { BatchRecorder } from './batch-recorder.js';
import type { IndexRange } from './fault-choice.js';
import { type FaultEnv, SDK_MAX_ATTEMPTS } from './fault-env.js';
import { drain, inScope, type Tamper } from './fault-middleware.js';
import { type InterleaveMode, Interleaver, type Party } from './interleaver.js';
import { type Fault, InvocationFaults } from './invocation-faults.js';
import type { Prng } from './prng.js';
import type { ShardFeed } from './shard-feed.js';

/** What every invocation of one run shares. */
export interface RunContext {
  readonly env: FaultEnv;
  readonly query: QueryDefinition;
  readonly prefix: string;
  readonly clock: ManualClock;
  readonly recorder: BatchRecorder;
  readonly tamper?: Tamper;
  /** The state backend of the run's handler. */
  readonly state: StateBackend;
  /** A two-stage query's internal stream (the handler runs stage 2 for its records). */
  readonly exchangeStream?: string;
  /** Where a feed's batches are recorded when not `recorder` (each stage has its own batch ids). */
  readonly recorderOf?: (feed: ShardFeed) => BatchRecorder;
}

/** One invocation of a step: its faults and, for a zombie step, the second invocation's. */
export interface StepSpec {
  readonly faults: readonly Fault[];
  /** Faults of a concurrent second invocation of the same event; none runs when absent. */
  readonly zombie?: readonly Fault[];
  /** Picks the interleaving of the two invocations' calls. */
  readonly gateRng?: Prng;
  /** How the calls interleave (see {@link Interleaver}). @default evenly */
  readonly interleave?: InterleaveMode;
  /** Batches the handler may start before "time runs out". @default unlimited */
  readonly batchesAllowed?: number;
}

export interface StepResult {
  readonly response: KinesisStreamBatchResponse;
  /** Fault labels that fired in the invocation. */
  readonly fired: readonly string[];
  /** Fault labels that fired in the zombie. */
  readonly zombieFired: readonly string[];
}

/**
 * A Lambda context whose remaining time stays high for `batches` checks and is then below any
 * reserve: the handler starts at most that many batches, as when the function runs out of time.
 */
function contextAllowing(batches: number): Context {
  let checks = 0;
  return { getRemainingTimeInMillis: () => (checks++ < batches ? 60_000 : 0) } as Context;
}

/**
 * Invokes the query's handler on an event of the shard, as a fresh execution environment would
 * (a new handler per invocation: after a crash Lambda starts a new one), with faults injected
 * into its SDK calls and phase hook. Waits for every call the invocation started to settle.
 */
export async function invokeStep(
  run: RunContext,
  feed: ShardFeed,
  range: IndexRange,
  spec: StepSpec,
): Promise<StepResult> {
  const event = feed.event(range);
  const gate =
    spec.zombie === undefined ? undefined : new Interleaver(spec.gateRng!, spec.interleave ?? { bias: 0.5 });
  const inflight = new Set<Promise<unknown>>();
  run.clock.advance(1000);
  const invokeOne = async (faultList: readonly Fault[], party: Party) => {
    const faults = new InvocationFaults(faultList, SDK_MAX_ATTEMPTS);
    const recorder = run.recorderOf?.(feed) ?? run.recorder;
    const handler = kinesisHandler(run.query, {
      ...(run.exchangeStream === undefined ? {} : { exchangeStream: run.exchangeStream }),
      clients: run.env.clients,
      tableName: run.env.tableName,
      bucket: run.env.bucket,
      prefix: run.prefix,
      state: run.state,
      clock: run.clock,
      hook: (phase, batch) => {
        recorder.observe(feed.shardId, batch);
        faults.afterPhase(phase);
      },
    });
    const scope = {
      faults,
      inflight,
      party,
      ...(gate === undefined ? {} : { gate }),
      ...(run.tamper === undefined ? {} : { tamper: run.tamper }),
    };
    try {
      const context = contextAllowing(spec.batchesAllowed ?? Number.POSITIVE_INFINITY);
      // A handler that throws (a two-stage handler whose internal-stream listing failed) is a
      // function error: Lambda retries the whole event, as a failure of its first record says.
      const response = await inScope(scope, () => handler(event, context)).catch(
        (): KinesisStreamBatchResponse => ({
          batchItemFailures: [{ itemIdentifier: event.Records[0]!.kinesis.sequenceNumber }],
        }),
      );
      return { response, fired: faults.fired };
    } finally {
      gate?.finished(party);
    }
  };
  const results = await Promise.all([
    invokeOne(spec.faults, 'invocation'),
    ...(spec.zombie === undefined ? [] : [invokeOne(spec.zombie, 'zombie')]),
  ]);
  await drain(inflight);
  return { response: results[0]!.response, fired: results[0]!.fired, zombieFired: results[1]?.fired ?? [] };
}
