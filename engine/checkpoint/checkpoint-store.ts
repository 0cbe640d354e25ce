import type { WatermarkFloor } from '../reshard/watermark-floors.js';
import type { StateVersion } from '../state/state-store.js';
import type { BatchId, TimestampMs } from '../types.js';

/** Watermark bookkeeping persisted with every commit (see `runtime/watermark-tracker.ts`). */
export interface WatermarkState {
  /** The global event-time watermark after the batch; never decreases. */
  readonly globalMs: TimestampMs;
  /** Per `withWatermark` operator: max event time seen − delay; absent until it sees data. */
  readonly operatorsMs: Readonly<Record<string, TimestampMs>>;
  /**
   * The run (one start of the query, Spark's `runId`) that tracked `operatorsMs`. A batch of
   * another run keeps only `globalMs` and starts each input's watermark empty, as Spark's
   * `WatermarkTracker` after a restart. Absent for executions without a run id.
   */
  readonly runId?: string;
}

/** Source positions, opaque to the engine (a MemoryStream index, a Kinesis sequence number). */
export type Offsets = Readonly<Record<string, unknown>>;

/**
 * An input row that made the batch fail deterministically, found by poison isolation
 * (`runtime/isolation/`): every run of the batch turns it into a dead letter with this reason.
 */
export interface PoisonedRecord {
  /** The source of the row. */
  readonly source: string;
  /** Its index among the source's rows of the batch (the same on every read of the range). */
  readonly index: number;
  /** Its position in the source, when known (a Kinesis sequence number): for people and checks. */
  readonly position?: string;
  /** The error the row caused, as the dead letter's reason. */
  readonly reason: string;
}

/**
 * The write-ahead entry of a batch, written before any side effect. Replaying a batch uses
 * exactly these values, so a replay reads the same input, time and watermark.
 */
export interface PlannedBatch {
  readonly batchId: BatchId;
  /** Exclusive start positions per source (the previous commit's end; absent for the first batch). */
  readonly startOffsets: Offsets;
  /** Inclusive end positions per source. Equal to the start for a no-data batch. */
  readonly endOffsets: Offsets;
  /** Processing time of the batch. */
  readonly batchTimestampMs: TimestampMs;
  /** Rows whose event time (window end) is ≤ this are late: the previous batch's watermark. */
  readonly watermarkForLateEventsMs: TimestampMs;
  /** State whose expiry is ≤ this is evicted/emitted in this batch: this batch's watermark. */
  readonly watermarkForEvictionMs: TimestampMs;
  /** True for the first batch of this checkpoint (initial state applies only there). */
  readonly isFirstBatch: boolean;
  readonly isNoDataBatch: boolean;
  /**
   * Set on a no-data batch run because the partition was idle (see `idleWatermark` on the writer):
   * the batch counts as having seen this event time, so the watermark can move without input.
   */
  readonly idleEventTimeMs?: TimestampMs;
  /**
   * Hash ranges whose keys keep a higher late bound, inherited from the shards that held them
   * before a reshard (see `reshard/watermark-floors.ts`); absent when none is above this batch's.
   */
  readonly watermarkFloors?: readonly WatermarkFloor[];
  /**
   * Rows isolated as poison after the batch failed deterministically, in the order found. Set
   * only by {@link CheckpointStore.amend}; every replay turns the same rows into dead letters.
   */
  readonly poisoned?: readonly PoisonedRecord[];
}

/** What a commit records. */
export interface CommittedBatch {
  readonly batchId: BatchId;
  readonly endOffsets: Offsets;
  /** The batch's processing time (processing-time timeouts compare against it). */
  readonly batchTimestampMs: TimestampMs;
  /** The watermark the batch ran with (the next batch's "late events" watermark). */
  readonly batchWatermarkMs: TimestampMs;
  /** Watermarks after the batch, for the next batch. */
  readonly watermark: WatermarkState;
  /** Live state keys per stateful operator after the batch (progress `numRowsTotal`). */
  readonly stateRows: Readonly<Record<string, number>>;
  /** Processing time of the last batch that had input rows (for the idle-watermark policy). */
  readonly lastInputAtMs?: TimestampMs;
  /**
   * The committed state, for stores whose state is named by the commit (see
   * `StateStore.versioning`): sealed by the store before the commit, opaque to everything else.
   */
  readonly stateVersion?: StateVersion;
  /**
   * The partitions this one took over after a reshard (its parents, set by adoption and carried
   * by every later commit): their checkpoints stay but no longer count for the query's watermark.
   */
  readonly parents?: readonly string[];
  /** Inherited late-bound floors still above the next batch's own late bound (carried forward). */
  readonly watermarkFloors?: readonly WatermarkFloor[];
}

/**
 * What one partition's commit says about event time, as the other partitions of the query read
 * it to compute the query's watermark (`runtime/query-watermark.ts`).
 */
export interface PartitionWatermark {
  readonly partition: string;
  /** The partition's own watermarks after its last commit (its event times − delay). */
  readonly watermark: WatermarkState;
  /** The watermark the partition's last batch ran with. */
  readonly batchWatermarkMs: TimestampMs;
  /** Partitions it took over after a reshard. */
  readonly parents?: readonly string[];
}

/** The checkpoint of one query partition (a query, or a query's Kinesis shard). */
export interface Checkpoint {
  readonly fingerprint: string;
  readonly committed?: CommittedBatch;
  readonly pending?: PlannedBatch;
}

/**
 * The offset WAL and commit log of one query partition, as one tiny interface (Spark keeps two
 * logs; with one item per partition a conditional write gives the same guarantees).
 *
 * - `plan` adds the WAL entry; it never overwrites: a pending entry, or a committed batch id
 *   ≥ the new one, is a {@link CheckpointConflictError}.
 * - `commit` succeeds only while the pending entry's batch id matches; a zombie's late commit
 *   fails and changes nothing.
 */
export interface CheckpointStore {
  /** Reads the checkpoint (strongly consistent); `undefined` before the first batch. */
  load(): Promise<Checkpoint | undefined>;
  /**
   * Records the plan fingerprint on first use; later calls change nothing (the caller compares).
   * `adopted` starts the checkpoint from a state inherited from parent shards after a reshard:
   * a commit with batch id -1 carrying the parents' watermark and state row counts.
   */
  initialize(fingerprint: string, adopted?: CommittedBatch): Promise<void>;
  /** Allocates the next batch id: unique and increasing per query. */
  nextBatchId(): Promise<BatchId>;
  plan(batch: PlannedBatch): Promise<void>;
  /**
   * Replaces the pending WAL entry with `batch`, which has the same batch id and differs only in
   * `poisoned` (poison isolation records its decision here, before the batch's side effects, so
   * every replay makes the same choice). Fails with a conflict when `batch` is not the pending one.
   * A store without it cannot isolate poison: the batch is retried as before.
   */
  amend?(batch: PlannedBatch): Promise<void>;
  commit(batch: CommittedBatch): Promise<void>;
  /**
   * The committed watermarks of every partition of the query (this one included; partitions
   * with no commit are absent), read strongly consistently in one request where the store can:
   * how a partition learns the others' event time for the query-wide watermark.
   */
  partitionWatermarks(): Promise<PartitionWatermark[]>;
  /**
   * Deletes the checkpoint of a retired partition (a closed shard whose children have all adopted
   * its state). Refused while a batch is pending; removing an absent checkpoint is a no-op.
   */
  remove(): Promise<void>;
}
