import { DEFAULT_SHARD_WATERMARK, type QueryDefinition } from '../api/writer.js';
import type {
  Checkpoint,
  CheckpointStore,
  CommittedBatch,
  Offsets,
  PlannedBatch,
  PoisonedRecord,
} from '../checkpoint/checkpoint-store.js';
import { IncompatiblePlanError } from '../errors.js';
import { describePlan, firstDifference } from '../plan/fingerprint.js';
import { walkPlan } from '../plan/nodes.js';
import { floorsAbove, type WatermarkFloor } from '../reshard/watermark-floors.js';
import type { Sink } from '../sinks/sink.js';
import type { StateLimits, StateStore } from '../state/state-store.js';
import type { Clock } from '../time/clock.js';
import {
  type BatchOutcome,
  type BatchRunnerDeps,
  executeDepsOf,
  type PhaseHook,
  runPlannedBatch,
} from './batch-runner.js';
import { compileQuery, type PhysicalPlan } from './compile.js';
import type { BatchInput } from './dead-letter.js';
import { mayBeDeterministic } from './isolation/failure-kind.js';
import { isolatePoison } from './isolation/isolate-poison.js';
import { withoutPoison } from './isolation/poisoned-input.js';
import { emptyDurations } from './progress.js';
import { type BatchWatermarks, queryWatermark } from './query-watermark.js';
import { DEFAULT_MAX_STATE_BYTES_PER_GROUP, tighterLimits } from './state-limits.js';

/** Where a stream execution gets its input. Offsets are opaque to the engine. */
export interface BatchSource {
  /** End offsets of the next data batch after `committed`, or `undefined` when no new data is available. */
  nextEndOffsets(committed: Offsets): Promise<Offsets | undefined>;
  /** Rows in `(start, end]` per source, in sequence order, and the records there that failed decoding. The same range must give the same result. */
  getBatch(start: Offsets, end: Offsets): Promise<BatchInput>;
}

export interface StreamExecutionOptions {
  readonly query: QueryDefinition;
  readonly source: BatchSource;
  readonly stateStore: StateStore;
  readonly checkpoints: CheckpointStore;
  readonly sink: Sink;
  readonly clock: Clock;
  /** The query partition this execution owns. @default '0' */
  readonly partition?: string;
  /** Called after each phase; tests throw from it to simulate crashes. */
  readonly hook?: PhaseHook;
  /**
   * Starts a partition that has no checkpoint yet from inherited state (after a reshard: the
   * parents' groups and watermark), returning the adopted commit; `undefined` starts empty.
   */
  readonly adopt?: () => Promise<CommittedBatch | undefined>;
  /** Called before state is written; see `runPlannedBatch`. */
  readonly fence?: (batch: PlannedBatch) => Promise<void>;
  /**
   * Bound on one group's state (JSON bytes), checked with the state store's own limits before
   * anything is written; a row that pushes a group over becomes a dead letter (poison isolation).
   * @default {@link DEFAULT_MAX_STATE_BYTES_PER_GROUP} (128 KiB)
   */
  readonly maxStateBytesPerGroup?: number;
  /**
   * Poison isolation: when a batch fails deterministically, find the rows that cause it, record
   * them in the WAL entry and commit the rest with them as dead letters. `false` retries such a
   * batch forever (as before). @default on, at most {@link DEFAULT_MAX_POISON_PER_ROUND} rows per round
   */
  readonly poisonIsolation?: false | { readonly maxPoisonPerRound?: number };
  /** Keep the rows dropped as late and hand them to the sink (late-rows side output). @default false */
  readonly keepDroppedRows?: boolean;
  /** Told about each isolation round (for logs and metrics). */
  readonly onIsolation?: (report: IsolationReport) => void;
  /**
   * The run this execution is part of: Spark's `runId`, one start of the query. Executions of one
   * run share it (on Lambda every invocation of a deployment; the test kit's until `stop` or
   * `restart`), and a crash followed by a replay stays in the run. When the run changes, the
   * per-input watermarks restart empty and are rebuilt from new data; the global watermark carries
   * over (Spark's `WatermarkTracker` after a restart). `undefined` is one run that never changes.
   */
  readonly runId?: string;
}

/** One round of poison isolation, as reported to {@link StreamExecutionOptions.onIsolation}. */
export interface IsolationReport {
  readonly batchId: number;
  /** The failure that started it. */
  readonly error: unknown;
  /** Rows poisoned in the batch so far (this round's finds included). */
  readonly poisoned: readonly PoisonedRecord[];
  readonly found: number;
  readonly probes: number;
  readonly durationMs: number;
}

/** Isolation rounds per batch run before the failure is left to the next invocation. */
const MAX_ISOLATION_ROUNDS = 3;

/**
 * Drives a query batch by batch, like Spark's `MicroBatchExecution`, over one partition.
 *
 * Recovery, each time a batch is requested:
 * ```
 * checkpoint = load()                       // fingerprint must match the plan
 * if checkpoint.pending:                    // a batch was planned but not committed
 *   rerun exactly pending (same range, batch time, watermark) → commit
 * watermark = the query's watermark: this partition's commit and (unless per-shard) the other
 *             partitions' committed event times, one read (runtime/query-watermark.ts)
 * if source has data after committed.endOffsets:
 *   plan batch (new id, now, watermark) → WAL → run → commit
 * else if a stateful operator needs a no-data batch (watermark moved, processing-time timeouts)
 *         and the query allows them (noDataMicroBatches, default on):
 *   plan an empty batch → WAL → run → commit
 * ```
 * Nothing has side effects before the WAL entry exists, so a crash anywhere leads to a rerun
 * of the same batch, which writes the same outputs and state.
 *
 * A batch that fails (poison isolation, `runtime/isolation/`):
 * ```
 * if the error may be deterministic and the input was read:
 *   poisoned = isolatePoison(batch, input)   // in-memory probes on prefixes of the input
 *   if rows were found:
 *     amend the WAL entry with them (conditional on the batch still pending)
 *     rerun the batch: those rows are dead letters, the rest runs as usual
 * else: rethrow (transient: the caller retries the same WAL entry later)
 * ```
 * The WAL entry carries the decision, so every later replay sets the same rows aside.
 */
export class StreamExecution {
  readonly plan: PhysicalPlan;
  private checkpoint: Checkpoint | undefined;
  private started = false;
  private readonly partition: string;
  private readonly delays: Map<string, number>;
  private readonly stateLimits: StateLimits;

  constructor(private readonly options: StreamExecutionOptions) {
    this.plan = compileQuery(options.query);
    this.partition = options.partition ?? '0';
    this.delays = watermarkDelays(options.query, this.plan);
    this.stateLimits = tighterLimits(options.stateStore.limits, {
      maxEntryBytes: options.maxStateBytesPerGroup ?? DEFAULT_MAX_STATE_BYTES_PER_GROUP,
    });
  }

  /** The checkpoint as last read or written by this execution. */
  get lastCheckpoint(): Checkpoint | undefined {
    return this.checkpoint;
  }

  /** Runs the next due batch (a pending replay, new data, or a no-data batch), if any. */
  async runNextBatch(): Promise<BatchOutcome | undefined> {
    const checkpoint = await this.start();
    if (checkpoint.pending !== undefined) return this.run(checkpoint.pending, true);
    const committedOffsets = checkpoint.committed?.endOffsets ?? {};
    const durations = emptyDurations();
    const t0 = performance.now();
    const end = await this.options.source.nextEndOffsets(committedOffsets);
    const watermarks = await this.nextWatermark();
    durations.latestOffset = Math.round(performance.now() - t0);
    if (end !== undefined) return this.planAndRun(committedOffsets, end, watermarks, false, durations);
    // Spark's spark.sql.streaming.noDataMicroBatches.enabled = false: only data starts a batch.
    if (this.options.query.noDataMicroBatches === false) return undefined;
    if (this.noDataBatchDue(watermarks.evictionMs)) {
      return this.planAndRun(committedOffsets, committedOffsets, watermarks, true, durations);
    }
    const idleEventTimeMs = this.idleEventTime();
    if (idleEventTimeMs !== undefined) {
      return this.planAndRun(
        committedOffsets,
        committedOffsets,
        watermarks,
        true,
        durations,
        idleEventTimeMs,
      );
    }
    return undefined;
  }

  /**
   * The watermark the next batch runs with. Unless each shard keeps its own, this reads every
   * partition's committed event times (one strongly consistent read per batch), so a quiet shard
   * closes its windows when another shard's event time moves on.
   */
  private async nextWatermark(): Promise<BatchWatermarks> {
    const own = this.checkpoint?.committed;
    const shards = this.options.query.shardWatermark ?? DEFAULT_SHARD_WATERMARK;
    const needsPeers = shards !== 'per-shard' && this.plan.watermarkIds.length > 0;
    return queryWatermark({
      partition: this.partition,
      own,
      partitions: needsPeers ? await this.options.checkpoints.partitionWatermarks() : [],
      watermarkIds: this.plan.watermarkIds,
      inputs: this.options.query.watermarkPolicy,
      shards,
      ...(this.options.runId === undefined ? {} : { runId: this.options.runId }),
    });
  }

  /** Runs batches until none is due; returns their outcomes in order. */
  async processAllAvailable(): Promise<BatchOutcome[]> {
    const outcomes: BatchOutcome[] = [];
    for (;;) {
      const outcome = await this.runNextBatch();
      if (outcome === undefined) return outcomes;
      outcomes.push(outcome);
    }
  }

  private noDataBatchDue(nextWatermarkMs: number): boolean {
    const committed = this.checkpoint?.committed;
    const last = committed && this.lastPlanned;
    if (committed === undefined || last === undefined) return false;
    const query = { nextWatermarkMs, nowMs: this.options.clock.nowMs(), last };
    return this.plan.statefulOperators.some((operator) => operator.needsNoDataBatch(query));
  }

  /** The plan of the last committed batch; held in memory, rebuilt from the commit on restart. */
  private lastPlanned: PlannedBatch | undefined;

  /**
   * The idle-watermark policy: when the query has one, the partition has had no input for that
   * long, and treating `now − idle` as seen event time would move the watermark, returns it.
   */
  private idleEventTime(): number | undefined {
    const idleMs = this.options.query.idleWatermarkMs;
    const committed = this.checkpoint?.committed;
    if (idleMs === undefined || committed === undefined || this.plan.watermarkIds.length === 0)
      return undefined;
    const nowMs = this.options.clock.nowMs();
    if (nowMs - (committed.lastInputAtMs ?? committed.batchTimestampMs) < idleMs) return undefined;
    const idleEventTimeMs = nowMs - idleMs;
    const maxDelayMs = Math.max(...this.delays.values());
    return idleEventTimeMs - maxDelayMs > committed.watermark.globalMs ? idleEventTimeMs : undefined;
  }

  private async planAndRun(
    start: Offsets,
    end: Offsets,
    watermarks: BatchWatermarks,
    isNoDataBatch: boolean,
    durations = emptyDurations(),
    idleEventTimeMs?: number,
  ) {
    const committed = this.checkpoint?.committed;
    const batchId = await this.options.checkpoints.nextBatchId();
    const batch: PlannedBatch = {
      batchId,
      startOffsets: start,
      endOffsets: end,
      batchTimestampMs: this.options.clock.nowMs(),
      watermarkForLateEventsMs: watermarks.lateEventsMs,
      watermarkForEvictionMs: watermarks.evictionMs,
      isFirstBatch: committed === undefined,
      isNoDataBatch,
      ...(idleEventTimeMs === undefined ? {} : { idleEventTimeMs }),
      ...floorsField(floorsAbove(committed?.watermarkFloors, watermarks.lateEventsMs)),
    };
    const t0 = performance.now();
    await this.options.checkpoints.plan(batch);
    durations.walCommit = Math.round(performance.now() - t0);
    this.checkpoint = { ...this.checkpoint!, pending: batch };
    await this.options.hook?.('walCommit', batch);
    return this.run(batch, false, durations);
  }

  private async run(
    batch: PlannedBatch,
    isReplay: boolean,
    durations = emptyDurations(),
    rawInput?: BatchInput,
    round = 0,
  ): Promise<BatchOutcome> {
    const previous = this.checkpoint?.committed;
    let raw = rawInput;
    const getInput = async (): Promise<BatchInput> => {
      if (batch.isNoDataBatch) return { rows: new Map(), deadLetters: [] };
      raw ??= await this.options.source.getBatch(batch.startOffsets, batch.endOffsets);
      return withoutPoison(raw, batch.poisoned);
    };
    let outcome: BatchOutcome;
    try {
      outcome = await runPlannedBatch(this.runnerDeps(), batch, previous, getInput, {
        durations,
        isReplay,
        ...(this.options.hook === undefined ? {} : { hook: this.options.hook }),
        ...(this.options.fence === undefined ? {} : { fence: this.options.fence }),
      });
    } catch (error) {
      const amended = raw === undefined ? undefined : await this.isolate(batch, raw, error, round);
      if (amended === undefined) throw error;
      return this.run(amended, true, durations, raw, round + 1);
    }
    this.checkpoint = { fingerprint: this.checkpoint!.fingerprint, committed: outcome.committed };
    this.lastPlanned = batch;
    return outcome;
  }

  private runnerDeps(): BatchRunnerDeps {
    return {
      query: this.options.query,
      plan: this.plan,
      partition: this.partition,
      stateStore: this.options.stateStore,
      checkpoints: this.options.checkpoints,
      sink: this.options.sink,
      watermarkDelaysMs: this.delays,
      stateLimits: this.stateLimits,
      ...(this.options.keepDroppedRows === undefined
        ? {}
        : { keepDroppedRows: this.options.keepDroppedRows }),
      ...(this.options.runId === undefined ? {} : { runId: this.options.runId }),
    };
  }

  /**
   * One round of poison isolation after `batch` failed with `error`: the amended WAL entry to
   * rerun, or `undefined` when the failure is not (or not shown to be) caused by input rows.
   */
  private async isolate(
    batch: PlannedBatch,
    input: BatchInput,
    error: unknown,
    round: number,
  ): Promise<PlannedBatch | undefined> {
    const setting = this.options.poisonIsolation;
    const amend = this.options.checkpoints.amend?.bind(this.options.checkpoints);
    if (setting === false || amend === undefined || round >= MAX_ISOLATION_ROUNDS) return undefined;
    if (batch.isNoDataBatch || !mayBeDeterministic(error)) return undefined;
    const started = performance.now();
    let result: Awaited<ReturnType<typeof isolatePoison>>;
    try {
      result = await isolatePoison(batch, input, {
        execute: executeDepsOf(this.runnerDeps()),
        sink: this.options.sink,
        sources: this.plan.sources,
        ...(setting?.maxPoisonPerRound === undefined ? {} : { maxPoison: setting.maxPoisonPerRound }),
      });
    } catch {
      return undefined; // a probe could not read state: retry the batch as it is
    }
    this.options.onIsolation?.({
      batchId: batch.batchId,
      error,
      poisoned: result.poisoned,
      found: result.found,
      probes: result.probes,
      durationMs: Math.round(performance.now() - started),
    });
    if (result.found === 0) return undefined;
    const amended: PlannedBatch = { ...batch, poisoned: result.poisoned };
    await amend(amended);
    this.checkpoint = { ...this.checkpoint!, pending: amended };
    return amended;
  }

  /** Loads the checkpoint once and checks that it was written by a compatible plan. */
  private async start(): Promise<Checkpoint> {
    if (this.started && this.checkpoint !== undefined) return this.checkpoint;
    const fingerprint = describePlan(this.options.query);
    let checkpoint = await this.options.checkpoints.load();
    if (checkpoint === undefined) {
      await this.options.checkpoints.initialize(fingerprint, await this.options.adopt?.());
      checkpoint = (await this.options.checkpoints.load())!;
    }
    if (checkpoint.fingerprint !== fingerprint) {
      throw new IncompatiblePlanError(
        this.options.query.name,
        checkpoint.fingerprint,
        fingerprint,
        firstDifference(checkpoint.fingerprint, fingerprint),
      );
    }
    this.checkpoint = checkpoint;
    this.lastPlanned = checkpoint.committed && lastPlanFromCommit(checkpoint);
    this.started = true;
    return checkpoint;
  }
}

/** After a restart the last batch's plan is gone; its watermark and offsets are in the commit. */
function lastPlanFromCommit(checkpoint: Checkpoint): PlannedBatch | undefined {
  const committed = checkpoint.committed;
  if (committed === undefined) return undefined;
  return {
    batchId: committed.batchId,
    startOffsets: committed.endOffsets,
    endOffsets: committed.endOffsets,
    batchTimestampMs: committed.batchTimestampMs,
    watermarkForLateEventsMs: committed.batchWatermarkMs,
    watermarkForEvictionMs: committed.batchWatermarkMs,
    isFirstBatch: false,
    isNoDataBatch: false,
  };
}

function watermarkDelays(query: QueryDefinition, plan: PhysicalPlan): Map<string, number> {
  const delays: number[] = [];
  walkPlan(query.plan, (node) => {
    if (node.kind === 'watermark') delays.push(node.delayMs);
  });
  return new Map(plan.watermarkIds.map((id, i) => [id, delays[i] ?? 0]));
}

const floorsField = (floors: readonly WatermarkFloor[] | undefined) =>
  floors === undefined ? {} : { watermarkFloors: floors };
