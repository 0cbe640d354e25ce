import type { Row } from '../../types.js';

/**
 * The column of a partial-aggregate row that holds the partial (Spark's partial aggregate before a
 * shuffle, `HashAggregateExec` in `Partial` mode). Format version 1:
 * ```
 * { <key column>: value, …,                  plain grouping keys by name
 *   <event-time column>: max event time,      of the rows folded in (stage 2's watermark tracks it)
 *   __sluicePartial: { v: 1,
 *     a: [accumulator, …],                    one per aggregate, in the aggregation's order
 *     n: rows folded in,                      counted as dropped when stage 2 finds the partial late
 *     w?: window start } }                    the window key's start, when the aggregation has one
 * ```
 */
export const PARTIAL_COLUMN = '__sluicePartial';

export interface PartialAggregate {
  readonly v: 1;
  readonly a: unknown[];
  readonly n: number;
  readonly w?: number;
}

/** The partial a row carries, or `undefined` for an ordinary row. */
export function partialOf(row: Row): PartialAggregate | undefined {
  const value = row[PARTIAL_COLUMN] as PartialAggregate | undefined;
  return value !== undefined && value !== null && value.v === 1 ? value : undefined;
}
