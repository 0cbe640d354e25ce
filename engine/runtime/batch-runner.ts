import type { QueryDefinition } from '../api/writer.js';
import type {
  CheckpointStore,
  CommittedBatch,
  Offsets,
  PlannedBatch,
} from '../checkpoint/checkpoint-store.js';
import { StateBackendChangedError } from '../errors.js';
import { floorsAbove } from '../reshard/watermark-floors.js';
import type { Sink } from '../sinks/sink.js';
import type { StateLimits, StateStore } from '../state/state-store.js';
import type { Row } from '../types.js';
import type { PhysicalPlan } from './compile.js';
import type { BatchInput, DeadLetter } from './dead-letter.js';
import { type ExecuteDeps, executeBatch, stateNamespace } from './execute-batch.js';
import type { DroppedRow, EventTimeStats, RejectedRow } from './operator.js';
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
  /** Checked against every state write before the batch writes anything. @default none */
  readonly stateLimits?: StateLimits;
  /** Hand the rows dropped as late to the sink (late-rows side output). @default false */
  readonly keepDroppedRows?: boolean;
  /** The run the execution belongs to (see `StreamExecutionOptions.runId`). */
  readonly runId?: string;
}

/** The result of a batch: its progress, its commit record, its output and its rejected rows. */
export interface BatchOutcome {
  readonly progress: QueryProgress;
  readonly committed: CommittedBatch;
  readonly output: readonly Row[];
  readonly rejected: readonly RejectedRow[];
  /** Decoding failures of the input and operator rejections, as written with the batch. */
  readonly deadLetters: readonly DeadLetter[];
  /** Rows dropped as late, when the runner keeps them (`keepDroppedRows`). */
  readonly droppedRows: readonly DroppedRow[];
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

export { stateNamespace };

/** The part of the runner's dependencies that running the operators needs. */
export function executeDepsOf(deps: BatchRunnerDeps): ExecuteDeps {
  return {
    queryName: deps.query.name,
    outputMode: deps.query.outputMode,
    plan: deps.plan,
    partition: deps.partition,
    stateStore: deps.stateStore,
    ...(deps.stateLimits === undefined ? {} : { stateLimits: deps.stateLimits }),
    ...(deps.keepDroppedRows === undefined ? {} : { keepDroppedRows: deps.keepDroppedRows }),
  };
}

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
  const deadLetters: DeadLetter[] = [];

  const executed = await timed(durations, 'addBatch', async () => {
    const result = await executeBatch(executeDepsOf(deps), batch, inputs);
    deadLetters.push(...input.deadLetters, ...result.rejected.map(rejectedToDeadLetter));
    const seen = maxSeenEventTime(result.eventTimes);
    await deps.sink.addBatch(batch.batchId, result.rows, {
      batch,
      deadLetters,
      ...(deps.keepDroppedRows ? { droppedRows: result.dropped } : {}),
      ...(seen === undefined ? {} : { eventTimeMs: seen }),
    });
    return result;
  });
  const { rows: output, views, counters, eventTimes, rejected } = executed;
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
    const changes = counters.get(operator.operatorId)?.stateRows ??
      views.get(operator.operatorId)?.counts() ?? { updated: 0, removed: 0, netAdded: 0 };
    return {
      operatorName: operator.operatorName,
      operatorId: operator.operatorId,
      numRowsTotal: (previous?.stateRows[operator.operatorId] ?? 0) + changes.netAdded,
      numRowsUpdated: changes.updated,
      numRowsRemoved: changes.removed,
      numRowsDroppedByWatermark: counters.get(operator.operatorId)?.numRowsDroppedByWatermark ?? 0,
      numLateInputRows: counters.get(operator.operatorId)?.numLateInputRows ?? 0,
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
      withSourceEventTimes(
        withSeenEventTime(
          withIdleEventTime(eventTimes, deps.plan.watermarkIds, batch.idleEventTimeMs),
          deps.plan.watermarkIds,
          input.eventTimeMs,
        ),
        deps.plan.watermarkSources,
        input.sourceEventTimesMs,
      ),
      deps.query.watermarkPolicy,
      deps.runId,
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
  return { progress, committed, output, rejected, deadLetters, droppedRows: executed.dropped };
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
    eventTime: eventTimeProgress(deps.plan.watermarkIds, eventTimes, batch, iso),
    stateOperators,
    sources: deps.plan.sources.map((source) => ({
      description: source,
      startOffset: offsetOf(batch.startOffsets, source, deps.plan.sources),
      endOffset: offsetOf(batch.endOffsets, source, deps.plan.sources),
      numInputRows: inputs.get(source)?.length ?? 0,
    })),
    sink: { description: deps.sink.description, numOutputRows },
    numRejectedRows: extra.numRejectedRows,
    numDeadLetters: extra.numDeadLetters,
  };
}

/**
 * Spark's `eventTime` progress map (`ProgressReporter.extractExecutionStats`): nothing without a
 * watermark; otherwise the batch's watermark, and the min/max/avg event time of the first
 * watermark operator that saw rows (Spark takes the first `EventTimeWatermarkExec` with a count,
 * it does not merge inputs). Spark truncates the average to whole milliseconds.
 */
function eventTimeProgress(
  watermarkIds: readonly string[],
  eventTimes: ReadonlyMap<string, EventTimeStats>,
  batch: PlannedBatch,
  iso: (ms: number) => string,
): QueryProgress['eventTime'] {
  if (watermarkIds.length === 0) return {};
  const watermark = iso(batch.watermarkForEvictionMs);
  for (const id of watermarkIds) {
    const stats = eventTimes.get(id);
    if (stats === undefined || stats.count === 0) continue;
    const avg = Math.trunc(stats.sum / stats.count);
    return { min: iso(stats.min), max: iso(stats.max), avg: iso(avg), watermark };
  }
  return { watermark };
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
  for (const id of watermarkIds) merged.set(id, seenAt(merged.get(id), seenMs));
  return merged;
}

/**
 * Event time an input saw per source (stage 2 of a join or union: each input's markers): counted
 * at the `withWatermark` operators above that source only, so each input keeps its own watermark.
 */
function withSourceEventTimes(
  eventTimes: ReadonlyMap<string, EventTimeStats>,
  watermarkSources: ReadonlyMap<string, readonly string[]>,
  seen: ReadonlyMap<string, number> | undefined,
): ReadonlyMap<string, EventTimeStats> {
  if (seen === undefined || seen.size === 0) return eventTimes;
  const merged = new Map(eventTimes);
  for (const [id, sources] of watermarkSources) {
    for (const source of sources) {
      const seenMs = seen.get(source);
      if (seenMs !== undefined) merged.set(id, seenAt(merged.get(id), seenMs));
    }
  }
  return merged;
}

function seenAt(stats: EventTimeStats | undefined, seenMs: number): EventTimeStats {
  return stats === undefined || stats.count === 0
    ? { min: seenMs, max: seenMs, sum: seenMs, count: 1 }
    : { ...stats, max: Math.max(stats.max, seenMs) };
}

/** The highest event time any `withWatermark` operator saw in the batch. */
function maxSeenEventTime(eventTimes: ReadonlyMap<string, EventTimeStats>): number | undefined {
  let max: number | undefined;
  for (const stats of eventTimes.values()) {
    if (stats.count > 0 && (max === undefined || stats.max > max)) max = stats.max;
  }
  return max;
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

/**
 * A source's position in offsets: its own entry, or the one position all sources share (a
 * Kinesis shard holds every source of the query, so its offsets have one key for the shard).
 */
function offsetOf(offsets: Offsets, source: string, sources: readonly string[]): unknown {
  if (source in offsets) return offsets[source];
  const keys = Object.keys(offsets);
  return keys.length === 1 && !sources.includes(keys[0]!) ? offsets[keys[0]!] : null;
}
