import type { PlannedBatch } from '../checkpoint/checkpoint-store.js';
import type { ExchangeSpec } from '../plan/exchange/plan-stages.js';
import type { DeadLetter } from '../runtime/dead-letter.js';
import type { DroppedRow } from '../runtime/operator.js';
import type { BatchId, Row } from '../types.js';

/** What a `foreachBatch` function receives besides the rows. */
export interface ForeachBatchContext {
  readonly queryName: string;
  /** The partition (Kinesis shard id, or `'0'` locally) that produced the batch. */
  readonly partition: string;
  /** Runtime-specific helpers (e.g. S3 clients on Lambda). */
  readonly services: Readonly<Record<string, unknown>>;
}

export type ForeachBatchFunction<T extends object = Row> = (
  rows: readonly T[],
  batchId: BatchId,
  context: ForeachBatchContext,
) => Promise<void> | void;

/** What a sink learns about the batch it writes, besides the rows. */
export interface SinkBatchContext {
  readonly batch: PlannedBatch;
  /** Records that failed decoding and rows operators rejected; written next to the outputs. */
  readonly deadLetters: readonly DeadLetter[];
  /** Rows operators dropped as late, when the query keeps them (late-rows side output). */
  readonly droppedRows?: readonly DroppedRow[];
  /**
   * The highest event time the batch's `withWatermark` operators saw (absent: none), which an
   * exchange writer's end-of-batch marker reports to stage 2.
   */
  readonly eventTimeMs?: number;
}

/** Where a query writes, as declared in the query; runtimes bind it to a {@link Sink}. */
export type SinkSpec =
  | { readonly kind: 'memory' }
  | { readonly kind: 'console' }
  | { readonly kind: 'foreachBatch'; readonly fn: ForeachBatchFunction }
  | { readonly kind: 'files'; readonly format: 'jsonl' | 'parquet'; readonly partitionBy: readonly string[] }
  /** Stage 1 of a two-stage query writes into the exchange (set by `planStages`, never by users). */
  | { readonly kind: 'exchange'; readonly exchange: ExchangeSpec };

/**
 * A bound sink. `addBatch` must be idempotent per batch id: called again with the same batch id
 * (a replay) it must leave the same result as one call, like Spark's `Sink.addBatch`.
 */
export interface Sink {
  addBatch(batchId: BatchId, rows: readonly Row[], context: SinkBatchContext): Promise<void>;
  /**
   * Optional: everything `addBatch` does that can fail deterministically for these rows (object
   * keys, encoding), without writing anything. Poison isolation calls it to tell which rows make
   * `addBatch` fail; a sink without it is treated as never failing deterministically.
   */
  check?(batchId: BatchId, rows: readonly Row[], context: SinkBatchContext): void | Promise<void>;
  /** Short description for progress records. */
  readonly description: string;
}
