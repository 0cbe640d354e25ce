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

/** Where a query writes, as declared in the query; runtimes bind it to a {@link Sink}. */
export type SinkSpec =
  | { readonly kind: 'memory' }
  | { readonly kind: 'console' }
  | { readonly kind: 'foreachBatch'; readonly fn: ForeachBatchFunction }
  | { readonly kind: 'files'; readonly format: 'jsonl' | 'parquet'; readonly partitionBy: readonly string[] };

/**
 * A bound sink. `addBatch` must be idempotent per batch id: called again with the same batch id
 * (a replay) it must leave the same result as one call, like Spark's `Sink.addBatch`.
 */
export interface Sink {
  addBatch(batchId: BatchId, rows: readonly Row[]): Promise<void>;
  /** Short description for progress records. */
  readonly description: string;
}
