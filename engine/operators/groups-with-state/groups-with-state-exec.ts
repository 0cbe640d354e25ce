import { InvalidQueryError, UserFunctionError } from '../../errors.js';
import type { GroupsWithStateNode } from '../../plan/nodes.js';
import { partitionColumnBelow, partitionKeyFromValue } from '../../plan/partition-column.js';
import type { CompileContext } from '../../runtime/compile.js';
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
import { encodeKey } from '../aggregate/grouping.js';
import { type GroupStateBatchInfo, GroupStateImpl, type GroupStateOutcome } from './group-state.js';
import { GroupStateTimeout } from './types.js';

/**
 * The stored entry of one key (format version 1): the key as the user function sees it, so a
 * timeout call can pass it without any input row, and the state unless it was removed. A key
 * whose state was removed while a timeout is set keeps an entry without `state` (as Spark does).
 * The timeout is the entry's `expiresAt`, so the timeout sweep is one expiry-range query.
 */
export interface GroupStateRecord {
  readonly key: unknown;
  readonly state?: unknown;
}

interface KeyGroup {
  readonly key: unknown;
  readonly rows: Row[];
}

/**
 * Spark's `FlatMapGroupsWithStateExec`, which also runs `mapGroupsWithState` (one row per call).
 *
 * Per batch:
 * 1. With an event-time timeout, input rows whose event time ≤ the late-events watermark are
 *    dropped (counted); rows without a valid event time are rejected as dead letters.
 * 2. Rows are grouped by the key function; the touched keys' state is read in one call.
 * 3. First batch only: the initial state is written for its keys.
 * 4. The function is called once per key with data, in order of first appearance, with the key's
 *    rows in sequence order; then once per initial-state key without data, in the order given.
 * 5. The timeout sweep: keys whose timeout is strictly below the batch's processing time
 *    (ProcessingTimeTimeout) or eviction watermark (EventTimeTimeout) are called with no rows
 *    and `hasTimedOut`, by (timeout, key). Keys with data were processed before, so their new
 *    timeouts are the ones the sweep sees.
 * After each call (its output fully consumed, so lazy generators may still touch the state):
 * no state and no timeout → the entry is deleted; otherwise it is written when the state was
 * updated or removed or the timeout changed. Every call starts with no timeout set.
 */
export class GroupsWithStateExec implements StatefulOperator {
  readonly operatorName = 'flatMapGroupsWithState';
  /** The watermarked input column that late rows are judged by (event-time timeout only). */
  private readonly lateRowColumn: string | undefined;
  /** The initial state as `[encoded key, key, state]`, validated once. */
  private readonly initialState: ReadonlyArray<readonly [string, unknown, unknown]>;
  /** The sources' partition-key column, if declared. */
  private readonly partitionColumn: string | undefined;

  constructor(
    private readonly child: PhysicalOperator,
    readonly operatorId: string,
    private readonly node: GroupsWithStateNode,
    watermarkedColumns: ReadonlySet<string>,
  ) {
    const name = node.flat ? 'flatMapGroupsWithState' : 'mapGroupsWithState';
    if (node.timeout === GroupStateTimeout.EventTimeTimeout && watermarkedColumns.size === 0) {
      throw new InvalidQueryError(
        'EVENT_TIME_TIMEOUT_WITHOUT_WATERMARK',
        `Watermark must be specified in the query using withWatermark(column, delay) before ${name} to use an event-time timeout. Event-time timeout is not supported without a watermark.`,
        { operator: operatorId },
      );
    }
    this.lateRowColumn =
      node.timeout === GroupStateTimeout.EventTimeTimeout ? [...watermarkedColumns][0] : undefined;
    this.initialState = validateInitialState(node, operatorId);
    this.partitionColumn = partitionColumnBelow(node.child);
  }

  /**
   * The group key is taken as the partition key: `groupByKey` must return the partition-key value
   * (or an object holding it under the partition-key column) for state to follow a reshard.
   */
  partitionKeyOf(entry: StateEntry): string | undefined {
    if (this.partitionColumn === undefined) return undefined;
    const key = (entry.value as GroupStateRecord).key;
    if (key !== null && typeof key === 'object')
      return partitionKeyFromValue((key as Row)[this.partitionColumn]);
    return partitionKeyFromValue(key);
  }

  needsNoDataBatch({ nextWatermarkMs, nowMs, last }: NoDataBatchQuery): boolean {
    switch (this.node.timeout) {
      case GroupStateTimeout.ProcessingTimeTimeout:
        return nowMs > last.batchTimestampMs;
      case GroupStateTimeout.EventTimeTimeout:
        return nextWatermarkMs > last.watermarkForEvictionMs;
      default:
        return false;
    }
  }

  async execute(ctx: OperatorContext): Promise<Row[]> {
    const input = await this.child.execute(ctx);
    const groups = this.groupRows(input, ctx);
    const initial = ctx.batch.isFirstBatch ? this.initialState : [];
    const state = ctx.state<GroupStateRecord>(this.operatorId);
    await state.load([...groups.keys(), ...initial.map(([encoded]) => encoded)]);
    for (const [encoded, key, value] of initial)
      state.set(encoded, { key: structuredClone(key), state: structuredClone(value) });

    const batch: GroupStateBatchInfo = {
      timeout: this.node.timeout,
      batchTimestampMs: ctx.batch.batchTimestampMs,
      watermarkMs: ctx.batch.watermarkForEvictionMs,
      hasWatermark: ctx.hasWatermark,
    };
    const output: Row[] = [];
    for (const [encoded, group] of groups) {
      this.callFunction(state, batch, encoded, group.key, group.rows, false, output);
    }
    if (this.node.skipEmittingInitialStateKeys !== true) {
      for (const [encoded, key] of initial) {
        if (!groups.has(encoded)) this.callFunction(state, batch, encoded, key, [], false, output);
      }
    }
    const threshold = this.timeoutThreshold(batch);
    if (threshold !== undefined) {
      // Integer milliseconds: "timeout < threshold" is "expiresAt ≤ threshold - 1".
      for (const [encoded, entry] of await state.expiring(threshold - 1)) {
        // A copy: the stored key is also the entry's previous version, which replays read.
        this.callFunction(state, batch, encoded, structuredClone(entry.value.key), [], true, output);
      }
    }
    return output;
  }

  private timeoutThreshold(batch: GroupStateBatchInfo): number | undefined {
    switch (this.node.timeout) {
      case GroupStateTimeout.ProcessingTimeTimeout:
        return batch.batchTimestampMs;
      case GroupStateTimeout.EventTimeTimeout:
        return batch.watermarkMs;
      default:
        return undefined;
    }
  }

  private groupRows(input: readonly Row[], ctx: OperatorContext): Map<string, KeyGroup> {
    const groups = new Map<string, KeyGroup>();
    const column = this.lateRowColumn;
    const late = ctx.lateBounds;
    const partitionColumn = this.partitionColumn;
    const counters = ctx.counters(this.operatorId);
    for (const row of input) {
      if (column !== undefined) {
        const t = eventTimeOf(row[column]);
        if (t === undefined) {
          ctx.reject(row, this.operatorId, `${INVALID_EVENT_TIME} (column '${column}')`);
          continue;
        }
        const bound = late.of(partitionColumn === undefined ? undefined : row[partitionColumn]);
        if (t <= bound) {
          counters.numRowsDroppedByWatermark++;
          counters.numLateInputRows++;
          ctx.dropLate?.(row, this.operatorId, t, bound);
          continue;
        }
      }
      const key = this.node.keyFn(row);
      const encoded = encodeKey([key]);
      const group = groups.get(encoded);
      if (group === undefined) groups.set(encoded, { key, rows: [row] });
      else group.rows.push(row);
    }
    return groups;
  }

  /** One call of the user function for one key, then the key's state write. */
  private callFunction(
    state: StateView<GroupStateRecord>,
    batch: GroupStateBatchInfo,
    encoded: string,
    key: unknown,
    rows: readonly Row[],
    hasTimedOut: boolean,
    output: Row[],
  ): void {
    const entry = state.get(encoded);
    const stored = entry !== undefined && 'state' in entry.value ? { value: entry.value.state } : undefined;
    const groupState = new GroupStateImpl<unknown>(batch, stored, hasTimedOut);
    const result = this.node.fn(key, rows, groupState);
    this.collectOutput(result, key, output);
    this.writeState(state, encoded, key, entry, groupState.close());
  }

  private collectOutput(result: unknown, key: unknown, output: Row[]): void {
    if (!this.node.flat) {
      if (!isRowObject(result)) {
        throw new UserFunctionError(
          'MAP_GROUPS_WITH_STATE_RESULT',
          `mapGroupsWithState functions must return exactly one row object per call (got ${describe(result)} for key ${JSON.stringify(key)}). Use flatMapGroupsWithState to return zero or several rows.`,
          { operator: this.operatorId, key },
        );
      }
      output.push(result);
      return;
    }
    if (!isIterable(result)) {
      throw new UserFunctionError(
        'FLAT_MAP_GROUPS_WITH_STATE_RESULT',
        `flatMapGroupsWithState functions must return an iterable of rows, e.g. an array or a generator (got ${describe(result)} for key ${JSON.stringify(key)}). Return [] for no rows and [row] for one.`,
        { operator: this.operatorId, key },
      );
    }
    for (const row of result) {
      if (!isRowObject(row)) {
        throw new UserFunctionError(
          'FLAT_MAP_GROUPS_WITH_STATE_RESULT',
          `flatMapGroupsWithState functions must yield row objects (got ${describe(row)} for key ${JSON.stringify(key)}).`,
          { operator: this.operatorId, key },
        );
      }
      output.push(row);
    }
  }

  private writeState(
    state: StateView<GroupStateRecord>,
    encoded: string,
    key: unknown,
    entry: StateEntry<GroupStateRecord> | undefined,
    outcome: GroupStateOutcome,
  ): void {
    if (!outcome.exists && outcome.timeoutMs === undefined) {
      // Nothing left to keep. (Spark keeps a null-state row when a timed-out key without state
      // does nothing; the next call would see the same "no state, no timeout" either way.)
      if (entry !== undefined) state.delete(encoded);
      return;
    }
    const timeoutChanged = outcome.timeoutMs !== entry?.expiresAt;
    if (!outcome.updated && !outcome.removed && !timeoutChanged) return;
    const storedKey = entry === undefined ? structuredClone(key) : entry.value.key;
    const record: GroupStateRecord = outcome.exists
      ? { key: storedKey, state: outcome.value }
      : { key: storedKey };
    state.set(encoded, record, outcome.timeoutMs);
  }
}

/** Validates and encodes the initial state once, when the query is compiled. */
function validateInitialState(
  node: GroupsWithStateNode,
  operatorId: string,
): ReadonlyArray<readonly [string, unknown, unknown]> {
  const seen = new Set<string>();
  const result: Array<readonly [string, unknown, unknown]> = [];
  for (const [key, value] of node.initialState ?? []) {
    const encoded = encodeKey([key]);
    if (seen.has(encoded)) {
      throw new InvalidQueryError(
        'DUPLICATE_INITIAL_STATE_KEY',
        `The initial state provided contained multiple rows (state) with the same key ${JSON.stringify(key)}. Make sure to de-duplicate the initial state before passing it.`,
        { operator: operatorId, key },
      );
    }
    if (value === null || value === undefined) {
      throw new InvalidQueryError(
        'INVALID_INITIAL_STATE',
        `The initial state of key ${JSON.stringify(key)} is ${String(value)}; leave the key out instead.`,
        { operator: operatorId, key },
      );
    }
    seen.add(encoded);
    result.push([encoded, key, value]);
  }
  return result;
}

function isIterable(value: unknown): value is Iterable<unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function'
  );
}

function isRowObject(value: unknown): value is Row {
  return value !== null && typeof value === 'object' && !isIterable(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (isIterable(value)) return 'an iterable';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Compiles a `groupsWithState` plan node (called from `compileExtension`). */
export function compileGroupsWithState(node: GroupsWithStateNode, ctx: CompileContext): GroupsWithStateExec {
  const child = ctx.compile(node.child);
  const operator = new GroupsWithStateExec(
    child,
    ctx.nextStatefulId('groupsWithState'),
    node,
    ctx.watermarkedColumns(node.child),
  );
  ctx.registerStateful(operator);
  return operator;
}
