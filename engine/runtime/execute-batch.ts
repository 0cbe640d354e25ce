import type { PlannedBatch } from '../checkpoint/checkpoint-store.js';
import { LateBounds } from '../reshard/watermark-floors.js';
import type { StateLimits, StateStore } from '../state/state-store.js';
import { StateView } from '../state/state-view.js';
import type { OutputMode, Row } from '../types.js';
import type { PhysicalPlan } from './compile.js';
import type {
  DroppedRow,
  EventTimeStats,
  OperatorContext,
  OperatorCounters,
  RejectedRow,
} from './operator.js';
import { checkStateLimits } from './state-limits.js';

/** What running a batch's operators needs. */
export interface ExecuteDeps {
  readonly queryName: string;
  readonly outputMode: OutputMode;
  readonly plan: PhysicalPlan;
  readonly partition: string;
  readonly stateStore: StateStore;
  /** Checked against every state write before anything is written. @default none */
  readonly stateLimits?: StateLimits;
  /** Keep the rows operators drop as late (for the late-rows side output). @default false */
  readonly keepDroppedRows?: boolean;
}

/** The in-memory result of a batch's operators: nothing is written yet. */
export interface ExecutedBatch {
  readonly rows: Row[];
  readonly views: ReadonlyMap<string, StateView>;
  readonly counters: ReadonlyMap<string, OperatorCounters>;
  readonly eventTimes: ReadonlyMap<string, EventTimeStats>;
  readonly rejected: readonly RejectedRow[];
  /** Rows dropped as late, when `keepDroppedRows` is set. */
  readonly dropped: readonly DroppedRow[];
}

/** The state namespace of an operator: `query#operator#partition`, as in the DynamoDB key. */
export const stateNamespace = (query: string, operatorId: string, partition: string): string =>
  `${query}#${operatorId}#${partition}`;

/**
 * Runs the operators of a planned batch over `inputs` and checks the resulting state writes
 * against the limits. Pure apart from state reads (as of the batch): the batch runner calls it
 * before writing anything, and poison isolation calls it on subsets of the input to find the rows
 * that make a batch fail.
 */
export async function executeBatch(
  deps: ExecuteDeps,
  batch: PlannedBatch,
  inputs: ReadonlyMap<string, readonly Row[]>,
): Promise<ExecutedBatch> {
  const views = new Map<string, StateView>();
  const counters = new Map<string, OperatorCounters>();
  const eventTimes = new Map<string, EventTimeStats>();
  const rejected: RejectedRow[] = [];
  const dropped: DroppedRow[] = [];
  const keepDropped = deps.keepDroppedRows ?? false;
  const ctx: OperatorContext = {
    batch,
    lateBounds: new LateBounds(batch.watermarkForLateEventsMs, batch.watermarkFloors),
    outputMode: deps.outputMode,
    hasWatermark: deps.plan.watermarkIds.length > 0,
    input: (source) => inputs.get(source) ?? [],
    state: <V>(operatorId: string) => {
      let view = views.get(operatorId);
      if (view === undefined) {
        view = new StateView(
          deps.stateStore,
          stateNamespace(deps.queryName, operatorId, deps.partition),
          batch.batchId,
        );
        views.set(operatorId, view);
      }
      return view as StateView<V>;
    },
    counters: (operatorId) => {
      let found = counters.get(operatorId);
      if (found === undefined) {
        found = { numRowsDroppedByWatermark: 0, numLateInputRows: 0 };
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
    ...(keepDropped
      ? {
          dropLate: (row: Row, operator: string, eventTimeMs: number, watermarkMs: number) =>
            dropped.push({ row, operator, eventTimeMs, watermarkMs }),
        }
      : {}),
  };
  const rows = await deps.plan.root.execute(ctx);
  const limits = deps.stateLimits;
  if (limits !== undefined && (limits.maxKeyBytes !== undefined || limits.maxEntryBytes !== undefined)) {
    for (const view of views.values()) checkStateLimits(view.namespace, view.writes(), limits);
  }
  return { rows, views, counters, eventTimes, rejected, dropped };
}
