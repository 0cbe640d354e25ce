import type { QueryDefinition } from '../api/writer.js';
import type { CheckpointStore, CommittedBatch, PlannedBatch } from '../checkpoint/checkpoint-store.js';
import { StateBackendChangedError } from '../errors.js';
import { floorsAbove, LateBounds } from '../reshard/watermark-floors.js';
import type { Sink } from '../sinks/sink.js';
import type { StateStore } from '../state/state-store.js';
import { StateView } from '../state/state-view.js';
import type { Row } from '../types.js';
import type { PhysicalPlan } from './compile.js';
import type { BatchInput, DeadLetter } from './dead-letter.js';
import type { EventTimeStats, OperatorContext, OperatorCounters, RejectedRow } from './operator.js';
import {
  emptyDurations,
  type PhaseDurations,
  type QueryProgress,
  type StateOperatorProgress,
} from './progress.js';
import { advanceWatermark, INITIAL_WATERMARK } from './watermark-tracker.js';

/** What a batch run needs. One runner serves one query partition (a shard, or `'0'` locally). */
export interface BatchRunnerDeps {
  readonly query: QueryDefinition;
  readonly plan: PhysicalPlan;
  /** The partition (Kinesis shard id locally `'0'`): part of every state namespace. */
  readonly partition: string;
  readonly stateStore: StateStore;
  readonly checkpoints: CheckpointStore;
  readonly sink: Sink;
  /** Delay of each `withWatermark` operator, by watermark id. */
  readonly watermarkDelaysMs: ReadonlyMap<string, number>;
}

/** The result of a batch: its progress, its commit record, its output and its rejected rows. */
export interface BatchOutcome {
  readonly progress: QueryProgress;
  readonly committed: CommittedBatch;
  readonly output: readonly Row[];
  readonly rejected: readonly RejectedRow[];
  /** Decoding failures of the input and operator rejections, as written with the batch. */
  readonly deadLetters: readonly DeadLetter[];
}

/** Names of the phases, usable as crash points by fault-injection tests. */
export type BatchPhase = 'walCommit' | 'getBatch' | 'addBatch' | 'commitState' | 'commitOffsets';

/** Called after each phase completes; fault-injection tests throw from it to simulate crashes. */
export type PhaseHook = (phase: BatchPhase, batch: PlannedBatch) => void | Promise<void>;

const timed = async <T>(
  durations: PhaseDurations,
  phase: keyof PhaseDurations,
  work: () => Promise<T>,
): Promise<T> => {
  const start = performance.now();
  try {
    return await work();
  } finally {
    durations[phase] += Math.round(performance.now() - start);
  }
};

/** The state namespace of an operator: `query#operator#partition`, as in the DynamoDB key. */
export const stateNamespace = (query: string, operatorId: string, partition: string): string =>
  `${query}#${operatorId}#${partition}`;

/**
 * Runs one batch that is already in the WAL, phase by phase (protocol steps 5–8):
 * `getBatch` → `addBatch` (operators, then the sink) → `commitState` → `commitOffsets`.
 * Re-running the same planned batch after a crash in any phase gives the same sink output and
 * state, because operators read state as of the batch and the sink is idempotent per batch id.
 */
export async function runPlannedBatch(
  deps: BatchRunnerDeps,
  batch: PlannedBatch,
  previous: CommittedBatch | undefined,
  getInput: () => Promise<BatchInput>,
  options: {
    durations?: PhaseDurations;
    isReplay?: boolean;
    hook?: PhaseHook;
    /**
     * Called right before state is written; throws if this invocation no longer owns the batch
     * (e.g. the checkpoint moved on), so a zombie does not overwrite newer state.
     */
    fence?: (batch: PlannedBatch) => Promise<void>;
  } = {},
): Promise<BatchOutcome> {
  const durations = options.durations ?? emptyDurations();
  const started = performance.now();
  const hook = options.hook ?? (() => undefined);

  // A commit-versioned store loads the committed state (or checks its warm cache) while the
  // input is fetched: both are reads of what the previous batch committed.
  const versioning = deps.stateStore.versioning;
  checkStateBackend(deps, previous);
  const [input] = await timed(durations, 'getBatch', () =>
    Promise.all([getInput(), versioning?.open(deps.partition, previous?.stateVersion, batch.batchId)]),
  );
  const inputs = input.rows;
  await hook('getBatch', batch);

  const views = new Map<string, StateView>();
  const counters = new Map<string, OperatorCounters>();
  const eventTimes = new Map<string, EventTimeStats>();
  const rejected: RejectedRow[] = [];
  const deadLetters: DeadLetter[] = [];
  const ctx: OperatorContext = {
    batch,
    lateBounds: new LateBounds(batch.watermarkForLateEventsMs, batch.watermarkFloors),
    outputMode: deps.query.outputMode,
    hasWatermark: deps.plan.watermarkIds.length > 0,
    input: (source) => inputs.get(source) ?? [],
    state: <V>(operatorId: string) => {
      let view = views.get(operatorId);
      if (view === undefined) {
        view = new StateView(
          deps.stateStore,
          stateNamespace(deps.query.name, operatorId, deps.partition),
          batch.batchId,
        );
        views.set(operatorId, view);
      }
      return view as StateView<V>;
    },
    counters: (operatorId) => {
      let found = counters.get(operatorId);
      if (found === undefined) {
        found = { numRowsDroppedByWatermark: 0 };
        counters.set(operatorId, found);
      }
      return found;
    },
    eventTimes: (watermarkId) => {
      let found = eventTimes.get(watermarkId);
      if (found === undefined) {
        found = { min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY, sum: 0, count: 0 };
        eventTimes.set(watermarkId, found);
      }
      return found;
    },
    reject: (row, operator, reason) => rejected.push({ row, operator, reason }),
  };

  const output = await timed(durations, 'addBatch', async () => {
    const rows = await deps.plan.root.execute(ctx);
    deadLetters.push(...input.deadLetters, ...rejected.map(rejectedToDeadLetter));
    await deps.sink.addBatch(batch.batchId, rows, { batch, deadLetters });
    return rows;
  });
  await hook('addBatch', batch);
  await options.fence?.(batch);

  const stateVersion = await timed(durations, 'commitState', async () => {
    await Promise.all(
      [...views.values()].map((view) => deps.stateStore.write(view.namespace, batch.batchId, view.writes())),
    );
    return versioning?.seal(deps.partition, batch.batchId);
  });
  const stateBytes = versioning?.metrics?.(deps.partition);
  await hook('commitState', batch);

  const stateOperators: StateOperatorProgress[] = deps.plan.statefulOperators.map((operator) => {
    const changes = views.get(operator.operatorId)?.counts() ?? { updated: 0, removed: 0, netAdded: 0 };
    return {
      operatorName: operator.operatorName,
      operatorId: operator.operatorId,
      numRowsTotal: (previous?.stateRows[operator.operatorId] ?? 0) + changes.netAdded,
      numRowsUpdated: changes.updated,
      numRowsRemoved: changes.removed,
      numRowsDroppedByWatermark: counters.get(operator.operatorId)?.numRowsDroppedByWatermark ?? 0,
    };
  });
  const committed: CommittedBatch = {
    batchId: batch.batchId,
    endOffsets: batch.endOffsets,
    batchTimestampMs: batch.batchTimestampMs,
    batchWatermarkMs: batch.watermarkForEvictionMs,
    watermark: advanceWatermark(
      previous?.watermark ?? INITIAL_WATERMARK,
      deps.plan.watermarkIds,
      deps.watermarkDelaysMs,
      withSeenEventTime(
        withIdleEventTime(eventTimes, deps.plan.watermarkIds, batch.idleEventTimeMs),
        deps.plan.watermarkIds,
        input.eventTimeMs,
      ),
      deps.query.watermarkPolicy,
    ),
    ...lastInputAt(previous, batch, input),
    ...(previous?.parents === undefined ? {} : { parents: previous.parents }),
    ...carriedFloors(batch),
    stateRows: Object.fromEntries(stateOperators.map((op) => [op.operatorId, op.numRowsTotal])),
    ...(stateVersion === undefined ? {} : { stateVersion }),
  };
  await timed(durations, 'commitOffsets', () => deps.checkpoints.commit(committed));
  await hook('commitOffsets', batch);

  const elapsedMs = performance.now() - started;
  durations.triggerExecution += Math.round(elapsedMs);
  const numInputRows = [...inputs.values()].reduce((total, rows) => total + rows.length, 0);
  const progress = buildProgress(deps, batch, inputs, durations, output.length, stateOperators, eventTimes, {
    isReplay: options.isReplay ?? false,
    elapsedMs,
    numInputRows,
    numRejectedRows: rejected.length,
    numDeadLetters: deadLetters.length,
  });
  if (stateBytes !== undefined) progress.stateBytes = { ...stateBytes };
  return { progress, committed, output, rejected, deadLetters };
}

function buildProgress(
  deps: BatchRunnerDeps,
  batch: PlannedBatch,
  inputs: ReadonlyMap<string, readonly Row[]>,
  durations: PhaseDurations,
  numOutputRows: number,
  stateOperators: StateOperatorProgress[],
  eventTimes: ReadonlyMap<string, EventTimeStats>,
  extra: {
    isReplay: boolean;
    elapsedMs: number;
    numInputRows: number;
    numRejectedRows: number;
    numDeadLetters: number;
  },
): QueryProgress {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  let count = 0;
  for (const stats of eventTimes.values()) {
    if (stats.count === 0) continue;
    min = Math.min(min, stats.min);
    max = Math.max(max, stats.max);
    sum += stats.sum;
    count += stats.count;
  }
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    name: deps.query.name,
    partition: deps.partition,
    batchId: batch.batchId,
    timestamp: iso(batch.batchTimestampMs),
    isNoDataBatch: batch.isNoDataBatch,
    isReplay: extra.isReplay,
    numInputRows: extra.numInputRows,
    processedRowsPerSecond:
      extra.elapsedMs > 0 ? Math.round((extra.numInputRows * 1000) / extra.elapsedMs) : 0,
    durationMs: durations,
    eventTime: {
      ...(count > 0 ? { min: iso(min), max: iso(max), avg: iso(Math.round(sum / count)) } : {}),
      watermark: iso(batch.watermarkForEvictionMs),
    },
    stateOperators,
    sources: deps.plan.sources.map((source) => ({
      description: source,
      startOffset: batch.startOffsets[source] ?? null,
      endOffset: batch.endOffsets[source] ?? null,
      numInputRows: inputs.get(source)?.length ?? 0,
    })),
    sink: { description: deps.sink.description, numOutputRows },
    numRejectedRows: extra.numRejectedRows,
    numDeadLetters: extra.numDeadLetters,
  };
}

/**
 * A commit of a stateful query names its state version iff it ran on a commit-versioned store
 * (S3 changelog state); switching backends on an existing checkpoint would start from empty state.
 */
function checkStateBackend(deps: BatchRunnerDeps, previous: CommittedBatch | undefined): void {
  if (previous === undefined || deps.plan.statefulOperators.length === 0) return;
  const versioned = deps.stateStore.versioning !== undefined;
  if (versioned === (previous.stateVersion !== undefined)) return;
  throw new StateBackendChangedError(deps.query.name, deps.partition, versioned ? 'dynamodb' : 's3');
}

function rejectedToDeadLetter(rejected: RejectedRow): DeadLetter {
  return { reason: rejected.reason, operator: rejected.operator, row: rejected.row };
}

/** An idle batch counts as having seen `idleEventTimeMs` at every watermark operator. */
function withIdleEventTime(
  eventTimes: ReadonlyMap<string, EventTimeStats>,
  watermarkIds: readonly string[],
  idleEventTimeMs: number | undefined,
): ReadonlyMap<string, EventTimeStats> {
  if (idleEventTimeMs === undefined) return eventTimes;
  const idle = { min: idleEventTimeMs, max: idleEventTimeMs, sum: idleEventTimeMs, count: 1 };
  return new Map(watermarkIds.map((id) => [id, idle]));
}

/** Event time an input reports besides its rows (exchange markers) counts at every watermark operator. */
function withSeenEventTime(
  eventTimes: ReadonlyMap<string, EventTimeStats>,
  watermarkIds: readonly string[],
  seenMs: number | undefined,
): ReadonlyMap<string, EventTimeStats> {
  if (seenMs === undefined) return eventTimes;
  const merged = new Map(eventTimes);
  for (const id of watermarkIds) {
    const stats = merged.get(id);
    merged.set(
      id,
      stats === undefined || stats.count === 0
        ? { min: seenMs, max: seenMs, sum: seenMs, count: 1 }
        : { ...stats, max: Math.max(stats.max, seenMs) },
    );
  }
  return merged;
}

/** Carries the processing time of the last batch with input forward, for the idle policy. */
function lastInputAt(previous: CommittedBatch | undefined, batch: PlannedBatch, input: BatchInput) {
  const hadInput = [...input.rows.values()].some((rows) => rows.length > 0) || input.deadLetters.length > 0;
  const at = hadInput ? batch.batchTimestampMs : previous?.lastInputAtMs;
  return at === undefined ? {} : { lastInputAtMs: at };
}

/** The next batch's late bound is this batch's eviction bound: floors at or below it are inert. */
function carriedFloors(batch: PlannedBatch) {
  const floors = floorsAbove(batch.watermarkFloors, batch.watermarkForEvictionMs);
  return floors === undefined ? {} : { watermarkFloors: floors };
}
