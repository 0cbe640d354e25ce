import type { ShardWatermarkPolicy, WatermarkPolicy } from '../api/writer.js';
import type { CommittedBatch, PartitionWatermark } from '../checkpoint/checkpoint-store.js';
import type { TimestampMs } from '../types.js';
import { INITIAL_WATERMARK } from './watermark-tracker.js';

/** What {@link queryWatermark} combines. */
export interface QueryWatermarkInput {
  /** This partition's id and last commit (`undefined` before its first batch). */
  readonly partition: string;
  readonly own: CommittedBatch | undefined;
  /** Every partition's committed watermarks, as read from the checkpoint store (may include this one). */
  readonly partitions: readonly PartitionWatermark[];
  /** Ids of the query's `withWatermark` operators, in plan order. */
  readonly watermarkIds: readonly string[];
  /** How several `withWatermark` inputs combine (Spark's `multipleWatermarkPolicy`). */
  readonly inputs: WatermarkPolicy;
  /** How the partitions (shards) combine. */
  readonly shards: ShardWatermarkPolicy;
  /**
   * The run this execution belongs to (Spark's `runId`). Input watermarks another run tracked are
   * not carried over: after a restart they are rebuilt from new data (see `advanceWatermark`).
   */
  readonly runId?: string;
}

/** The two watermarks a batch runs with (see `PlannedBatch`). */
export interface BatchWatermarks {
  /** State (windows, dedup keys, timers) expiring at or before this is emitted/evicted. */
  readonly evictionMs: TimestampMs;
  /** Rows whose window ends (event time is) at or before this are late. */
  readonly lateEventsMs: TimestampMs;
}

/**
 * The watermarks the next batch of a partition runs with: one watermark per query, as Spark has
 * one across a query's partitions.
 *
 * ```
 * per-shard: this partition's own watermark (its event times − delay), as in the first design
 * max | min:
 *   live = partitions not taken over by another after a reshard (no one names them as a parent)
 *   for each withWatermark operator w:
 *     max: the highest of the live partitions' (max event time − delay) for w, 0 if none saw data
 *     min: the lowest, a live partition that has not seen data for w counting as 0 (it holds w)
 *   combined = min (or max, by the inputs policy) over the operators, as Spark combines inputs
 *   eviction = max(combined, the watermark any partition's last batch ran with)
 * restart (a new run): only values tracked by this run count (another run's are unseen, Spark's
 *   tracker after a restart); the first batch of this partition in the run also keeps the global
 *   watermark the previous run would have used next (`combined` over every run's values), as
 *   Spark restores its global watermark from the commit log
 * late events: the watermark this partition's last batch ran with (Spark: the previous batch's),
 *   or a parent's after a reshard if higher
 * ```
 * Every term only grows, so the eviction watermark never decreases, and it is at least every
 * watermark any partition has already run with. A row is late when its window is behind what
 * this partition (or the parent it took the key over from) has already closed, so nothing closed
 * re-opens, also after a split or merge; a row for a window the partition still holds is counted
 * and the window emitted in the same batch.
 */
export function queryWatermark(input: QueryWatermarkInput): BatchWatermarks {
  const ownWatermark = input.own?.watermark ?? INITIAL_WATERMARK;
  const ownUsed = input.own?.batchWatermarkMs ?? 0;
  if (input.shards === 'per-shard' || input.watermarkIds.length === 0) {
    return { evictionMs: ownWatermark.globalMs, lateEventsMs: ownUsed };
  }
  const partitions: PartitionWatermark[] = input.partitions.filter((p) => p.partition !== input.partition);
  if (input.own !== undefined) {
    partitions.push({
      partition: input.partition,
      watermark: input.own.watermark,
      batchWatermarkMs: input.own.batchWatermarkMs,
      ...(input.own.parents === undefined ? {} : { parents: input.own.parents }),
    });
  }
  const superseded = new Set(partitions.flatMap((p) => p.parents ?? []));
  const live = partitions.filter((p) => !superseded.has(p.partition));
  const combine = (values: (p: PartitionWatermark, id: string) => number | undefined): number => {
    const perOperator = input.watermarkIds.map((id) => {
      const seen = live.map((p) => values(p, id));
      if (input.shards === 'min') return seen.length === 0 ? 0 : Math.min(...seen.map((v) => v ?? 0));
      const known = seen.filter((v): v is number => v !== undefined);
      return known.length === 0 ? 0 : Math.max(...known);
    });
    return input.inputs === 'min' ? Math.min(...perOperator) : Math.max(...perOperator);
  };
  const everyRun = (p: PartitionWatermark, id: string) => p.watermark.operatorsMs[id];
  const thisRun = (p: PartitionWatermark, id: string) =>
    p.watermark.runId === input.runId ? p.watermark.operatorsMs[id] : undefined;
  const firstOfRun = input.own === undefined || input.own.watermark.runId !== input.runId;
  const combined = Math.max(combine(thisRun), firstOfRun ? combine(everyRun) : 0);
  const alreadyUsed = Math.max(0, ...partitions.map((p) => p.batchWatermarkMs));
  const parents = new Set(input.own?.parents ?? []);
  const parentsUsed = partitions.filter((p) => parents.has(p.partition)).map((p) => p.batchWatermarkMs);
  return { evictionMs: Math.max(combined, alreadyUsed), lateEventsMs: Math.max(ownUsed, ...parentsUsed) };
}
