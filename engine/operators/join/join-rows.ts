import type { Row } from '../../types.js';

/**
 * Encodes a row's join key values as a string (JSON keeps `1` and `"1"` apart and is stable
 * across runs, which replays and state keys rely on). Returns `undefined` when a key column is
 * `null` or missing: as with SQL `=`, a null key never matches anything.
 */
export function joinKeyOf(row: Row, on: readonly string[]): string | undefined {
  const values: unknown[] = new Array(on.length);
  for (let i = 0; i < on.length; i++) {
    const value = row[on[i]!];
    if (value === null || value === undefined) return undefined;
    values[i] = value;
  }
  return encodeJoinKey(values);
}

/**
 * JSON of the key values, with the fields of struct values (windows) in sorted order: Spark
 * compares structs field by field, so `{start, end}` and `{end, start}` with equal fields are one
 * key, whatever order the object was built in.
 */
export function encodeJoinKey(values: readonly unknown[]): string {
  for (const value of values) if (typeof value === 'object') return JSON.stringify(values, sortedFields);
  return JSON.stringify(values);
}

function sortedFields(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const sorted: Record<string, unknown> = {};
  for (const field of Object.keys(value).sort()) sorted[field] = (value as Record<string, unknown>)[field];
  return sorted;
}

/**
 * The time a value stands for when compared with a watermark: epoch milliseconds as they are,
 * and a `{start, end}` window by its end, as Spark compares `window.end` with the watermark.
 * `undefined` for anything else.
 */
export function timeBoundOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (value !== null && typeof value === 'object' && 'end' in value) {
    const end = (value as { end: unknown }).end;
    return typeof end === 'number' && Number.isFinite(end) ? end : undefined;
  }
  return undefined;
}

/**
 * A joined output row: both sides' columns, the join columns once (their values are equal).
 * A non-key column present on both sides takes the right side's value; rename one of them
 * (`map`/`select`) before joining to keep both.
 */
export function joinedRow(left: Row, right: Row): Row {
  return { ...left, ...right };
}
