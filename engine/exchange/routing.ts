import { encodeKey } from '../operators/aggregate/grouping.js';
import { partialOf } from '../operators/aggregate/partial-row.js';
import { encodeJoinKey } from '../operators/join/join-rows.js';
import type { ExchangeSpec } from '../plan/exchange/plan-stages.js';
import { compileExpression } from '../plan/expressions/compile-expression.js';
import type { Row } from '../types.js';

/** Compiled join-key functions per spec (specs are immutable plan data). */
const compiledKeys = new WeakMap<ExchangeSpec, ReadonlyArray<(row: Row) => unknown>>();

/**
 * The routing key of a row: the values of the stateful operator's key columns (or a tumbling
 * window's start), so that every row of one group reaches the same internal partition. A join
 * side routes by the canonical encoding of its key values (`encodeJoinKey`, what the join
 * compares), so equal keys of both sides meet whatever the columns are called; a row with a NULL
 * key never matches and may go anywhere.
 */
export function routeKeyOf(row: Row, spec: ExchangeSpec): string {
  if (spec.routeKeys !== undefined && spec.routeKeys.length > 0) {
    let fns = compiledKeys.get(spec);
    if (fns === undefined) {
      fns = spec.routeKeys.map((key) => compileExpression(key));
      compiledKeys.set(spec, fns);
    }
    const values = fns.map((fn) => fn(row));
    return values.some((value) => value === null || value === undefined) ? '' : encodeJoinKey(values);
  }
  if (spec.routeGroupKey !== undefined) return encodeKey([spec.routeGroupKey(row)]);
  if (spec.routeColumns.length > 0)
    return JSON.stringify(spec.routeColumns.map((column) => row[column] ?? null));
  const window = spec.routeWindow;
  if (window !== undefined) {
    // A partial aggregate carries its window's start.
    const partialStart = partialOf(row)?.w;
    if (partialStart !== undefined) return String(partialStart);
    const time = Number(row[window.column]);
    if (!Number.isFinite(time)) return '';
    const start =
      time - ((((time - window.startMs) % window.durationMs) + window.durationMs) % window.durationMs);
    return String(start);
  }
  return '';
}

/** The internal partition of a routing key: FNV-1a over its UTF-16 code units, modulo the count. */
export function partitionOfKey(key: string, partitionCount: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitionCount;
}
