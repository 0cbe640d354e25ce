import { CheckpointConflictError } from '../errors.js';
import type { BatchId } from '../types.js';
import type {
  Checkpoint,
  CheckpointStore,
  CommittedBatch,
  PartitionWatermark,
  PlannedBatch,
} from './checkpoint-store.js';

/**
 * The checkpoints of one query's partitions, as the DynamoDB table holds them (one item per
 * partition plus the query's batch-id counter): the stores of a query's partitions share one, so
 * batch ids are unique per query and each partition can read the others' watermarks.
 */
export class MemoryCheckpointTable {
  private readonly stores = new Map<string, MemoryCheckpointStore>();
  /** The last batch id handed out for the query. */
  lastAllocated: BatchId = -1;

  /** The store of one partition (created on first use). */
  partition(partition: string): MemoryCheckpointStore {
    let store = this.stores.get(partition);
    if (store === undefined) {
      store = new MemoryCheckpointStore({ table: this, partition });
    }
    return store;
  }

  /** @internal called by a store's constructor */
  register(partition: string, store: MemoryCheckpointStore): void {
    if (this.stores.has(partition)) throw new Error(`Partition ${partition} already has a checkpoint store.`);
    this.stores.set(partition, store);
  }

  partitionWatermarks(): PartitionWatermark[] {
    const found: PartitionWatermark[] = [];
    for (const [partition, store] of this.stores) {
      const committed = store.peekCommitted();
      if (committed === undefined) continue;
      found.push(
        structuredClone({
          partition,
          watermark: committed.watermark,
          batchWatermarkMs: committed.batchWatermarkMs,
          ...(committed.parents === undefined ? {} : { parents: committed.parents }),
        }),
      );
    }
    return found;
  }
}

export interface MemoryCheckpointStoreOptions {
  /** The table shared with the query's other partitions. @default a table of its own */
  readonly table?: MemoryCheckpointTable;
  /** @default '0' */
  readonly partition?: string;
}

/** The in-memory {@link CheckpointStore}, with the same conditional semantics as DynamoDB's. */
export class MemoryCheckpointStore implements CheckpointStore {
  private checkpoint: Checkpoint | undefined;
  private readonly table: MemoryCheckpointTable;
  readonly partition: string;
  /** Every planned batch, kept for the test kit's replay helper (Spark's offset log). */
  readonly plans = new Map<BatchId, PlannedBatch>();
  /** Every commit (Spark's commit log), so a committed batch can be reopened for replay. */
  private readonly commits: CommittedBatch[] = [];

  constructor(options: MemoryCheckpointStoreOptions = {}) {
    this.table = options.table ?? new MemoryCheckpointTable();
    this.partition = options.partition ?? '0';
    this.table.register(this.partition, this);
  }

  async load(): Promise<Checkpoint | undefined> {
    return this.checkpoint && structuredClone(this.checkpoint);
  }

  async initialize(fingerprint: string, adopted?: CommittedBatch): Promise<void> {
    if (this.checkpoint !== undefined) return;
    this.checkpoint =
      adopted === undefined ? { fingerprint } : { fingerprint, committed: structuredClone(adopted) };
  }

  async nextBatchId(): Promise<BatchId> {
    const committed = this.checkpoint?.committed?.batchId ?? -1;
    this.table.lastAllocated = Math.max(this.table.lastAllocated, committed) + 1;
    return this.table.lastAllocated;
  }

  async partitionWatermarks(): Promise<PartitionWatermark[]> {
    return this.table.partitionWatermarks();
  }

  /** @internal the last commit, uncopied, for the table */
  peekCommitted(): CommittedBatch | undefined {
    return this.checkpoint?.committed;
  }

  async plan(batch: PlannedBatch): Promise<void> {
    const current = this.require('plan');
    if (current.pending !== undefined) {
      throw new CheckpointConflictError(
        `Batch ${current.pending.batchId} is still pending; batch ${batch.batchId} cannot be planned before it commits.`,
        { pending: current.pending.batchId, batchId: batch.batchId },
      );
    }
    if (current.committed !== undefined && current.committed.batchId >= batch.batchId) {
      throw new CheckpointConflictError(
        `Batch ${batch.batchId} is not after the committed batch ${current.committed.batchId}.`,
        { committed: current.committed.batchId, batchId: batch.batchId },
      );
    }
    // One copy serves both: this store never mutates what it holds.
    const pending = structuredClone(batch);
    this.checkpoint = { ...current, pending };
    this.plans.set(batch.batchId, pending);
  }

  async remove(): Promise<void> {
    if (this.checkpoint?.pending !== undefined) {
      throw new CheckpointConflictError(
        `The checkpoint cannot be removed: batch ${this.checkpoint.pending.batchId} is pending.`,
        { pending: this.checkpoint.pending.batchId },
      );
    }
    this.checkpoint = undefined;
  }

  async amend(batch: PlannedBatch): Promise<void> {
    const current = this.require('amend');
    if (current.pending?.batchId !== batch.batchId) {
      throw new CheckpointConflictError(
        `Cannot amend batch ${batch.batchId}: the pending batch is ${current.pending?.batchId ?? 'none'}.`,
        { pending: current.pending?.batchId, batchId: batch.batchId },
      );
    }
    const pending = structuredClone(batch);
    this.checkpoint = { ...current, pending };
    this.plans.set(batch.batchId, pending);
  }

  async commit(batch: CommittedBatch): Promise<void> {
    const current = this.require('commit');
    if (current.pending?.batchId !== batch.batchId) {
      throw new CheckpointConflictError(
        `Commit of batch ${batch.batchId} rejected: the pending batch is ${current.pending?.batchId ?? 'none'}.`,
        { pending: current.pending?.batchId, batchId: batch.batchId },
      );
    }
    const committed = structuredClone(batch);
    this.checkpoint = { fingerprint: current.fingerprint, committed };
    this.commits.push(committed);
  }

  /**
   * Test-only: makes the last committed batch pending again, as if the process had crashed just
   * before its commit, so the next execution replays it through the normal recovery path.
   */
  reopenLastBatch(): PlannedBatch {
    const current = this.require('reopen');
    const last = current.committed;
    const plan = last && this.plans.get(last.batchId);
    if (last === undefined || plan === undefined) throw new Error('There is no committed batch to reopen.');
    this.commits.pop();
    const before = this.commits.at(-1);
    this.checkpoint = {
      fingerprint: current.fingerprint,
      ...(before === undefined ? {} : { committed: structuredClone(before) }),
      pending: structuredClone(plan),
    };
    return plan;
  }

  private require(action: string): Checkpoint {
    if (this.checkpoint === undefined) {
      throw new CheckpointConflictError(`Cannot ${action} before the checkpoint is initialized.`, {});
    }
    return this.checkpoint;
  }
}
