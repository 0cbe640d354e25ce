import type { Row } from '../../types.js';

/**
 * The column types of the file sink. They decide the Parquet schema and, for JSON Lines, how
 * time is written (see `jsonl-format.ts`):
 *
 * | type | values | Parquet | JSON Lines |
 * | --- | --- | --- | --- |
 * | `boolean` | booleans | BOOLEAN | `true` |
 * | `int64` | safe integers, bigints | INT64 (BIGINT) | number |
 * | `double` | numbers | DOUBLE | number (NaN and ±Infinity as `null`) |
 * | `string` | strings | BYTE_ARRAY UTF8 (VARCHAR) | string |
 * | `timestamp` | epoch ms numbers, Dates | INT64 TIMESTAMP_MILLIS | ISO-8601 string |
 * | `window` | `{start, end}` epoch ms | struct `<start, end>` of TIMESTAMP_MILLIS | `{"start": ISO, "end": ISO}` |
 * | `json` | anything else | BYTE_ARRAY JSON | as is |
 * | `binary` | Uint8Array | BYTE_ARRAY | base64 string |
 */
export type ColumnType =
  | 'boolean'
  | 'int64'
  | 'double'
  | 'string'
  | 'timestamp'
  | 'window'
  | 'json'
  | 'binary';

/** One column of a batch's data files, as recorded in its manifest. */
export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
}

/** How the sink types columns: declared types first, inference for the rest. */
export interface ColumnTyping {
  /** Columns holding event time as epoch milliseconds (or Dates): written as timestamps. */
  readonly timestampColumns?: readonly string[];
  /** Fixed types for columns whose type must not change between batches (e.g. `{ avg: 'double' }`). */
  readonly columnTypes?: Readonly<Record<string, ColumnType>>;
}

/** Dates must stay within JavaScript's Date range to be written as ISO-8601. */
const MAX_DATE_MS = 8.64e15;

function isTimestampMs(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= MAX_DATE_MS;
}

/** An engine time window: exactly `{ start, end }`, both epoch milliseconds. */
export function isWindowValue(value: unknown): value is { start: number; end: number } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  const window = value as { start?: unknown; end?: unknown };
  return keys.length === 2 && isTimestampMs(window.start) && isTimestampMs(window.end);
}

function isInt64(value: unknown): boolean {
  if (typeof value === 'bigint') return value >= -(2n ** 63n) && value < 2n ** 63n;
  return Number.isSafeInteger(value);
}

/**
 * Converts a value to the representation of `type`, or returns a reason why it does not fit.
 * Timestamps become integer epoch ms (floored); windows become `{ start, end }` integer ms.
 */
export function coerceValue(
  value: unknown,
  type: ColumnType,
): { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reason: string } {
  if (value === null || value === undefined) return { ok: true, value: null };
  switch (type) {
    case 'boolean':
      return typeof value === 'boolean' ? { ok: true, value } : mismatch(value, 'a boolean');
    case 'int64':
      return isInt64(value) ? { ok: true, value } : mismatch(value, 'a safe integer or a bigint');
    case 'double':
      if (typeof value === 'number') return { ok: true, value };
      return typeof value === 'bigint' ? { ok: true, value: Number(value) } : mismatch(value, 'a number');
    case 'string':
      return typeof value === 'string' ? { ok: true, value } : mismatch(value, 'a string');
    case 'timestamp':
      if (value instanceof Date && isTimestampMs(value.getTime()))
        return { ok: true, value: value.getTime() };
      return isTimestampMs(value)
        ? { ok: true, value: Math.floor(value) }
        : mismatch(value, 'epoch milliseconds (a finite number) or a Date');
    case 'window':
      return isWindowValue(value)
        ? { ok: true, value: { start: Math.floor(value.start), end: Math.floor(value.end) } }
        : mismatch(value, 'a window { start, end } in epoch milliseconds');
    case 'binary':
      return value instanceof Uint8Array ? { ok: true, value } : mismatch(value, 'a Uint8Array');
    case 'json':
      return { ok: true, value };
  }
}

function mismatch(value: unknown, expected: string): { ok: false; reason: string } {
  const got = Array.isArray(value) ? 'an array' : value instanceof Date ? 'an invalid Date' : typeof value;
  return { ok: false, reason: `expected ${expected}, got ${got}` };
}

/** The declared type of a column, if any (`columnTypes` wins over `timestampColumns`). */
export function declaredType(column: string, typing: ColumnTyping): ColumnType | undefined {
  return (
    typing.columnTypes?.[column] ?? (typing.timestampColumns?.includes(column) ? 'timestamp' : undefined)
  );
}

/**
 * Infers a type from a column's values (nulls and missing values ignored):
 * all booleans → `boolean`; all safe integers or bigints → `int64`; all numbers → `double`;
 * all strings → `string`; all `{start, end}` windows → `window`; all Dates → `timestamp`;
 * all Uint8Arrays → `binary`; no values at all → `string`; anything else (arrays, objects,
 * mixed types) → `json`.
 */
export function inferType(values: readonly unknown[]): ColumnType {
  const evidence = new TypeEvidence();
  for (const value of values) evidence.add(value);
  return evidence.type();
}

/**
 * What the values of one column seen so far allow, in O(1) per value: one pass over the cells
 * infers every column, instead of one pass over all rows per column (columns × rows work, which
 * made schema-less batches with many distinct field names quadratic in records).
 */
class TypeEvidence {
  private present = false;
  private boolean = true;
  private int64 = true;
  private numeric = true;
  private string = true;
  private window = true;
  private date = true;
  private binary = true;

  add(value: unknown): void {
    if (value === null || value === undefined) return;
    this.present = true;
    const kind = typeof value;
    if (kind !== 'boolean') this.boolean = false;
    if (kind !== 'string') this.string = false;
    if (kind !== 'number' && kind !== 'bigint') this.numeric = false;
    if (this.int64 && !isInt64(value)) this.int64 = false;
    if (this.window && !isWindowValue(value)) this.window = false;
    if (this.date && !(value instanceof Date && isTimestampMs(value.getTime()))) this.date = false;
    if (this.binary && !(value instanceof Uint8Array)) this.binary = false;
  }

  type(): ColumnType {
    if (!this.present) return 'string';
    if (this.boolean) return 'boolean';
    if (this.int64) return 'int64';
    if (this.numeric) return 'double';
    if (this.string) return 'string';
    if (this.window) return 'window';
    if (this.date) return 'timestamp';
    if (this.binary) return 'binary';
    return 'json';
  }
}

/**
 * The columns of a batch's data files: every column of `rows` except `exclude` (the partition
 * columns), in order of first appearance, each with its declared or inferred type. All files of
 * a batch share these types, so one batch has one schema. One pass over the rows' own fields:
 * linear in the cells, however many distinct field names schema-less rows bring.
 */
export function inferColumns(
  rows: readonly Row[],
  exclude: readonly string[],
  typing: ColumnTyping,
): ColumnSpec[] {
  const excluded = new Set(exclude);
  const evidence = new Map<string, TypeEvidence | null>(); // null: declared, nothing to infer
  for (const row of rows) {
    for (const name of Object.keys(row)) {
      let seen = evidence.get(name);
      if (seen === undefined) {
        if (excluded.has(name)) continue;
        seen = declaredType(name, typing) === undefined ? new TypeEvidence() : null;
        evidence.set(name, seen);
      }
      seen?.add(row[name]);
    }
  }
  return [...evidence].map(([name, seen]) => ({
    name,
    type: seen === null ? declaredType(name, typing)! : seen.type(),
  }));
}
