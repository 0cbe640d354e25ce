import { isDeepStrictEqual } from 'node:util';
import type { PlannedBatch } from '../../../engine/index.js';

/**
 * Every planned batch the handler's hook saw, by batch id. A batch reaches the `getBatch` hook
 * before it can commit, and a planned batch stays pending until some invocation commits it, so
 * at the end of a run (no batch pending) the recorded batches are exactly the committed ones.
 * Seeing one batch id with two different plans means a replay did not use its WAL entry.
 */
export class BatchRecorder {
  private readonly batches = new Map<number, { readonly shard: string; readonly batch: PlannedBatch }>();
  readonly conflicts: string[] = [];

  observe(shard: string, batch: PlannedBatch): void {
    const known = this.batches.get(batch.batchId);
    if (known === undefined) {
      this.batches.set(batch.batchId, { shard, batch: structuredClone(batch) });
    } else if (known.shard === shard && isAmendment(known.batch, batch)) {
      // Poison isolation amends the pending entry with the rows it set aside: the same plan.
      this.batches.set(batch.batchId, { shard, batch: structuredClone(batch) });
    } else if (known.shard !== shard || !isDeepStrictEqual(known.batch, batch)) {
      this.conflicts.push(
        `batch ${batch.batchId} ran with two plans: ${JSON.stringify(known.batch)} on ${known.shard} and ${JSON.stringify(batch)} on ${shard}`,
      );
    }
  }

  /** The shard's batches in batch-id order. */
  batchesOf(shard: string): PlannedBatch[] {
    return [...this.batches.values()]
      .filter((entry) => entry.shard === shard)
      .map((entry) => entry.batch)
      .sort((a, b) => a.batchId - b.batchId);
  }

  get batchIds(): number[] {
    return [...this.batches.keys()].sort((a, b) => a - b);
  }
}

/**
 * True when `next` is `known` with more rows set aside by poison isolation: everything else
 * equal, and the rows `known` had set aside still first, in the same order.
 */
function isAmendment(known: PlannedBatch, next: PlannedBatch): boolean {
  const { poisoned: before = [], ...knownPlan } = known;
  const { poisoned: after = [], ...nextPlan } = next;
  return (
    after.length > before.length &&
    isDeepStrictEqual(knownPlan, nextPlan) &&
    before.every((record, i) => isDeepStrictEqual(record, after[i]))
  );
}
