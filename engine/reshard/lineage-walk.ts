import type {
  Checkpoint,
  CheckpointStore,
  CommittedBatch,
  PlannedBatch,
} from '../checkpoint/checkpoint-store.js';
import { SluiceError } from '../errors.js';
import { type HashRange, intersect, type StreamShards } from './lineage.js';

/** A child shard cannot adopt its parents' state yet, or at all. */
export class StateAdoptionError extends SluiceError {
  constructor(message: string, context: Record<string, unknown>) {
    super('SLUICE_STATE_ADOPTION', message, { context });
  }
}

/** An ancestor whose last commit holds the state of `range` (part of the adopting child's range). */
export interface Contributor {
  readonly shardId: string;
  readonly committed: CommittedBatch;
  readonly range: HashRange;
}

export interface LineageWalkInput {
  readonly shardId: string;
  readonly shards: StreamShards;
  readonly checkpointsOf: (shardId: string) => CheckpointStore;
  /**
   * Finishes a closed ancestor's pending batch (WAL written, never committed) by replaying exactly
   * its range, so that its commit becomes final. Without it a pending ancestor is an error.
   */
  readonly finishPending?: (shardId: string, pending: PlannedBatch) => Promise<void>;
}

/**
 * Finds whose committed state a new shard takes over, by hash range.
 *
 * ```
 * visit(shard, range):                     // range: the part of the child's range still unowned
 *   checkpoint = load(shard)
 *   if checkpoint.pending: finishPending(shard) (replays exactly the WAL entry), reload
 *   if checkpoint.committed: contribute (shard, its commit, range)
 *   else if no checkpoint: for each parent p: visit(p, range ∩ range(p))   // never invoked
 *   else: nothing (initialized with nothing to adopt: its ancestors held nothing)
 * for each parent p of the child: visit(p, range(child) ∩ range(p))
 * ```
 * Each parent is paired with its own checkpoint, never by list position. A parent that Lambda
 * never invoked (a split quickly followed by a merge, before the in-between shard got a record)
 * has no checkpoint: its own parents' commits cover its range, recursively. Lambda runs a shard
 * only after its parents are done, so a parent without a checkpoint will never get one.
 */
export async function findContributors(input: LineageWalkInput): Promise<Contributor[]> {
  const child = input.shards.get(input.shardId);
  if (child === undefined) return [];
  const contributors: Contributor[] = [];
  const visit = async (shardId: string, range: HashRange, path: readonly string[]): Promise<void> => {
    const checkpoint = await settled(input, shardId, path);
    if (checkpoint?.committed !== undefined) {
      contributors.push({ shardId, committed: checkpoint.committed, range });
      return;
    }
    if (checkpoint !== undefined) return;
    const shard = input.shards.get(shardId);
    // Past the stream's retention ListShards forgets a shard; whatever it held is gone with its records.
    for (const parent of shard?.parents ?? []) {
      const parentRange = input.shards.get(parent)?.hashRange;
      const overlap = parentRange === undefined ? undefined : intersect(range, parentRange);
      if (overlap !== undefined) await visit(parent, overlap, [...path, shardId]);
    }
  };
  for (const parent of child.parents) {
    const parentRange = input.shards.get(parent)?.hashRange;
    const overlap = parentRange === undefined ? undefined : intersect(child.hashRange, parentRange);
    if (overlap !== undefined) await visit(parent, overlap, [input.shardId]);
  }
  return contributors;
}

/** The ancestor's checkpoint with no batch pending: a pending one is finished first, or reported. */
async function settled(
  input: LineageWalkInput,
  shardId: string,
  path: readonly string[],
): Promise<Checkpoint | undefined> {
  const store = input.checkpointsOf(shardId);
  const checkpoint = await store.load();
  const pending = checkpoint?.pending;
  if (pending === undefined) return checkpoint;
  const what = `batch ${pending.batchId} (${pending.isNoDataBatch ? 'a no-data batch' : 'records after the last commit'}, WAL written, not committed)`;
  const context = { shardId: input.shardId, ancestor: shardId, path, pendingBatchId: pending.batchId };
  if (input.finishPending === undefined) {
    throw new StateAdoptionError(
      `Shard ${input.shardId} cannot adopt state yet: its ancestor ${shardId} has ${what}. Run the ancestor's handler again (Lambda retries it) so the batch commits, then the child adopts on its next retry.`,
      context,
    );
  }
  try {
    await input.finishPending(shardId, pending);
  } catch (error) {
    throw new StateAdoptionError(
      `Shard ${input.shardId} cannot adopt state yet: its ancestor ${shardId} has ${what}, and replaying it failed (${(error as Error).message}). Lambda retries the child; if the ancestor's records are past the stream's retention the batch cannot be replayed: restore the ancestor's checkpoint or reset the query.`,
      { ...context, cause: (error as Error).message },
    );
  }
  const after = await store.load();
  if (after?.pending !== undefined) {
    throw new StateAdoptionError(
      `Shard ${input.shardId} cannot adopt state yet: its ancestor ${shardId} still has batch ${after.pending.batchId} pending after a replay. Lambda retries the child.`,
      context,
    );
  }
  return after;
}
