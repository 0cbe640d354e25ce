import type { QueryDefinition } from '../api/writer.js';
import type { CheckpointStore } from '../checkpoint/checkpoint-store.js';
import { stateNamespace } from '../runtime/batch-runner.js';
import type { PhysicalPlan } from '../runtime/compile.js';
import type { StateStore } from '../state/state-store.js';
import { childrenOf, type StreamShards } from './lineage.js';
import type { Contributor } from './lineage-walk.js';

export interface RetireInput {
  readonly query: QueryDefinition;
  readonly plan: PhysicalPlan;
  readonly shards: StreamShards;
  /** The ancestors a child has just adopted from (only they hold checkpoints and state to remove). */
  readonly contributors: readonly Contributor[];
  readonly stateStore: StateStore;
  readonly checkpointsOf: (shardId: string) => CheckpointStore;
}

/**
 * Removes the checkpoint and state of each closed ancestor once nothing can adopt from it again.
 *
 * ```
 * covered(s) = s has a checkpoint                            // s adopted (or ran) already
 *           or (s is closed and has children and every child is covered)  // s retired or skipped
 * for each contributor a: if every child of a is covered: drop a's state, then its checkpoint
 * ```
 * The lineage walk reads an ancestor only for a descendant that has no checkpoint yet, and such a
 * descendant keeps every ancestor on its path uncovered, so nothing ever reads what was removed.
 * Siblings racing: each writes its checkpoint before it checks the others, so at least the last
 * one to adopt sees all of them and retires the parent; removing twice is harmless.
 * Returns the retired shard ids.
 */
export async function retireAncestors(input: RetireInput): Promise<string[]> {
  const known = new Map<string, Promise<boolean>>();
  const covered = (shardId: string): Promise<boolean> => {
    let answer = known.get(shardId);
    if (answer === undefined) {
      answer = (async () => {
        if ((await input.checkpointsOf(shardId).load()) !== undefined) return true;
        const shard = input.shards.get(shardId);
        const children = childrenOf(input.shards, shardId);
        if (shard?.closed !== true || children.length === 0) return false;
        for (const child of children) if (!(await covered(child.shardId))) return false;
        return true;
      })();
      known.set(shardId, answer);
    }
    return answer;
  };
  const retired: string[] = [];
  for (const shardId of new Set(input.contributors.map((contributor) => contributor.shardId))) {
    const children = childrenOf(input.shards, shardId);
    if (children.length === 0) continue;
    let all = true;
    for (const child of children) if (!(await covered(child.shardId))) all = false;
    if (!all) continue;
    for (const operator of input.plan.statefulOperators) {
      await input.stateStore.drop(stateNamespace(input.query.name, operator.operatorId, shardId));
    }
    await input.checkpointsOf(shardId).remove();
    retired.push(shardId);
  }
  return retired;
}
