import type { Row } from '../../types.js';
import { type ColumnTyping, coerceValue, declaredType } from './column-types.js';
import { jsonReplacer } from './jsonl-format.js';
import { partitionPath } from './layout.js';

/** The rows of one partition directory, in the batch's order. */
export interface PartitionGroup {
  /** `col=value/...` (empty when unpartitioned). */
  readonly path: string;
  /** Partition column → value as JSON (recorded in the manifest, restored by readers). */
  readonly values: Readonly<Record<string, unknown>>;
  readonly rows: Row[];
}

/**
 * Splits rows by their partition columns' values, groups in order of first appearance, rows
 * in their order within a group. Path values: strings as they are, numbers and booleans as
 * text, timestamp columns as ISO-8601, other values as JSON text; `null`, missing and `''` as
 * `__HIVE_DEFAULT_PARTITION__` (all Hive-escaped, see `layout.ts`).
 */
export function groupByPartition(
  rows: readonly Row[],
  partitionBy: readonly string[],
  typing: ColumnTyping,
): PartitionGroup[] {
  if (partitionBy.length === 0) return rows.length === 0 ? [] : [{ path: '', values: {}, rows: [...rows] }];
  const groups = new Map<string, PartitionGroup>();
  for (const row of rows) {
    const stored = partitionBy.map((column) => storedValue(row[column], declaredType(column, typing)));
    const id = JSON.stringify(stored);
    let group = groups.get(id);
    if (group === undefined) {
      const values: Record<string, unknown> = {};
      partitionBy.forEach((column, i) => {
        values[column] = stored[i];
      });
      const texts = partitionBy.map((column, i) => pathText(stored[i], declaredType(column, typing)));
      group = { path: partitionPath(partitionBy, texts), values, rows: [] };
      groups.set(id, group);
    }
    group.rows.push(row);
  }
  return [...groups.values()];
}

function storedValue(value: unknown, declared: ReturnType<typeof declaredType>): unknown {
  if (value === undefined || value === null) return null;
  if (declared !== undefined) {
    const coerced = coerceValue(value, declared);
    if (coerced.ok) value = coerced.value;
  }
  return JSON.parse(JSON.stringify(value, jsonReplacer)) as unknown;
}

function pathText(value: unknown, declared: ReturnType<typeof declaredType>): string | null {
  if (value === null) return null;
  if (declared === 'timestamp' && typeof value === 'number') return new Date(value).toISOString();
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Consecutive slices of at most `size` rows (one empty slice for no rows is never produced). */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}
