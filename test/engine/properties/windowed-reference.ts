/**
 * Batch reference of the windowed aggregation under test: the aggregates of one window × key
 * group computed in one pass over its rows, as a batch query would. Only the HyperLogLog sketch
 * comes from the engine (the estimate is defined by that sketch; the property is that feeding it
 * in batches gives the same registers as feeding it all at once).
 */
import {
  hllAdd,
  hllEstimate,
  hllNew,
  hllPrecisionFor,
} from '../../../engine/operators/aggregate/hyperloglog.js';
import type { Row } from '../../../engine/types.js';
import type { ModelGroup, ModelRow, ModelWindow } from './watermark-model.js';
import { windowStartsContaining } from './watermark-model.js';

/** An input event of the property tests. */
export interface Event extends ModelRow {
  readonly key: string;
  readonly ts: number;
  readonly value: number | null;
  readonly user: string;
}

/** Relative standard deviation of the `approxCountDistinct` under test (Spark's default). */
export const APPROX_RSD = 0.05;

/** The output row of one group, with the same columns as the query under test. */
export function referenceRow(group: ModelGroup<Event>, window: ModelWindow): Row {
  const values = group.rows.map((row) => row.value).filter((value): value is number => value !== null);
  const total = values.length === 0 ? null : values.reduce((a, b) => a + b, 0);
  const sketch = hllNew(hllPrecisionFor(APPROX_RSD));
  for (const row of group.rows) hllAdd(sketch, row.user);
  return {
    window: { start: group.start, end: group.start + window.durationMs },
    key: group.key,
    n: group.rows.length,
    nValues: values.length,
    total,
    lo: values.length === 0 ? null : Math.min(...values),
    hi: values.length === 0 ? null : Math.max(...values),
    mean: total === null ? null : total / values.length,
    users: hllEstimate(sketch),
  };
}

/** The whole result table over `rows`, ignoring the watermark (complete mode's answer). */
export function referenceTable(rows: readonly Event[], window: ModelWindow): Row[] {
  const groups = new Map<string, { start: number; key: string; rows: Event[] }>();
  for (const row of rows) {
    for (const start of windowStartsContaining(row.ts, window)) {
      const id = `${start}|${row.key}`;
      let group = groups.get(id);
      if (group === undefined) {
        group = { start, key: row.key, rows: [] };
        groups.set(id, group);
      }
      group.rows.push(row);
    }
  }
  return sortRows([...groups.values()].map((group) => referenceRow(group, window)));
}

/** Identity of an output row: its window start and key. */
export const groupIdOf = (row: Row): string => `${(row.window as { start: number }).start}|${row.key}`;

/** Rows in a canonical order (window start, then key), to compare sets of rows. */
export function sortRows(rows: readonly Row[]): Row[] {
  const startOf = (row: Row) => (row.window as { start: number }).start;
  const keyOf = (row: Row) => String(row.key);
  return [...rows].sort((a, b) =>
    startOf(a) !== startOf(b)
      ? startOf(a) - startOf(b)
      : keyOf(a) < keyOf(b)
        ? -1
        : keyOf(a) > keyOf(b)
          ? 1
          : 0,
  );
}

/** The newest row per group over a run (how update-mode output is read as a table). */
export function latestPerGroup(rows: readonly Row[]): Row[] {
  const latest = new Map<string, Row>();
  for (const row of rows) latest.set(groupIdOf(row), row);
  return sortRows([...latest.values()]);
}
