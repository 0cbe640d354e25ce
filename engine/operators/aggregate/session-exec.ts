import type { SessionWindowKey } from '../../api/windows.js';
import { InvalidQueryError } from '../../errors.js';
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
import { parseDuration } from '../../time/duration.js';
import type { OutputMode, Row, TimeWindow } from '../../types.js';
import type { AggregateFunction } from './functions.js';
import { encodeKey, writeKeyColumns } from './grouping.js';
import { interleaveByStart, mergeSessions, type Session, splitClosedSessions } from './sessions.js';

/**
 * A group's state: its key values (the grouping columns, without the session) and its sessions,
 * disjoint and sorted by start. Stored format (version 1): `{ k: unknown[], s: [{start, end, a}] }`
 * with `expiresAt` = the first session's end (the smallest end) when sessions expire.
 */
interface SessionGroupState {
  readonly k: readonly unknown[];
  readonly s: readonly Session[];
}

/** A group's rows of this batch, pre-aggregated per distinct session `[t, t + gap)`. */
interface BatchGroup {
  readonly k: unknown[];
  readonly byTime: Map<string, Session>;
}

/**
 * Streaming aggregation over a session window (Spark's `SessionWindowStateStoreRestoreExec` +
 * `MergingSessionsExec` + `SessionWindowStateStoreSaveExec`), keyed by the grouping columns.
 *
 * Per batch: each row opens `[t, t + gap)` (a constant gap, or the row's own from `gapColumn`;
 * rows with a NULL or non-positive gap are dropped, as Spark filters them); rows are
 * pre-aggregated per (group, session), the touched
 * groups' stored sessions are read in one call, and stored and new sessions that overlap or
 * touch are merged (chains included) with each aggregate's `merge`. Then by output mode:
 * - append: sessions whose end ≤ the eviction watermark are emitted once and removed, ordered
 *   by (group's earliest end, group key, start);
 * - complete: every session of every group, ordered by (group key, start); nothing expires.
 * Update mode is refused, as in Spark: the checker rejects it (`SESSION_WINDOW_IN_UPDATE_MODE`).
 * Unlike Spark, a session window without grouping columns is one global group (like a global
 * `window`), subject to the same partitioning contract.
 *
 * When the session column is watermarked (and not in complete mode) a row is late, dropped and
 * counted when its own session `[t, t + gap)` ends at or before the late-events watermark, even
 * if it would have merged into a session still open: Spark judges each row's session before
 * merging (with `mergeSessionsInLocalPartition` at its default, false).
 */
export class SessionWindowExec implements StatefulOperator {
  readonly operatorName = 'sessionWindowStateStoreSaveExec';
  private readonly functions: readonly AggregateFunction[];
  private readonly names: readonly string[];
  private readonly sessionIndex: number;
  private readonly sessionKey: SessionWindowKey;
  private readonly watermarked: boolean;
  /** Index of the sources' partition-key column among the key values (`k`), or -1. */
  private readonly partitionIndex: number;
  /** The sources' partition-key column, if declared (late bounds are per key after a reshard). */
  private readonly partitionColumn: string | undefined;

  constructor(
    private readonly child: PhysicalOperator,
    readonly operatorId: string,
    private readonly node: AggregateNode,
    watermarkedColumns: ReadonlySet<string>,
    private readonly outputMode: OutputMode,
  ) {
    assertSupported(node, outputMode, operatorId);
    this.names = Object.keys(node.aggregates);
    this.functions = this.names.map((name) => node.aggregates[name]!);
    this.sessionIndex = node.keys.findIndex((key) => key.kind === 'session');
    this.sessionKey = node.keys[this.sessionIndex] as SessionWindowKey;
    this.watermarked = watermarkedColumns.has(this.sessionKey.column);
    const partitionColumn = partitionColumnBelow(node.child);
    this.partitionColumn = partitionColumn;
    this.partitionIndex = node.keys
      .filter((key) => key.kind !== 'session')
      .findIndex((key) => key.kind === 'column' && key.column === partitionColumn);
  }

  partitionKeyOf(entry: StateEntry): string | undefined {
    const index = this.partitionIndex;
    return index < 0 ? undefined : partitionKeyFromValue((entry.value as SessionGroupState).k[index]);
  }

  /** Whether sessions close with the watermark (session column watermarked, not complete mode). */
  private get evicts(): boolean {
    return this.watermarked && this.outputMode !== 'complete';
  }

  needsNoDataBatch({ nextWatermarkMs, last }: NoDataBatchQuery): boolean {
    return this.evicts && nextWatermarkMs > last.watermarkForEvictionMs;
  }

  async execute(ctx: OperatorContext): Promise<Row[]> {
    const input = await this.child.execute(ctx);
    const groups = this.preAggregate(input, ctx);
    const state = ctx.state<SessionGroupState>(this.operatorId);
    await state.load(groups.keys());
    for (const [key, group] of groups) {
      const fresh: Session[] = [...group.byTime.values()].sort((x, y) => x.start - y.start || x.end - y.end);
      const stored = state.get(key)?.value.s ?? [];
      const sessions = mergeSessions(interleaveByStart(stored, fresh), this.mergeAccumulators);
      this.write(state, key, { k: group.k, s: sessions });
    }
    if (this.outputMode === 'complete') {
      const output: Row[] = [];
      for (const [, entry] of await state.entries())
        for (const session of entry.value.s) output.push(this.toRow(entry.value.k, session));
      return output;
    }
    return this.evicts ? this.evict(state, ctx.batch.watermarkForEvictionMs) : [];
  }

  /** Emits and removes the sessions that closed at the watermark; a group keeps its open ones. */
  private async evict(state: StateView<SessionGroupState>, watermarkMs: number): Promise<Row[]> {
    const output: Row[] = [];
    for (const [key, entry] of await state.expiring(watermarkMs)) {
      const { closed, open } = splitClosedSessions(entry.value.s, watermarkMs);
      for (const session of closed) output.push(this.toRow(entry.value.k, session));
      if (open.length === 0) state.delete(key);
      else this.write(state, key, { k: entry.value.k, s: open });
    }
    return output;
  }

  private write(state: StateView<SessionGroupState>, key: string, group: SessionGroupState): void {
    state.set(key, group, this.evicts ? group.s[0]!.end : undefined);
  }

  private readonly mergeAccumulators = (a: readonly unknown[], b: readonly unknown[]): unknown[] =>
    this.functions.map((fn, i) => fn.merge(a[i], b[i]));

  /** Groups the batch's rows by key and event time, dropping late rows and rejecting bad times. */
  private preAggregate(input: readonly Row[], ctx: OperatorContext): Map<string, BatchGroup> {
    const groups = new Map<string, BatchGroup>();
    const keys = this.node.keys;
    const { column, gapMs, gapColumn } = this.sessionKey;
    const late = ctx.lateBounds;
    const partitionColumn = this.partitionColumn;
    const counters = ctx.counters(this.operatorId);
    // Late (key, session) pairs: Spark's restore filter runs after the partial aggregation by key
    // and the row's own session [t, t + gap), so late rows sharing both count once.
    const lateSessions = new Set<string>();
    for (const row of input) {
      const t = eventTimeOf(row[column]);
      if (t === undefined) {
        ctx.reject(row, this.operatorId, `${INVALID_EVENT_TIME} (column '${column}')`);
        continue;
      }
      const gap = gapColumn === undefined ? gapMs : gapOf(row[gapColumn]);
      if (gap === undefined) continue; // Spark filters out rows whose session would be empty
      const values: unknown[] = [];
      for (let i = 0; i < keys.length; i++)
        if (i !== this.sessionIndex) values.push(row[(keys[i] as { column: string }).column]);
      const encoded = encodeKey(values);
      if (this.evicts) {
        const bound = late.of(partitionColumn === undefined ? undefined : row[partitionColumn]);
        if (t + gap <= bound) {
          counters.numLateInputRows++;
          lateSessions.add(`${encoded}|${t}+${gap}`);
          ctx.dropLate?.(row, this.operatorId, t + gap, bound);
          continue;
        }
      }
      let group = groups.get(encoded);
      if (group === undefined) {
        group = { k: values, byTime: new Map() };
        groups.set(encoded, group);
      }
      const sessionKey = gapColumn === undefined ? String(t) : `${t}+${gap}`;
      let session = group.byTime.get(sessionKey);
      if (session === undefined) {
        session = { start: t, end: t + gap, a: this.functions.map((fn) => fn.init()) };
        group.byTime.set(sessionKey, session);
      }
      const accs = session.a as unknown[];
      for (let i = 0; i < accs.length; i++) accs[i] = this.functions[i]!.add(accs[i], row);
    }
    counters.numRowsDroppedByWatermark += lateSessions.size;
    return groups;
  }

  private toRow(groupValues: readonly unknown[], session: Session): Row {
    const values = groupValues.slice();
    values.splice(this.sessionIndex, 0, { start: session.start, end: session.end } satisfies TimeWindow);
    const row: Row = {};
    writeKeyColumns(this.node.keys, values, row);
    for (let i = 0; i < this.names.length; i++) row[this.names[i]!] = this.functions[i]!.result(session.a[i]);
    return row;
  }
}

/**
 * A row's dynamic gap in ms: an interval (ms) or a duration string (`'5 seconds'`); `undefined`
 * when NULL, unparsable or not positive (Spark drops such rows: their session is empty).
 */
function gapOf(value: unknown): number | undefined {
  let ms: number | undefined;
  if (typeof value === 'number') ms = value;
  else if (typeof value === 'string') {
    try {
      ms = parseDuration(value);
    } catch {
      ms = undefined;
    }
  }
  return ms !== undefined && Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/**
 * Guards against plans that skipped the checker (`DataStreamWriter.build()` runs it): the rules
 * `SESSION_WINDOW_IN_UPDATE_MODE` and `MULTIPLE_TIME_WINDOWS_IN_GROUP_BY` reject these first.
 */
function assertSupported(node: AggregateNode, outputMode: OutputMode, operatorId: string): void {
  if (outputMode === 'update') {
    throw new InvalidQueryError(
      'SESSION_WINDOW_IN_UPDATE_MODE',
      `Operator '${operatorId}' aggregates over a session window in update mode, which cannot retract sessions merged away. Use append or complete mode, and build queries with writeStream...build() so the plan checker runs.`,
    );
  }
  if (node.keys.filter((key) => key.kind !== 'column').length !== 1) {
    throw new InvalidQueryError(
      'MULTIPLE_TIME_WINDOWS_IN_GROUP_BY',
      `Operator '${operatorId}' groups by a session window and another time window. Group by one sessionWindow(...) only, and build queries with writeStream...build() so the plan checker runs.`,
    );
  }
}
