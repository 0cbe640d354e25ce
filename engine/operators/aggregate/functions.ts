import type { DataType } from '../../plan/schema/data-type.js';
import type { Row } from '../../types.js';
import { hllAdd, hllEstimate, hllMerge, hllNew, hllPrecisionFor } from './hyperloglog.js';

/**
 * An aggregate over the rows of a group. Accumulators are plain data (numbers, strings,
 * arrays, objects, `Uint8Array`) so that state stores can persist them.
 *
 * `add` may mutate a batch-local accumulator; `merge` must not mutate either argument,
 * because one of them is state read from the store (and may be read again on replay).
 */
export interface AggregateFunction<Acc = any, Out = unknown> {
  /** Function name, part of the plan fingerprint: `count`, `sum`, ... */
  readonly name: string;
  /** The input column, if any; part of the plan fingerprint. */
  readonly column?: string;
  /**
   * Every column `add` reads. Lets the planner drop the other columns before the aggregation
   * (column pruning); leave it out when unknown and every column is kept.
   */
  readonly reads?: readonly string[];
  /**
   * The type of `result`'s values, given the type of `column` (`undefined` without one), so that
   * the plan can infer its output schema (Glue columns, Parquet types). Leave it out when unknown:
   * inference then names this aggregate.
   */
  resultType?(input: DataType | undefined): DataType;
  init(): Acc;
  add(acc: Acc, row: Row): Acc;
  merge(a: Acc, b: Acc): Acc;
  result(acc: Acc): Out;
}

const isPresent = (value: unknown): boolean => value !== null && value !== undefined;

/** `count()` counts rows; `count(col)` counts rows whose `col` is not null. Like Spark's `count`. */
export function count(column?: string): AggregateFunction<number, number> {
  return {
    name: 'count',
    ...(column === undefined ? {} : { column }),
    reads: column === undefined ? [] : [column],
    resultType: () => 'long',
    init: () => 0,
    add: column === undefined ? (acc) => acc + 1 : (acc, row) => (isPresent(row[column]) ? acc + 1 : acc),
    merge: (a, b) => a + b,
    result: (acc) => acc,
  };
}

/** Sum of the non-null numbers in `column`; `null` when there are none (Spark's `sum`). */
export function sum(column: string): AggregateFunction<number | null, number | null> {
  return {
    name: 'sum',
    column,
    reads: [column],
    resultType: (input) => (input === 'long' ? 'long' : 'double'),
    init: () => null,
    add: (acc, row) => {
      const value = row[column];
      return typeof value === 'number' ? (acc ?? 0) + value : acc;
    },
    merge: (a, b) => (a === null ? b : b === null ? a : a + b),
    result: (acc) => acc,
  };
}

/** Mean of the non-null numbers in `column`; `null` when there are none (Spark's `avg`). */
export function avg(column: string): AggregateFunction<[number, number], number | null> {
  return {
    name: 'avg',
    column,
    reads: [column],
    resultType: () => 'double',
    init: () => [0, 0],
    add: (acc, row) => {
      const value = row[column];
      if (typeof value === 'number') {
        acc[0] += value;
        acc[1] += 1;
      }
      return acc;
    },
    merge: (a, b) => [a[0] + b[0], a[1] + b[1]],
    result: (acc) => (acc[1] === 0 ? null : acc[0] / acc[1]),
  };
}

type Comparable = number | string;

function extreme(name: 'min' | 'max', column: string, better: (a: Comparable, b: Comparable) => boolean) {
  const pick = (a: Comparable | null, b: Comparable | null): Comparable | null =>
    a === null ? b : b === null ? a : better(b, a) ? b : a;
  const fn: AggregateFunction<Comparable | null, Comparable | null> = {
    name,
    column,
    reads: [column],
    resultType: (input) => input ?? 'json',
    init: () => null,
    add: (acc, row) => {
      const value = row[column];
      return typeof value === 'number' || typeof value === 'string' ? pick(acc, value) : acc;
    },
    merge: pick,
    result: (acc) => acc,
  };
  return fn;
}

/** Smallest non-null value (numbers or strings) of `column`. */
export const min = (column: string) => extreme('min', column, (a, b) => a < b);

/** Largest non-null value (numbers or strings) of `column`. */
export const max = (column: string) => extreme('max', column, (a, b) => a > b);

/**
 * Approximate number of distinct non-null values of `column` with HyperLogLog, like Spark's
 * `approx_count_distinct(col, rsd = 0.05)`. Exact merges make the result independent of how
 * the input was split into batches.
 */
export function approxCountDistinct(column: string, rsd = 0.05): AggregateFunction<Uint8Array, number> {
  const precision = hllPrecisionFor(rsd);
  return {
    name: `approxCountDistinct(${precision})`,
    column,
    reads: [column],
    resultType: () => 'long',
    init: () => hllNew(precision),
    add: (acc, row) => {
      const value = row[column];
      if (isPresent(value)) hllAdd(acc, typeof value === 'string' ? value : JSON.stringify(value));
      return acc;
    },
    merge: hllMerge,
    result: hllEstimate,
  };
}

/** All non-null values of `column` in arrival order (Spark's `collect_list`). */
export function collectList(column: string): AggregateFunction<unknown[], unknown[]> {
  return {
    name: 'collectList',
    column,
    reads: [column],
    resultType: (input) => ({ kind: 'array', element: input ?? 'json' }),
    init: () => [],
    add: (acc, row) => {
      const value = row[column];
      if (isPresent(value)) acc.push(value);
      return acc;
    },
    merge: (a, b) => a.concat(b),
    result: (acc) => acc.slice(),
  };
}
