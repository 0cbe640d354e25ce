import type { BatchId } from '../types.js';

/** Durations of the micro-batch phases, named after Spark's `durationMs` keys. */
export interface PhaseDurations {
  /** Finding the available input (offsets). */
  latestOffset: number;
  /** Writing the batch's WAL entry. */
  walCommit: number;
  /** Reading (or re-fetching) the batch's input rows. */
  getBatch: number;
  /** Compiling the plan for the batch. */
  queryPlanning: number;
  /** Running the operators and writing the sink. */
  addBatch: number;
  /** Writing the operators' state rows. */
  commitState: number;
  /** The conditional commit of offsets and watermark. */
  commitOffsets: number;
  /** The whole batch. */
  triggerExecution: number;
}

/** Spark's `StateOperatorProgress`. */
export interface StateOperatorProgress {
  operatorName: string;
  operatorId: string;
  numRowsTotal: number;
  numRowsUpdated: number;
  numRowsRemoved: number;
  /**
   * As Spark counts it: rows the operator's watermark filter dropped. A streaming aggregation
   * filters after its partial aggregation, so late rows of one group (window × key) in a batch
   * count once; dedup, (flat)mapGroupsWithState and joins (both sides) count input rows.
   */
  numRowsDroppedByWatermark: number;
  /**
   * sluice extension: input rows dropped as late (a row late for several sliding windows counts
   * once per window). Equals the rows the late-rows side output (`_late/`) holds for the batch
   * (except stage 2 of a two-stage query, whose late partials count the rows they folded but have
   * none to keep), and feeds the `LateInputRows` metric and its alarm. Absent in records written before it existed
   * (read `numRowsDroppedByWatermark` then).
   */
  numLateInputRows: number;
}

/**
 * One batch's progress, shaped like Spark's `StreamingQueryProgress`: logged as JSON,
 * published as metrics and written next to the outputs.
 */
export interface QueryProgress {
  name: string;
  partition: string;
  batchId: BatchId;
  /** ISO-8601 of the batch's processing time. */
  timestamp: string;
  isNoDataBatch: boolean;
  /** True when the batch re-ran a pending WAL entry after a failure. */
  isReplay: boolean;
  numInputRows: number;
  /** Rows per second of processing (input rows / triggerExecution). */
  processedRowsPerSecond: number;
  durationMs: PhaseDurations;
  /**
   * As Spark's `eventTime`: empty when the query defines no watermark. `watermark` is the one the
   * batch ran with; `min`/`max`/`avg` are the event times of the batch's rows at its first
   * `withWatermark` (in plan order) that saw rows, absent when none did (a no-data batch).
   */
  eventTime: {
    min?: string;
    max?: string;
    avg?: string;
    watermark?: string;
  };
  stateOperators: StateOperatorProgress[];
  sources: Array<{ description: string; startOffset: unknown; endOffset: unknown; numInputRows: number }>;
  sink: { description: string; numOutputRows: number };
  /** Rows rejected by operators (e.g. no valid event time), written as dead letters. */
  numRejectedRows: number;
  /** All dead letters of the batch: records that failed decoding plus rejected rows. */
  numDeadLetters: number;
  /** State bytes read, written and held (stores whose state is named by commits, e.g. S3 state). */
  stateBytes?: { read: number; written: number; total: number; memory?: number };
  /** AWS requests of the batch by kind, when the runtime counts them (e.g. `dynamodb.BatchGetItem`). */
  requests?: Record<string, number>;
  /**
   * Input the source found missing between the committed position and what it was handed, read
   * back and processed in this batch (on Lambda: records the event source mapping never
   * delivered). `pastRetention`: the source no longer holds the committed record, so records
   * before the oldest one it holds may be lost uncounted.
   */
  inputGap?: { after: string; before: string; records: number; complete: boolean; pastRetention: boolean };
}

export const emptyDurations = (): PhaseDurations => ({
  latestOffset: 0,
  walCommit: 0,
  getBatch: 0,
  queryPlanning: 0,
  addBatch: 0,
  commitState: 0,
  commitOffsets: 0,
  triggerExecution: 0,
});

/** Input rows an operator dropped as late; records written before `numLateInputRows` existed counted them in `numRowsDroppedByWatermark`. */
export const lateInputRowsOf = (op: StateOperatorProgress): number =>
  (op as Partial<StateOperatorProgress>).numLateInputRows ?? op.numRowsDroppedByWatermark;
