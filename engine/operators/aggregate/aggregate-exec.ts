import { latestWindowStart, type WindowKey } from '../../api/windows.js';
import type { AggregateNode } from '../../plan/nodes.js';
import { partitionColumnBelow, partitionKeyFromValue } from '../../plan/partition-column.js';
import { eventTimeOf, INVALID_EVENT_TIME } from '../../runtime/event-time.js';
import type {
  NoDataBatchQuery,
  OperatorContext,
  PhysicalOperator,
  StatefulOperator,
} from '../../runtime/operator.js';
import type { StateEntry } from '../../state/state-store.js';
import type { StateView } from '../../state/state-view.js';
import type { Row } from '../../types.js';
import type { AggregateFunction } from './functions.js';
import { GroupIndex } from './group-index.js';
import { encodeKey, writeKeyColumns } from './grouping.js';
import { type PartialAggregate, partialOf } from './partial-row.js';

/** A group's state: its key values (window start for a window) and one accumulator per aggregate. */
interface GroupAccumulators {
  readonly k: unknown[];
  readonly a: unknown[];
}

/** A batch's groups: partial accumulators and their state keys, in first-seen order. */
interface BatchGroups {
  readonly partials: readonly GroupAccumulators[];
  readonly stateKeys: readonly string[];
}

/**
 * Streaming aggregation over columns and an optional tumbling/sliding window (Spark's
 * `StateStoreRestoreExec` + `StateStoreSaveExec`).
 *
 * Per batch: rows are pre-aggregated per group in memory, the touched groups' state is read in
 * one call and merged, then by output mode:
 * - append: groups whose window end ≤ the eviction watermark are emitted once and removed;
 * - update: every touched group is emitted; expired groups are removed silently;
 * - complete: the whole table is emitted; nothing expires and the watermark is ignored.
 * When the event-time key (a window, or the watermarked column itself) is watermarked, rows
 * whose window end (or time) ≤ the late-events watermark are dropped, except in complete mode.
 * Counted as Spark counts them: `numRowsDroppedByWatermark` once per late group of the batch
 * (Spark's `StateStoreSaveExec` filters after the partial aggregation), `numLateInputRows` once per
 * input row and window (the late-rows side output).
 */
export class AggregateExec implements StatefulOperator {
  readonly operatorName = 'stateStoreSave';
  private readonly functions: readonly AggregateFunction[];
  private readonly names: readonly string[];
  private readonly windowIndex: number;
  /** Index of the grouping column that is the sources' partition key, or -1. */
  private readonly partitionIndex: number;
  /** Index of the grouping key that carries event time and is watermarked, or -1. */
  private readonly timeKeyIndex: number;
  /** Key indices in group-lookup order: the window first, as consecutive rows mostly share it. */
  private readonly lookupOrder: readonly number[];

  constructor(
    private readonly child: PhysicalOperator,
    readonly operatorId: string,
    private readonly node: AggregateNode,
    watermarkedColumns: ReadonlySet<string>,
    private readonly outputMode: 'append' | 'update' | 'complete',
  ) {
    this.names = Object.keys(node.aggregates);
    this.functions = this.names.map((name) => node.aggregates[name]!);
    this.windowIndex = node.keys.findIndex((key) => key.kind === 'window');
    const partitionColumn = partitionColumnBelow(node.child);
    this.partitionIndex = node.keys.findIndex(
      (key) => key.kind === 'column' && key.column === partitionColumn,
    );
    this.timeKeyIndex = node.keys.findIndex(
      (key) => key.kind !== 'session' && watermarkedColumns.has(key.column),
    );
    const others = node.keys.map((_, i) => i).filter((i) => i !== this.windowIndex);
    this.lookupOrder = this.windowIndex < 0 ? others : [this.windowIndex, ...others];
  }

  /** Whether state expires with the watermark (event-time key watermarked, not complete mode). */
  private get evicts(): boolean {
    return this.timeKeyIndex >= 0 && this.outputMode !== 'complete';
  }

  partitionKeyOf(entry: StateEntry): string | undefined {
    const index = this.partitionIndex;
    return index < 0 ? undefined : partitionKeyFromValue((entry.value as GroupAccumulators).k[index]);
  }

  needsNoDataBatch({ nextWatermarkMs, last }: NoDataBatchQuery): boolean {
    return this.evicts && nextWatermarkMs > last.watermarkForEvictionMs;
  }

  async execute(ctx: OperatorContext): Promise<Row[]> {
    const input = await this.child.execute(ctx);
    const { partials, stateKeys } = this.preAggregate(input, ctx);
    const state = ctx.state<GroupAccumulators>(this.operatorId);
    await state.load(stateKeys);
    for (let i = 0; i < partials.length; i++) {
      const key = stateKeys[i]!;
      const partial = partials[i]!;
      const base = state.get(key)?.value;
      // A new group's batch-local partial becomes its state as is; an existing group's partial
      // takes the merged accumulators. Either way the store owns it from now on.
      state.set(key, base === undefined ? partial : this.mergeInto(partial, base), this.expiryOf(partial.k));
    }
    switch (this.outputMode) {
      case 'complete':
        return (await state.entries()).map(([, entry]) => this.toRow(entry.value));
      case 'update': {
        // Each partial is now its group's new state value.
        const output: Row[] = new Array(partials.length);
        for (let i = 0; i < partials.length; i++) output[i] = this.toRow(partials[i]!);
        if (this.evicts) await this.evict(state, ctx.batch.watermarkForEvictionMs, false);
        return output;
      }
      case 'append':
        return this.evicts ? this.evict(state, ctx.batch.watermarkForEvictionMs, true) : [];
    }
  }

  /**
   * Merges a group's stored state into its batch-local partial, which becomes the new state
   * value. Only the partial changes: stored values are never mutated, and `merge` returns new
   * accumulators.
   */
  private mergeInto(partial: GroupAccumulators, base: GroupAccumulators): GroupAccumulators {
    const accs = partial.a;
    for (let i = 0; i < accs.length; i++) accs[i] = this.functions[i]!.merge(base.a[i], accs[i]);
    return partial;
  }

  /** Removes groups that expired at the watermark; returns them as output rows when `emit` (append). */
  private async evict(
    state: StateView<GroupAccumulators>,
    watermarkMs: number,
    emit: boolean,
  ): Promise<Row[]> {
    const output: Row[] = [];
    await state.evict(watermarkMs, emit ? (_key, entry) => output.push(this.toRow(entry.value)) : undefined);
    return output;
  }

  /**
   * Folds the batch's rows into one partial per group (window × key values), dropping late rows.
   * Hot path: no closures or arrays per row, and the state key is built once per group.
   */
  private preAggregate(input: readonly Row[], ctx: OperatorContext): BatchGroups {
    const keys = this.node.keys;
    const windowIndex = this.windowIndex;
    const windowKey = windowIndex < 0 ? undefined : (keys[windowIndex] as WindowKey);
    const index = new GroupIndex<GroupAccumulators>(this.lookupOrder);
    const stateKeys: string[] = [];
    const dropsLate = this.evicts;
    const late = ctx.lateBounds;
    const partitionIndex = this.partitionIndex;
    let lateBound = late.baseMs;
    const counters = ctx.counters(this.operatorId);
    const values: unknown[] = new Array(keys.length);
    // Late groups (window × key values) of the batch: Spark counts each once.
    const lateGroups = new Set<string>();
    const lateGroup = () => lateGroups.add(encodeKey(values));
    const partials = this.node.partialInput === true;
    for (const row of input) {
      for (let i = 0; i < keys.length; i++)
        if (i !== windowIndex) values[i] = row[(keys[i] as { column: string }).column];
      // After a reshard, a key whose previous shard was ahead keeps that shard's late bound.
      if (late.keyed) lateBound = late.of(partitionIndex < 0 ? undefined : values[partitionIndex]);
      const partial = partials ? partialOf(row) : undefined;
      if (partial !== undefined) {
        if (windowKey !== undefined) values[windowIndex] = partial.w;
        if (this.isLatePartial(partial, values, dropsLate, lateBound)) {
          counters.numLateInputRows += partial.n;
          lateGroup();
          continue;
        }
        this.accumulate(index, stateKeys, values, row, partial);
        continue;
      }
      if (windowKey === undefined) {
        if (dropsLate) {
          const t = eventTimeOf(values[this.timeKeyIndex]);
          if (t === undefined) {
            ctx.reject(row, this.operatorId, INVALID_EVENT_TIME);
            continue;
          }
          if (t <= lateBound) {
            counters.numLateInputRows++;
            lateGroup();
            ctx.dropLate?.(row, this.operatorId, t, lateBound);
            continue;
          }
        }
        this.accumulate(index, stateKeys, values, row);
        continue;
      }
      const t = eventTimeOf(row[windowKey.column]);
      if (t === undefined) {
        ctx.reject(row, this.operatorId, `${INVALID_EVENT_TIME} (column '${windowKey.column}')`);
        continue;
      }
      // Every window containing t, latest start first.
      const { durationMs, slideMs } = windowKey;
      for (
        let start = latestWindowStart(t, slideMs, windowKey.startMs);
        start > t - durationMs;
        start -= slideMs
      ) {
        values[windowIndex] = start;
        // Each window of a sliding window is judged on its own end.
        if (dropsLate && start + durationMs <= lateBound) {
          counters.numLateInputRows++;
          lateGroup();
          ctx.dropLate?.(row, this.operatorId, start + durationMs, lateBound);
          continue;
        }
        this.accumulate(index, stateKeys, values, row);
      }
    }
    counters.numRowsDroppedByWatermark += lateGroups.size;
    return { partials: index.groups, stateKeys };
  }

  /**
   * Whether a stage-1 partial aggregate (stage 2 of a two-stage query) is late: judged as the rows
   * it folds would be, since they share its window (by the window's end) or its time key.
   */
  private isLatePartial(
    partial: PartialAggregate,
    values: readonly unknown[],
    dropsLate: boolean,
    lateBound: number,
  ): boolean {
    if (!dropsLate) return false;
    const key = this.node.keys[this.timeKeyIndex]!;
    if (key.kind === 'window') return partial.w! + key.durationMs <= lateBound;
    const t = eventTimeOf(values[this.timeKeyIndex]);
    return t !== undefined && t <= lateBound;
  }

  /**
   * Adds `row` to the group of `values`, creating the group (and its state key) on first sight; a
   * stage-1 `partial` is merged in with `merge` instead.
   */
  private accumulate(
    index: GroupIndex<GroupAccumulators>,
    stateKeys: string[],
    values: unknown[],
    row: Row,
    partial?: PartialAggregate,
  ): void {
    const functions = this.functions;
    let group = index.find(values);
    if (group === undefined) {
      const accs: unknown[] = new Array(functions.length);
      for (let i = 0; i < functions.length; i++) accs[i] = functions[i]!.init();
      group = { k: values.slice(), a: accs };
      index.insert(group);
      stateKeys.push(encodeKey(values));
    }
    const accs = group.a;
    if (partial !== undefined) {
      for (let i = 0; i < accs.length; i++) accs[i] = functions[i]!.merge(accs[i], partial.a[i]);
      return;
    }
    for (let i = 0; i < accs.length; i++) accs[i] = functions[i]!.add(accs[i], row);
  }

  private expiryOf(keyValues: readonly unknown[]): number | undefined {
    if (!this.evicts) return undefined;
    const key = this.node.keys[this.timeKeyIndex]!;
    if (key.kind === 'window') return (keyValues[this.timeKeyIndex] as number) + key.durationMs;
    return eventTimeOf(keyValues[this.timeKeyIndex]);
  }

  private toRow(group: GroupAccumulators): Row {
    const row: Row = {};
    writeKeyColumns(this.node.keys, group.k, row);
    for (let i = 0; i < this.names.length; i++) row[this.names[i]!] = this.functions[i]!.result(group.a[i]);
    return row;
  }
}
