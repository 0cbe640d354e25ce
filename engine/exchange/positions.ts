/**
 * A record's position in an internal partition: a decimal string without leading zeros (a Kinesis
 * sequence number; `"1"`, `"2"`, … in memory). Numeric order is "shorter first, then character by
 * character", without parsing 56-digit sequence numbers.
 */
export type ExchangePosition = string;

/** Negative if `a` comes first, 0 if equal, positive after. */
export function comparePositions(a: ExchangePosition, b: ExchangePosition): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** True when `a` comes strictly after `b`; an `undefined` bound is before everything. */
export function isAfterPosition(a: ExchangePosition, b: ExchangePosition | undefined): boolean {
  return b === undefined || comparePositions(a, b) > 0;
}
