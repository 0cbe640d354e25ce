/**
 * Kinesis sequence numbers are decimal strings of up to 128 digits whose length varies (a stream
 * created before 2014 uses shorter ones, a split adds digits); comparing them as plain strings or
 * as JavaScript numbers orders them wrongly. Every sequence number the edge accepts is canonical
 * (digits only, no leading zero: {@link isSequenceNumber}), so numeric order is "shorter first,
 * then character by character" — exactly BigInt order without parsing 56-digit strings into
 * BigInts on every comparison, which the hot path did per record (issue 14).
 */

/** A Kinesis sequence number: a non-empty string of decimal digits. */
export type SequenceNumber = string;

const DIGITS = /^(0|[1-9]\d{0,127})$/;

/** True for a well-formed sequence number (decimal digits, no leading zeros, at most 128 digits). */
export function isSequenceNumber(value: unknown): value is SequenceNumber {
  return typeof value === 'string' && DIGITS.test(value);
}

/** Orders two sequence numbers numerically: negative if `a` comes first, 0 if equal, positive after. */
export function compareSequenceNumbers(a: SequenceNumber, b: SequenceNumber): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** True when `a` comes strictly after `b`. An `undefined` bound means "before everything". */
export function isAfter(a: SequenceNumber, b: SequenceNumber | undefined): boolean {
  return b === undefined || compareSequenceNumbers(a, b) > 0;
}

/** True when `seq` lies in the half-open range `(after, upTo]` (`after` undefined: no lower bound). */
export function inRange(
  seq: SequenceNumber,
  after: SequenceNumber | undefined,
  upTo: SequenceNumber,
): boolean {
  return (
    (after === undefined || compareSequenceNumbers(seq, after) > 0) && compareSequenceNumbers(seq, upTo) <= 0
  );
}

/** The greater of two sequence numbers. */
export function maxSequenceNumber(a: SequenceNumber, b: SequenceNumber): SequenceNumber {
  return compareSequenceNumbers(a, b) >= 0 ? a : b;
}

/**
 * Sorts items by sequence number (ascending) and drops later duplicates of the same number, which
 * a redelivered or merged event may contain. Returns a new array.
 */
export function sortBySequenceNumber<T>(items: readonly T[], seqOf: (item: T) => SequenceNumber): T[] {
  return orderBySequenceNumber(items, seqOf).items;
}

/** Items in ascending sequence order without duplicates, with their sequence numbers alongside. */
export interface SequenceOrdered<T> {
  readonly items: T[];
  /** `keys[i]` is `items[i]`'s sequence number, strictly increasing. */
  readonly keys: SequenceNumber[];
}

/**
 * {@link sortBySequenceNumber}, also returning the sequence numbers for binary searches over the
 * range. Lambda delivers a shard's records in order, so the common case is one pass and no sort.
 */
export function orderBySequenceNumber<T>(
  items: readonly T[],
  seqOf: (item: T) => SequenceNumber,
): SequenceOrdered<T> {
  const keys = new Array<SequenceNumber>(items.length);
  let ordered = true;
  for (let i = 0; i < items.length; i++) {
    keys[i] = seqOf(items[i]!);
    if (i > 0 && compareSequenceNumbers(keys[i]!, keys[i - 1]!) <= 0) ordered = false;
  }
  if (ordered) return { items: items.slice(), keys };
  const indexes = keys.map((_, i) => i).sort((a, b) => compareSequenceNumbers(keys[a]!, keys[b]!));
  const unique: T[] = [];
  const uniqueKeys: SequenceNumber[] = [];
  for (const i of indexes) {
    const key = keys[i]!;
    if (uniqueKeys.length > 0 && uniqueKeys[uniqueKeys.length - 1] === key) continue;
    unique.push(items[i]!);
    uniqueKeys.push(key);
  }
  return { items: unique, keys: uniqueKeys };
}

/** The first index whose key comes after `bound` (`keys` ascending); `keys.length` if none. */
export function firstIndexAfter(keys: readonly SequenceNumber[], bound: SequenceNumber): number {
  return searchKeys(keys, (key) => compareSequenceNumbers(key, bound) > 0);
}

/** The first index whose key is `bound` or after it; `keys.length` if none. */
export function firstIndexAtOrAfter(keys: readonly SequenceNumber[], bound: SequenceNumber): number {
  return searchKeys(keys, (key) => compareSequenceNumbers(key, bound) >= 0);
}

/** The first index where `past` holds, for a predicate that is false then true along `keys`. */
function searchKeys(keys: readonly SequenceNumber[], past: (key: SequenceNumber) => boolean): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (past(keys[mid]!)) high = mid;
    else low = mid + 1;
  }
  return low;
}
