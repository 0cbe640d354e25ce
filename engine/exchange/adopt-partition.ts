import type { QueryDefinition } from '../api/writer.js';
import type { CheckpointStore, CommittedBatch, PlannedBatch } from '../checkpoint/checkpoint-store.js';
import type { ExchangeSpec } from '../plan/exchange/plan-stages.js';
import { ADOPTION_BATCH_ID, type Adoption, adoptParentState } from '../reshard/adopt-parent-state.js';
import { type HashRange, intersect, type StreamShards } from '../reshard/lineage.js';
import type { PhysicalPlan } from '../runtime/compile.js';
import type { StateStore } from '../state/state-store.js';
import type { Applied } from './cut-batch.js';
import type { AppliedFloor, ExchangeOffset, ExchangeTail } from './exchange-reader.js';
import { exchangeStateHash } from './state-hash.js';

export interface ExchangeAdoptionInput {
  /** Stage 2's query and its compiled plan. */
  readonly query: QueryDefinition;
  readonly plan: PhysicalPlan;
  readonly spec: ExchangeSpec;
  /** The internal partition starting without a checkpoint. */
  readonly partition: string;
  readonly partitions: StreamShards;
  readonly stateStore: StateStore;
  readonly checkpointsOf: (partition: string) => CheckpointStore;
  /** Replays a closed ancestor's pending batch on its own checkpoint (see `findContributors`). */
  readonly finishPending?: (partition: string, pending: PlannedBatch) => Promise<void>;
}

/**
 * After a split or merge of the internal stream, a child partition's first batch starts from what
 * its ancestors left (docs/architecture.md, "Resharding the internal stream"), once:
 * ```
 * state     = adoptParentState, by the hash key of each entry's routing bucket (exchangeStateHash)
 * watermark = the contributors' minimum, with floors (as for source shards)
 * offsets   = { applied: per origin the minimum over the ancestors,
 *               floors:  per ancestor range, what that ancestor applied (above the minimum),
 *               tails:   each ancestor's records from where it left off (rows waiting for a marker
 *                        that went to the children, markers it never applied), and its own tails }
 * ```
 * An ancestor without a commit (never run) is read from its oldest record, and its own parents
 * are walked in turn. Returns `undefined` for a partition without parents (it starts empty).
 */
export async function adoptExchangePartition(input: ExchangeAdoptionInput): Promise<Adoption | undefined> {
  const child = input.partitions.get(input.partition);
  if (child === undefined || child.parents.length === 0) return undefined;
  const hashOf = exchangeStateHash(input.spec, input.query.plan, input.plan);
  // State first: it also finishes (replays) any ancestor's pending batch, so commits are final.
  const adoption = await adoptParentState({
    query: input.query,
    plan: input.plan,
    shardId: input.partition,
    shards: input.partitions,
    stateStore: input.stateStore,
    checkpointsOf: input.checkpointsOf,
    ...(input.finishPending === undefined ? {} : { finishPending: input.finishPending }),
    hashOf: (operator, key) => hashOf(operator, key),
  });
  const offset = await inheritedOffset(input, child.hashRange, child.parents);
  const committed: CommittedBatch = adoption?.committed ?? (await emptyAdoption(input, child.parents));
  return {
    contributors: adoption?.contributors ?? [],
    committed: { ...committed, endOffsets: { [input.spec.name]: offset } },
  };
}

/**
 * The adopted commit when no ancestor committed state (their rows all still wait, in the tails): no
 * state, but a commit all the same, sealed as an empty version on a commit-versioned store.
 */
async function emptyAdoption(
  input: ExchangeAdoptionInput,
  parents: readonly string[],
): Promise<CommittedBatch> {
  const versioning = input.stateStore.versioning;
  await versioning?.open(input.partition, undefined, ADOPTION_BATCH_ID);
  const stateVersion = await versioning?.seal(input.partition, ADOPTION_BATCH_ID);
  return {
    batchId: ADOPTION_BATCH_ID,
    endOffsets: {},
    batchTimestampMs: 0,
    batchWatermarkMs: 0,
    watermark: { globalMs: 0, operatorsMs: {} },
    stateRows: {},
    ...(stateVersion === undefined ? {} : { stateVersion }),
    parents: [...parents],
  };
}

async function inheritedOffset(
  input: ExchangeAdoptionInput,
  range: HashRange,
  parents: readonly string[],
): Promise<ExchangeOffset> {
  const tails: ExchangeTail[] = [];
  const floors: AppliedFloor[] = [];
  const applieds: Applied[] = [];
  const visit = async (partition: string, overlap: HashRange): Promise<void> => {
    const committed = (await input.checkpointsOf(partition).load())?.committed;
    if (committed !== undefined) {
      const offset = (committed.endOffsets[input.spec.name] as ExchangeOffset | undefined) ?? { applied: {} };
      tails.push({
        partition,
        ...(offset.from === undefined ? {} : { from: offset.from }),
        ...(offset.pos === undefined ? {} : { pos: offset.pos }),
      });
      tails.push(...(offset.tails ?? []));
      applieds.push(offset.applied);
      floors.push({ start: overlap.start.toString(), end: overlap.end.toString(), applied: offset.applied });
      for (const floor of offset.floors ?? []) {
        const within = intersect(overlap, { start: BigInt(floor.start), end: BigInt(floor.end) });
        if (within !== undefined)
          floors.push({ start: within.start.toString(), end: within.end.toString(), applied: floor.applied });
      }
      return;
    }
    // Never committed: all its records are still to read, and what it did not take over, its parents hold.
    tails.push({ partition });
    const ancestors = input.partitions.get(partition)?.parents ?? [];
    if (ancestors.length === 0) applieds.push({});
    for (const parent of ancestors) {
      const parentRange = input.partitions.get(parent)?.hashRange;
      const within = parentRange === undefined ? undefined : intersect(overlap, parentRange);
      if (within !== undefined) await visit(parent, within);
    }
  };
  for (const parent of parents) {
    const parentRange = input.partitions.get(parent)?.hashRange;
    const overlap = parentRange === undefined ? undefined : intersect(range, parentRange);
    if (overlap !== undefined) await visit(parent, overlap);
  }
  const applied = minimumApplied(applieds);
  const above = floors.flatMap((floor) => {
    const kept = Object.entries(floor.applied).filter(([origin, batch]) => batch > (applied[origin] ?? -1));
    return kept.length === 0 ? [] : [{ ...floor, applied: Object.fromEntries(kept) }];
  });
  return {
    applied,
    ...(tails.length === 0 ? {} : { tails }),
    ...(above.length === 0 ? {} : { floors: above }),
  };
}

/** Per origin, the lowest batch every ancestor applied (an origin one of them never saw: none). */
function minimumApplied(applieds: readonly Applied[]): Applied {
  if (applieds.length === 0) return {};
  const result: Record<string, number> = {};
  for (const origin of Object.keys(applieds[0]!)) {
    const values = applieds.map((applied) => applied[origin]);
    if (values.every((value) => value !== undefined)) result[origin] = Math.min(...(values as number[]));
  }
  return result;
}
