import type { PlannedBatch } from '../checkpoint/checkpoint-store.js';
import type { LateBounds } from '../reshard/watermark-floors.js';
import type { StateEntry } from '../state/state-store.js';
import type { StateView } from '../state/state-view.js';
import type { OutputMode, Row } from '../types.js';

/** Counters a stateful operator reports per batch (Spark's `StateOperatorProgress`). */
export interface OperatorCounters {
  /**
   * Spark's figure: rows the operator's late-row filter dropped, counted where Spark filters. For
   * an aggregation that is after the partial aggregation (one per late group: a window × key, a
   * session's key × event time), for dedup, (flat)mapGroupsWithState and joins each input row.
   */
  numRowsDroppedByWatermark: number;
  /**
   * sluice's figure: input rows dropped as late, once per window for sliding windows: exactly the
   * entries the late-rows side output gets (`OperatorContext.dropLate`). In stage 2 of a two-stage
   * query a late stage-1 partial counts the rows it folded; those rows are not in the side output
   * (stage 1 folded them before lateness was known).
   */
  numLateInputRows: number;
  /**
   * State row counts, when the operator's rows are not its state keys (a join buffers many rows
   * under one key, and Spark counts rows): replaces the counts the state view derives from keys.
   */
  stateRows?: { updated: number; removed: number; netAdded: number };
}

/** A row an operator could not process (e.g. no valid event time); it becomes a dead letter. */
export interface RejectedRow {
  readonly row: Row;
  readonly operator: string;
  readonly reason: string;
}

/** A row an operator dropped because it was late: kept for the late-rows side output. */
export interface DroppedRow {
  readonly row: Row;
  /** The operator id that dropped it, e.g. `aggregate-0`. */
  readonly operator: string;
  /** The event time it was judged by (window end, session end or event time), epoch ms. */
  readonly eventTimeMs: number;
  /**
   * The watermark it was judged against, epoch ms: the batch's late-events watermark, or, after a
   * reshard, the higher floor its key kept from the shard it came from. `eventTimeMs ≤ watermarkMs`.
   */
  readonly watermarkMs: number;
}

/** Min/max/sum/count of event times seen by one `withWatermark` operator in a batch. */
export interface EventTimeStats {
  min: number;
  max: number;
  sum: number;
  count: number;
}

/** What operators see of the batch being run. */
export interface OperatorContext {
  readonly batch: PlannedBatch;
  /**
   * The late-row bound per group: `batch.watermarkForLateEventsMs`, raised after a reshard for
   * keys whose previous shard was ahead (look up by the row's partition-key value when `keyed`).
   */
  readonly lateBounds: LateBounds;
  readonly outputMode: OutputMode;
  /** Whether the query declares any watermark. */
  readonly hasWatermark: boolean;
  /** Rows of the batch for a source, in sequence order. */
  input(source: string): readonly Row[];
  /** The state of a stateful operator for this batch. */
  state<V>(operatorId: string): StateView<V>;
  /** Counters of a stateful operator for this batch. */
  counters(operatorId: string): OperatorCounters;
  /** Event-time statistics of a watermark operator for this batch. */
  eventTimes(watermarkId: string): EventTimeStats;
  reject(row: Row, operator: string, reason: string): void;
  /**
   * Present when the runtime keeps late rows (the late-rows side output): operators report each
   * row they drop as late here (once per window for sliding windows, like the counter), besides
   * counting it.
   */
  readonly dropLate?: (row: Row, operator: string, eventTimeMs: number, watermarkMs: number) => void;
}

/** A physical operator: pulls its children's rows for the batch and returns its own. */
export interface PhysicalOperator {
  execute(ctx: OperatorContext): Promise<Row[]>;
}

/** What the executor needs to decide whether a no-data batch is due. */
export interface NoDataBatchQuery {
  /** The watermark the next batch would run with. */
  readonly nextWatermarkMs: number;
  /** The processing time now. */
  readonly nowMs: number;
  /** The last batch run. */
  readonly last: PlannedBatch;
}

/** A stateful physical operator: it owns a state namespace and may need no-data batches. */
export interface StatefulOperator extends PhysicalOperator {
  readonly operatorId: string;
  /** Spark-style operator name for progress, e.g. `stateStoreSave`, `dedupe`, `symmetricHashJoin`. */
  readonly operatorName: string;
  /** Whether a batch with no input would emit or evict something (Spark's `shouldRunAnotherBatch`). */
  needsNoDataBatch(query: NoDataBatchQuery): boolean;
  /**
   * The Kinesis partition key of the group a state entry belongs to, so that after a reshard a
   * child shard adopts exactly the groups in its hash range; `undefined` when it cannot be told
   * (no partition-key column declared).
   */
  partitionKeyOf(entry: StateEntry): string | undefined;
}
