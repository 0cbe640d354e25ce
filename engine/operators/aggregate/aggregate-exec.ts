import type { AggregateNode, GroupingKey } from '../../plan/nodes.js';
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
import { encodeKey, forEachWindow, writeKeyColumns } from './grouping.js';

/** A group's state: its key values (window start for a window) and one accumulator per aggregate. */
interface GroupAccumulators {
  readonly k: unknown[];
  readonly a: unknown[];
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
    const partials = this.preAggregate(input, ctx);
    const state = ctx.state<GroupAccumulators>(this.operatorId);
    await state.load(partials.keys());
    for (const [key, partial] of partials) {
      const base = state.get(key)?.value;
      // A new group's batch-local partial becomes its state as is; nothing touches it afterwards.
      state.set(
        key,
        base === undefined ? partial : this.mergeGroups(base, partial),
        this.expiryOf(partial.k),
      );
    }
    switch (this.outputMode) {
      case 'complete':
        return (await state.entries()).map(([, entry]) => this.toRow(entry.value));
      case 'update': {
        const output = [...partials.keys()].map((key) => this.toRow(state.get(key)!.value));
        if (this.evicts) await this.evict(state, ctx.batch.watermarkForEvictionMs);
        return output;
      }
      case 'append':
        return this.evicts ? this.evict(state, ctx.batch.watermarkForEvictionMs) : [];
    }
  }

  /** Merges a batch's partial into a group's stored state as a new value (stored values are never mutated). */
  private mergeGroups(base: GroupAccumulators, partial: GroupAccumulators): GroupAccumulators {
    const accs: unknown[] = new Array(partial.a.length);
    for (let i = 0; i < accs.length; i++) accs[i] = this.functions[i]!.merge(base.a[i], partial.a[i]);
    return { k: partial.k, a: accs };
  }

  /** Removes groups that expired at the watermark and returns them as output rows. */
  private async evict(state: StateView<GroupAccumulators>, watermarkMs: number): Promise<Row[]> {
    const expired = await state.expiring(watermarkMs);
    const output: Row[] = [];
    for (const [key, entry] of expired) {
      output.push(this.toRow(entry.value));
      state.delete(key);
    }
    return output;
  }

  private preAggregate(input: readonly Row[], ctx: OperatorContext): Map<string, GroupAccumulators> {
    const partials = new Map<string, GroupAccumulators>();
    const keys = this.node.keys;
    const dropsLate = this.evicts;
    const lateBound = ctx.batch.watermarkForLateEventsMs;
    const counters = ctx.counters(this.operatorId);
    const values: unknown[] = new Array(keys.length);
    const accumulate = (row: Row) => {
      const encoded = encodeKey(values);
      let group = partials.get(encoded);
      if (group === undefined) {
        group = { k: values.slice(), a: this.functions.map((fn) => fn.init()) };
        partials.set(encoded, group);
      }
      const accs = group.a;
      for (let i = 0; i < accs.length; i++) accs[i] = this.functions[i]!.add(accs[i], row);
    };
    for (const row of input) {
      for (let i = 0; i < keys.length; i++)
        if (i !== this.windowIndex) values[i] = row[(keys[i] as { column: string }).column];
      if (this.windowIndex < 0) {
        if (dropsLate) {
          const t = eventTimeOf(values[this.timeKeyIndex]);
          if (t === undefined) {
            ctx.reject(row, this.operatorId, INVALID_EVENT_TIME);
            continue;
          }
          if (t <= lateBound) {
            counters.numRowsDroppedByWatermark++;
            continue;
          }
        }
        accumulate(row);
        continue;
      }
      const windowKey = keys[this.windowIndex] as Extract<GroupingKey, { kind: 'window' }>;
      const t = eventTimeOf(row[windowKey.column]);
      if (t === undefined) {
        ctx.reject(row, this.operatorId, `${INVALID_EVENT_TIME} (column '${windowKey.column}')`);
        continue;
      }
      forEachWindow(windowKey, t, (start) => {
        // Each window of a sliding window is judged on its own end.
        if (dropsLate && start + windowKey.durationMs <= lateBound) {
          counters.numRowsDroppedByWatermark++;
          return;
        }
        values[this.windowIndex] = start;
        accumulate(row);
      });
    }
    return partials;
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
