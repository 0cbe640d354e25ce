import type { QueryDefinition } from '../api/writer.js';
import type {
  CheckpointStore,
  CommittedBatch,
  PlannedBatch,
  WatermarkState,
} from '../checkpoint/checkpoint-store.js';
import { stateNamespace } from '../runtime/batch-runner.js';
import type { PhysicalPlan } from '../runtime/compile.js';
import type { StatefulOperator } from '../runtime/operator.js';
import type { StateEntry, StateStore, StateWrite } from '../state/state-store.js';
import type { StreamShards } from './lineage.js';
import { type Contributor, findContributors, StateAdoptionError } from './lineage-walk.js';
import { partitionHashOf } from './partition-hash.js';
import { inheritFloors } from './watermark-floors.js';

export { StateAdoptionError } from './lineage-walk.js';

/** Adopted state is written as if by a batch before every real one. */
export const ADOPTION_BATCH_ID = -1;

export interface AdoptionInput {
  readonly query: QueryDefinition;
  readonly plan: PhysicalPlan;
  /** The adopting shard. */
  readonly shardId: string;
  /** The stream's shards (ListShards), for the lineage walk. */
  readonly shards: StreamShards;
  readonly stateStore: StateStore;
  /** The checkpoint store of another shard of the same query. */
  readonly checkpointsOf: (shardId: string) => CheckpointStore;
  /** Replays an ancestor's pending batch (see `findContributors`). */
  readonly finishPending?: (shardId: string, pending: PlannedBatch) => Promise<void>;
  /**
   * The 128-bit hash that placed a state entry's rows in its shard. Default: the MD5 of the
   * operator's partition-key value (how Kinesis places a source record); stage 2 of an exchange
   * hashes the entry's routing key instead (`exchangeStateHash`).
   */
  readonly hashOf?: (operator: StatefulOperator, key: string, entry: StateEntry) => bigint;
}

/** What a child took over: its starting commit and the ancestors it took it from. */
export interface Adoption {
  readonly committed: CommittedBatch;
  readonly contributors: readonly Contributor[];
}

/**
 * After a split or merge, a child shard takes over the groups of its range, once, before its
 * first batch, from the ancestors whose last commits hold them (`findContributors`: parents, or a
 * never-invoked parent's own parents, recursively).
 *
 * ```
 * contributors = findContributors(child)          // (shard, last commit, hash range) each
 * for each stateful operator, for each contributor:
 *   copy every entry of its state as of its last commit whose md5(partition key) is in the range
 *   to the child (batch -1)
 * own watermark = the minimum of the contributors'   (no row is late that its old shard kept)
 * floors = per contributor range, that contributor's late bound (and its own floors, if higher)
 *                                                    (no emitted window, dedup key or session re-opens)
 * return the adopted commit (batch -1), to initialize the child's checkpoint with
 * ```
 * Writing is idempotent and the child's checkpoint is created last, so a crash midway just
 * repeats the adoption. Returns `undefined` when no ancestor holds anything for the child.
 */
export async function adoptParentState(input: AdoptionInput): Promise<Adoption | undefined> {
  const contributors = await findContributors(input);
  if (contributors.length === 0) return undefined;
  // A commit-versioned store (the S3 changelog) reads each contributor at the version its last
  // commit names, and seals the child's adopted state as the version of batch -1. All reading
  // happens before the child is opened, so a small partition cache never drops the child midway.
  const versioning = input.stateStore.versioning;
  const adopted = new Map<string, StateWrite[]>();
  for (const { shardId, committed, range } of contributors) {
    await versioning?.open(shardId, committed.stateVersion, committed.batchId + 1);
    for (const operator of input.plan.statefulOperators) {
      const writes = adopted.get(operator.operatorId) ?? [];
      adopted.set(operator.operatorId, writes);
      const namespace = stateNamespace(input.query.name, operator.operatorId, shardId);
      for (const [key, entry] of await input.stateStore.entries(namespace, committed.batchId + 1)) {
        const hash = (input.hashOf ?? partitionKeyHash(input.shardId, shardId))(operator, key, entry);
        if (hash >= range.start && hash <= range.end) writes.push({ key, entry, base: undefined });
      }
    }
  }
  await versioning?.open(input.shardId, undefined, ADOPTION_BATCH_ID);
  const stateRows: Record<string, number> = {};
  for (const operator of input.plan.statefulOperators) {
    const writes = adopted.get(operator.operatorId) ?? [];
    // Contributors' ranges are disjoint, so no key comes twice; keep the write order stable.
    writes.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const child = stateNamespace(input.query.name, operator.operatorId, input.shardId);
    await input.stateStore.write(child, ADOPTION_BATCH_ID, writes);
    stateRows[operator.operatorId] = writes.length;
  }
  const stateVersion = await versioning?.seal(input.shardId, ADOPTION_BATCH_ID);
  const commits = contributors.map((contributor) => contributor.committed);
  const ownLateMs = Math.min(...commits.map((commit) => commit.batchWatermarkMs));
  const floors = inheritFloors(
    contributors.map(({ committed, range }) => ({
      start: range.start,
      end: range.end,
      lateMs: committed.batchWatermarkMs,
      floors: committed.watermarkFloors,
    })),
    ownLateMs,
  );
  const lastInputs = commits.flatMap((commit) =>
    commit.lastInputAtMs === undefined ? [] : [commit.lastInputAtMs],
  );
  // The query-wide watermark stops counting the parents (and the ancestors adopted through a
  // never-invoked parent) once the child has taken over.
  const parents = [
    ...new Set([...(input.shards.get(input.shardId)?.parents ?? []), ...contributors.map((c) => c.shardId)]),
  ];
  return {
    contributors,
    committed: {
      batchId: ADOPTION_BATCH_ID,
      endOffsets: {},
      batchTimestampMs: Math.max(...commits.map((commit) => commit.batchTimestampMs)),
      batchWatermarkMs: ownLateMs,
      watermark: minimumWatermark(commits.map((commit) => commit.watermark)),
      stateRows,
      ...(lastInputs.length === 0 ? {} : { lastInputAtMs: Math.max(...lastInputs) }),
      ...(floors.length === 0 ? {} : { watermarkFloors: floors }),
      ...(stateVersion === undefined ? {} : { stateVersion }),
      parents,
    },
  };
}

/**
 * The child's own watermark: the minimum of its contributors', so that no row a contributor would
 * still have accepted is late in the child. The faster contributors' keys are protected by floors.
 */
function minimumWatermark(states: readonly WatermarkState[]): WatermarkState {
  const operatorsMs: Record<string, number> = {};
  for (const id of new Set(states.flatMap((state) => Object.keys(state.operatorsMs)))) {
    const values = states.map((state) => state.operatorsMs[id]).filter((value) => value !== undefined);
    // An operator that one contributor never saw data for stays unseen, as in that contributor.
    if (values.length === states.length) operatorsMs[id] = Math.min(...values);
  }
  // Input watermarks of one run carry over; parents of different runs leave the child a restart.
  const runs = new Set(states.map((state) => state.runId));
  const [runId] = runs;
  return {
    globalMs: Math.min(...states.map((state) => state.globalMs)),
    operatorsMs: runs.size === 1 ? operatorsMs : {},
    ...(runs.size === 1 && runId !== undefined ? { runId } : {}),
  };
}

/** The default hash of a state entry: the MD5 of its partition-key value, as Kinesis places a record. */
function partitionKeyHash(child: string, ancestor: string) {
  return (operator: StatefulOperator, key: string, entry: StateEntry): bigint => {
    const partitionKey = operator.partitionKeyOf(entry);
    if (partitionKey === undefined) {
      throw new StateAdoptionError(
        `Shard ${child} cannot adopt state of ${operator.operatorId} from ${ancestor}: the partition key of state key ${key} is unknown. Declare the partition-key column with readStream(..., { partitionKey: '<column>' }) and group by it.`,
        { shardId: child, operator: operator.operatorId, key },
      );
    }
    return partitionHashOf(partitionKey);
  };
}
