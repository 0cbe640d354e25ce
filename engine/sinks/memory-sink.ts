import type { BatchId, Row } from '../types.js';
import type { Sink } from './sink.js';

/**
 * Keeps each batch's rows in memory (Spark's memory sink), replacing a batch on replay so the
 * result is the same as one write.
 */
export class MemorySink implements Sink {
  readonly description = 'MemorySink';
  private readonly batches = new Map<BatchId, readonly Row[]>();

  async addBatch(batchId: BatchId, rows: readonly Row[]): Promise<void> {
    this.batches.set(batchId, structuredClone(rows));
  }

  /** Rows of one batch (empty if the batch wrote none). */
  batch(batchId: BatchId): readonly Row[] {
    return this.batches.get(batchId) ?? [];
  }

  /** Batch ids written so far, in order. */
  batchIds(): BatchId[] {
    return [...this.batches.keys()].sort((a, b) => a - b);
  }

  /** Every row of every batch, in batch order. */
  allRows(): Row[] {
    return this.batchIds().flatMap((id) => this.batches.get(id)!);
  }

  /**
   * The result table of an update/complete-mode query: the newest row per key, where `keyOf`
   * returns a row's key (e.g. `(row) => JSON.stringify([row.window, row.word])`).
   */
  latestByKey(keyOf: (row: Row) => string): Row[] {
    const latest = new Map<string, Row>();
    for (const row of this.allRows()) latest.set(keyOf(row), row);
    return [...latest.values()];
  }
}
