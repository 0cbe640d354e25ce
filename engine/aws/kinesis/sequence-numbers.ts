/**
 * Kinesis sequence numbers are decimal strings of up to 128 digits whose length varies (a stream
 * created before 2014 uses shorter ones, a split adds digits); comparing them as strings or as
 * JavaScript numbers orders them wrongly. Everything here compares them as BigInts.
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
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** True when `a` comes strictly after `b`. An `undefined` bound means "before everything". */
export function isAfter(a: SequenceNumber, b: SequenceNumber | undefined): boolean {
  return b === undefined || BigInt(a) > BigInt(b);
}

/** True when `seq` lies in the half-open range `(after, upTo]` (`after` undefined: no lower bound). */
export function inRange(
  seq: SequenceNumber,
  after: SequenceNumber | undefined,
  upTo: SequenceNumber,
): boolean {
  const value = BigInt(seq);
  return (after === undefined || value > BigInt(after)) && value <= BigInt(upTo);
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
  const keyed = items.map((item) => ({ item, key: BigInt(seqOf(item)) }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const unique: T[] = [];
  let previous: bigint | undefined;
  for (const { item, key } of keyed) {
    if (key === previous) continue;
    unique.push(item);
    previous = key;
  }
  return unique;
}
