import type { QueryDefinition } from '../../api/writer.js';
import type { CheckpointStore, CommittedBatch, WatermarkState } from '../../checkpoint/checkpoint-store.js';
import { SluiceError } from '../../errors.js';
import { stateNamespace } from '../../runtime/batch-runner.js';
import type { PhysicalPlan } from '../../runtime/compile.js';
import type { StateStore, StateWrite } from '../../state/state-store.js';
import { hashKeyOf } from './hash-key.js';
import type { ShardLineage } from './shard-lineage.js';

/** Adopted state is written as if by a batch before every real one. */
const ADOPTION_BATCH_ID = -1;

/** A child shard cannot adopt its parents' state yet, or at all. */
export class StateAdoptionError extends SluiceError {
  constructor(message: string, context: Record<string, unknown>) {
    super('SLUICE_STATE_ADOPTION', message, { context });
  }
}

export interface AdoptionInput {
  readonly query: QueryDefinition;
  readonly plan: PhysicalPlan;
  readonly lineage: ShardLineage;
  readonly stateStore: StateStore;
  /** The checkpoint store of another shard of the same query. */
  readonly checkpointsOf: (shardId: string) => CheckpointStore;
}

/**
 * After a split or merge, a child shard takes over its parents' groups that fall in its hash range,
 * once, before its first batch. Lambda runs a child only after its parents are fully processed,
 * so the parents' last commits are final.
 *
 * ```
 * for each parent with a commit (a parent with a pending batch is not finished: fail, retry later):
 *   for each stateful operator:
 *     for each state entry of the parent, as of after its last commit:
 *       if md5(partitionKeyOf(entry)) lies in the child's hash range: write it to the child (batch -1)
 * watermark = the minimum of the parents' (never drops a row the parents would have kept)
 * return the adopted commit (batch -1), to initialize the child's checkpoint with
 * ```
 * Writing is idempotent, and the child's checkpoint is created last, so a crash midway just
 * repeats the adoption. Returns `undefined` when the shard has no parents with commits.
 */
export async function adoptParentState(input: AdoptionInput): Promise<CommittedBatch | undefined> {
  const parents: CommittedBatch[] = [];
  for (const parentId of input.lineage.parents) {
    const checkpoint = await input.checkpointsOf(parentId).load();
    if (checkpoint?.pending !== undefined) {
      throw new StateAdoptionError(
        `Shard ${input.lineage.shardId} cannot adopt state yet: parent ${parentId} still has batch ${checkpoint.pending.batchId} pending. Lambda retries the child after the parent finishes.`,
        { shardId: input.lineage.shardId, parentId },
      );
    }
    if (checkpoint?.committed !== undefined) parents.push(checkpoint.committed);
  }
  if (parents.length === 0) return undefined;

  // A store whose state is named by commits (S3 changelog) loads each parent's committed
  // version first, and starts the child empty at the adoption batch.
  const versioning = input.stateStore.versioning;
  for (const [index, parentId] of input.lineage.parents.entries()) {
    const committed = parents[index];
    if (committed !== undefined)
      await versioning?.open(parentId, committed.stateVersion, committed.batchId + 1);
  }
  await versioning?.open(input.lineage.shardId, undefined, ADOPTION_BATCH_ID);
  const { start, end } = input.lineage.hashRange;
  const stateRows: Record<string, number> = {};
  for (const operator of input.plan.statefulOperators) {
    const writes: StateWrite[] = [];
    for (const [index, parentId] of input.lineage.parents.entries()) {
      const committed = parents[index];
      if (committed === undefined) continue;
      const namespace = stateNamespace(input.query.name, operator.operatorId, parentId);
      for (const [key, entry] of await input.stateStore.entries(namespace, committed.batchId + 1)) {
        const partitionKey = operator.partitionKeyOf(entry);
        if (partitionKey === undefined) {
          throw new StateAdoptionError(
            `Shard ${input.lineage.shardId} cannot adopt state of ${operator.operatorId} from ${parentId}: the partition key of state key ${key} is unknown. Declare the partition-key column with readStream(..., { partitionKey: '<column>' }) and group by it.`,
            { shardId: input.lineage.shardId, operator: operator.operatorId, key },
          );
        }
        const hash = hashKeyOf(partitionKey);
        if (hash >= start && hash <= end) writes.push({ key, entry, base: undefined });
      }
    }
    const child = stateNamespace(input.query.name, operator.operatorId, input.lineage.shardId);
    await input.stateStore.write(child, ADOPTION_BATCH_ID, writes);
    stateRows[operator.operatorId] = writes.length;
  }
  const stateVersion = await versioning?.seal(input.lineage.shardId, ADOPTION_BATCH_ID);
  return {
    ...(stateVersion === undefined ? {} : { stateVersion }),
    batchId: ADOPTION_BATCH_ID,
    endOffsets: {},
    batchTimestampMs: Math.max(...parents.map((parent) => parent.batchTimestampMs)),
    batchWatermarkMs: Math.min(...parents.map((parent) => parent.batchWatermarkMs)),
    watermark: minimumWatermark(parents.map((parent) => parent.watermark)),
    stateRows,
    // The query-wide watermark stops counting the parents once the child has taken over.
    parents: input.lineage.parents,
  };
}

function minimumWatermark(states: readonly WatermarkState[]): WatermarkState {
  const operatorsMs: Record<string, number> = {};
  for (const id of new Set(states.flatMap((state) => Object.keys(state.operatorsMs)))) {
    const values = states.map((state) => state.operatorsMs[id]).filter((value) => value !== undefined);
    // An operator that one parent never saw data for stays unseen, as in that parent.
    if (values.length === states.length) operatorsMs[id] = Math.min(...values);
  }
  return { globalMs: Math.min(...states.map((state) => state.globalMs)), operatorsMs };
}
