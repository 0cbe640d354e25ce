import { latestWindowStart } from '../api/windows.js';
import { encodeKey } from '../operators/aggregate/grouping.js';
import { PARTIAL_COLUMN, type PartialAggregate } from '../operators/aggregate/partial-row.js';
import type { AggregateNode } from '../plan/nodes.js';
import { eventTimeOf } from '../runtime/event-time.js';
import type { Row } from '../types.js';

/** Whether stage 1 can fold an aggregation's rows into partials: any aggregation but session windows. */
export function supportsPartialAggregation(node: AggregateNode): boolean {
  return !node.keys.some((key) => key.kind === 'session');
}

interface Group {
  readonly keys: unknown[];
  readonly a: unknown[];
  n: number;
  maxTime: number | undefined;
}

/**
 * Stage 1's per-batch partial aggregation: folds a batch's rows into one row per group (window ×
 * key values) with each aggregate's accumulator, so the exchange carries one row per group and
 * batch instead of one per event. Stage 2's `AggregateExec` merges partials with `merge`, which is
 * exact for every built-in aggregate (the same property that makes the result independent of how
 * the input is split into batches).
 *
 * What stage 1 does not decide: lateness. Partials are judged late in stage 2 against stage 2's
 * watermark, by window end (or key time), exactly as the rows they fold would be, since every row
 * of a partial shares its window (or key time). A row whose window column holds no valid event time
 * is passed on as it is, so stage 2 rejects it with the usual reason.
 *
 * Deterministic: groups in first-seen order, raw rows after them in input order, so a replay of
 * the batch produces the same partials and the same exchange records.
 */
export function partialAggregate(
  node: AggregateNode,
  eventTime: string | undefined,
  rows: readonly Row[],
): Row[] {
  const functions = Object.values(node.aggregates);
  const windowIndex = node.keys.findIndex((key) => key.kind === 'window');
  const windowKey = node.keys[windowIndex];
  const groups = new Map<string, Group>();
  const passed: Row[] = [];
  const values: unknown[] = new Array(node.keys.length);
  const fold = (row: Row, time: number | undefined) => {
    const id = encodeKey(values);
    let group = groups.get(id);
    if (group === undefined) {
      group = { keys: values.slice(), a: functions.map((fn) => fn.init()), n: 0, maxTime: undefined };
      groups.set(id, group);
    }
    for (let i = 0; i < functions.length; i++) group.a[i] = functions[i]!.add(group.a[i], row);
    group.n++;
    if (time !== undefined && (group.maxTime === undefined || time > group.maxTime)) group.maxTime = time;
  };
  for (const row of rows) {
    for (let i = 0; i < node.keys.length; i++) {
      if (i !== windowIndex) values[i] = row[node.keys[i]!.column];
    }
    const time = eventTime === undefined ? undefined : eventTimeOf(row[eventTime]);
    if (windowKey?.kind !== 'window') {
      fold(row, time);
      continue;
    }
    const t = eventTimeOf(row[windowKey.column]);
    if (t === undefined) {
      passed.push(row);
      continue;
    }
    for (
      let start = latestWindowStart(t, windowKey.slideMs, windowKey.startMs);
      start > t - windowKey.durationMs;
      start -= windowKey.slideMs
    ) {
      values[windowIndex] = start;
      fold(row, time);
    }
  }
  const output: Row[] = [];
  for (const group of groups.values()) {
    const row: Row = {};
    for (let i = 0; i < node.keys.length; i++) {
      if (i !== windowIndex) row[node.keys[i]!.column] = group.keys[i];
    }
    if (eventTime !== undefined && !(eventTime in row) && group.maxTime !== undefined)
      row[eventTime] = group.maxTime;
    const partial: PartialAggregate = {
      v: 1,
      a: group.a,
      n: group.n,
      ...(windowIndex < 0 ? {} : { w: group.keys[windowIndex] as number }),
    };
    row[PARTIAL_COLUMN] = partial;
    output.push(row);
  }
  output.push(...passed);
  return output;
}
