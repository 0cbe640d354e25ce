import { DEFAULT_SHARD_WATERMARK, type QueryDefinition } from '../api/writer.js';
import type {
  Checkpoint,
  CheckpointStore,
  CommittedBatch,
  Offsets,
  PlannedBatch,
} from '../checkpoint/checkpoint-store.js';
import { IncompatiblePlanError } from '../errors.js';
import { describePlan, firstDifference } from '../plan/fingerprint.js';
import { walkPlan } from '../plan/nodes.js';
import { floorsAbove, type WatermarkFloor } from '../reshard/watermark-floors.js';
import type { Sink } from '../sinks/sink.js';
import type { StateStore } from '../state/state-store.js';
import type { Clock } from '../time/clock.js';
import { type BatchOutcome, type PhaseHook, runPlannedBatch } from './batch-runner.js';
import { compileQuery, type PhysicalPlan } from './compile.js';
import type { BatchInput } from './dead-letter.js';
import { emptyDurations } from './progress.js';
import { type BatchWatermarks, queryWatermark } from './query-watermark.js';

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
}

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
 * else if a stateful operator needs a no-data batch (watermark moved, processing-time timeouts):
 *   plan an empty batch → WAL → run → commit
 * ```
 * Nothing has side effects before the WAL entry exists, so a crash anywhere leads to a rerun
 * of the same batch, which writes the same outputs and state.
 */
export class StreamExecution {
  readonly plan: PhysicalPlan;
  private checkpoint: Checkpoint | undefined;
  private started = false;
  private readonly partition: string;
  private readonly delays: Map<string, number>;

  constructor(private readonly options: StreamExecutionOptions) {
    this.plan = compileQuery(options.query);
    this.partition = options.partition ?? '0';
    this.delays = watermarkDelays(options.query, this.plan);
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
  ): Promise<BatchOutcome> {
    const previous = this.checkpoint?.committed;
    const outcome = await runPlannedBatch(
      {
        query: this.options.query,
        plan: this.plan,
        partition: this.partition,
        stateStore: this.options.stateStore,
        checkpoints: this.options.checkpoints,
        sink: this.options.sink,
        watermarkDelaysMs: this.delays,
      },
      batch,
      previous,
      () =>
        batch.isNoDataBatch
          ? Promise.resolve({ rows: new Map(), deadLetters: [] })
          : this.options.source.getBatch(batch.startOffsets, batch.endOffsets),
      {
        durations,
        isReplay,
        ...(this.options.hook === undefined ? {} : { hook: this.options.hook }),
        ...(this.options.fence === undefined ? {} : { fence: this.options.fence }),
      },
    );
    this.checkpoint = { fingerprint: this.checkpoint!.fingerprint, committed: outcome.committed };
    this.lastPlanned = batch;
    return outcome;
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
